"""Services the fault tests may break: never the shared PostgreSQL and Redis, which other tests use
at the same time, but private stand-ins started by the fixtures here.

* `PostgresCut`: a TCP proxy in front of the shared PostgreSQL that the portal's connections go
  through. Cut, it is to the portal what a stopped server is: connections open at that moment are
  reset and new ones refused. A private cluster (pg_createcluster) would behave the same to the
  client, but would need the whole schema migrated into it for each run, and root to create it;
  the proxy needs neither, and the test database pytest-django made stays where it is.
* `PrivateRedis`: a redis-server of our own on a free port, persisting to a folder of the test
  with an append-only file, as the broker must in production, so it can be restarted.
* `CeleryWorker`: a real `celery worker` process (prefork, as `make worker` runs it) taking tasks
  from the private Redis.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, seconds=30, what="the condition"):
    """Poll `condition` until it is true; fail with `what` after `seconds`. For conditions on
    other processes and services, never for time to pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"Waited {seconds}s for {what}", pytrace=False)


class PostgresCut:
    """A TCP proxy to PostgreSQL that can be cut (reset every connection, refuse new ones) and
    restored, on the same port."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.port = free_port()
        self.listener = None
        self.lock = threading.Lock()
        self.sockets = set()
        self.restore()

    def restore(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self):
        """As a stopped server: every open connection reset, nothing listening."""
        listener, self.listener = self.listener, None
        listener.close()
        with self.lock:
            for sock in self.sockets:
                try:  # a reset, not a polite close
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
                    # shutdown wakes the pump blocked on it; close alone would leave its fd open.
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.sockets.clear()

    @property
    def is_cut(self):
        return self.listener is None

    def close(self):
        if not self.is_cut:
            self.cut()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                if listener is not self.listener:  # cut meanwhile
                    client.close()
                    upstream.close()
                    return
                self.sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self.lock:
                self.sockets -= {source, sink}


@pytest.fixture
def postgres_cut(transactional_db):
    """The portal's database connections (this thread's and the live server's) go through a
    proxy the test can cut. The data a test makes must be committed (transactional_db) to be
    seen through a new connection."""
    settings_dict = connection.settings_dict  # shared by every thread's connection
    original = settings_dict["HOST"], settings_dict["PORT"]
    proxy = PostgresCut(original[0] or "127.0.0.1", int(original[1] or 5432))
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", proxy.port
    yield proxy
    proxy.close()
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = original


class PrivateRedis:
    """A redis-server of the test's own, persisting to `folder` with an append-only file (every
    write synced), so that a restart keeps what was queued."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.folder),
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--save", "",
            ],
            stdout=open(self.folder / "redis.log", "ab"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for(self._answers, 15, "the private Redis to answer")

    def stop(self):
        """As `redis-cli shutdown` or a container stop: SIGTERM, Redis flushes and exits."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=15)

    def restart(self):
        self.stop()
        assert not self._answers()
        self.start()

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=5)

    def _answers(self):
        import redis

        try:
            return self.client().ping()
        except redis.RedisError:
            return False

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=15)


@pytest.fixture
def private_redis(tmp_path):
    redis = PrivateRedis(tmp_path / "redis")
    yield redis
    redis.close()


class CeleryWorker:
    """`celery -A iqm_portal worker` in a process of its own, on the private Redis, with the
    fault tests' tasks (tests/fault_tasks.py) beside the portal's."""

    def __init__(self, redis_url, log):
        self.redis_url = redis_url
        self.log = Path(log)
        self.process = None

    def start(self):
        environment = {
            **os.environ,
            "REDIS_URL": self.redis_url,
            "CACHE_URL": self.redis_url,  # its heartbeat, where the test's /ready/ reads it
            # The test database pytest-django made, in case a task reads it.
            "DATABASE_URL": _database_url(),
            "SECRET_KEY": "test-only-secret",
            "DEBUG": "0",
        }
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "iqm_portal", "worker",
                "--queues=iqm", "--concurrency=1", "--loglevel=INFO",
                "--include=tests.fault_tasks", "--hostname=faults@%h",
            ],
            cwd=ROOT,
            env=environment,
            stdout=open(self.log, "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def stop(self):
        """A warm shutdown, as `docker compose stop`: the running task finishes first."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def output(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _database_url():
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{s['USER']}{password}@{host}/{s['NAME']}"


@pytest.fixture
def celery_worker_process(private_redis, tmp_path):
    worker = CeleryWorker(private_redis.url, tmp_path / "worker.log")
    yield worker
    worker.stop()
    print(worker.output())  # pytest shows it if the test failed
