#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on localhost for the test suite: starts them if they are
# installed but stopped, and says clearly what is missing if they cannot be reached.
set -u

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "Starting PostgreSQL..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    for _ in $(seq 1 20); do pg_up && break; sleep 0.5; done
  fi
fi
if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "Starting Redis..."
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
    for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  fi
fi

missing=""
pg_up || missing="$missing PostgreSQL (127.0.0.1:5432, user postgres, trust authentication)"
redis_up || missing="$missing${missing:+ and} Redis (127.0.0.1:6379)"
if [ -n "$missing" ]; then
  echo "The tests need$missing running on this machine, and it could not be reached or started." >&2
  echo "Install it (Debian: apt-get install postgresql redis-server) or set TEST_DATABASE_URL / TEST_REDIS_URL." >&2
  exit 1
fi
