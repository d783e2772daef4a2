# The IQM Portal. `make run` serves the portal with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT  # the settings make SITE_URL, the address in emails, from it

# The test suite runs against the real PostgreSQL and Redis on this machine. The cache shares the
# broker's Redis database unless TEST_CACHE_URL gives it another (on a Redis server of its own
# when tests run in parallel: each xdist worker numbers both down from the suite's).
TEST_ENV := DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/iqm_portal} \
	REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/15} CACHE_URL=$${TEST_CACHE_URL:-} \
	SECRET_KEY=test-only-secret DEBUG=0

.PHONY: run test faults lint install worker beat services browser migrate demo bench-pdf \
	bench-directory scale-data bench load clean backup restore

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

migrate: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=$${DEBUG:-1} $(PY) manage.py load_demo

run: demo
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver 127.0.0.1:$(PORT)

# With REDIS_URL set, tasks go to Redis: run these beside `make run`, each in its own terminal.
worker: install
	DEBUG=$${DEBUG:-1} $(VENV)/bin/celery -A iqm_portal worker --loglevel=INFO --queues=iqm

beat: install
	DEBUG=$${DEBUG:-1} $(VENV)/bin/celery -A iqm_portal beat --loglevel=INFO

services:
	@scripts/services.sh

browser:
	@scripts/browser.sh

# Tests run in parallel, one pytest-xdist worker a core (each with its own database and Redis db).
PYTEST_ARGS ?= --numprocesses=auto --maxprocesses=8 --dist=worksteal

test: install lint services browser
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

# The fault tests alone (also part of `make test`): a private Redis restarted with tasks queued, and
# the database cut during requests and while an answer is typed in Chromium (tests/faults.py).
# They need redis-server installed; they never stop the shared PostgreSQL or Redis.
faults: install services browser
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(TEST_ENV) $(PY) -m pytest -m faults $(PYTEST_ARGS)

# ruff, and the apps' layers (import-linter's contract in pyproject.toml).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# Render times of the demo's assessment report and certificate beside bare WeasyPrint, and memory.
bench-pdf: demo
	DEBUG=$${DEBUG:-1} $(PY) manage.py bench_pdf

# Query times of the national directory over 24,000 published schools, made for the run and removed after
# it: SQLite by default, or DATABASE_URL=postgres://… make bench-directory.
bench-directory: migrate
	DEBUG=$${DEBUG:-1} $(PY) manage.py bench_directory

# A country's worth of made-up data for benchmarks, in an empty PostgreSQL database (README, "Scale
# data"): SCHOOLS=1000 for the small set, RESET=1 to flush the database first.
scale-data: migrate
	DEBUG=$${DEBUG:-1} $(PY) manage.py generate_scale_data --authorities 150 \
		--schools $${SCHOOLS:-24000} --seed 1 $(if $(RESET),--reset)

# The key pages under gunicorn (3 sync workers, 2 requests at once) beside a bare Django view, at
# 1,000 and at 24,000 schools: two runs taking turns, a round of a page each (bench/turns.py),
# each data set in a PostgreSQL database of its own (made by generate_scale_data once, kept for
# the next run) with a Redis database of its own (emptied); then the growth check between them.
# Tables on stdout, JSON and the tables in BENCH_OUT. README, "Performance".
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/iqm_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/7
BENCH_SMALL_REDIS_URL ?= redis://127.0.0.1:6379/8
BENCH_OUT ?= bench-results
BENCH_SMALL ?= --authorities 150 --schools 1000 --seed 1
BENCH_LARGE ?= --authorities 150 --schools 24000 --seed 1
BENCH_ENV := REDIS_URL=$(BENCH_REDIS_URL) CACHE_URL=$(BENCH_REDIS_URL) SECRET_KEY=bench-only-secret \
	DEBUG=0
BENCH_ARGS ?=

bench: install services
	mkdir -p $(BENCH_OUT)
	$(BENCH_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	@rm -rf $(BENCH_OUT)/turns $(BENCH_OUT)/bench-*.json; status=0; small=; large=; \
	trap 'kill $$small $$large 2>/dev/null; exit 130' INT TERM; \
	$(BENCH_ENV) REDIS_URL=$(BENCH_SMALL_REDIS_URL) CACHE_URL=$(BENCH_SMALL_REDIS_URL) \
		DATABASE_URL=$(BENCH_DATABASE_URL)_1000 $(PY) manage.py bench $(BENCH_ARGS) \
		--generate "$(BENCH_SMALL)" --turns $(BENCH_OUT)/turns --json $(BENCH_OUT)/bench-1000.json \
		> $(BENCH_OUT)/bench-1000.md & small=$$!; \
	$(BENCH_ENV) DATABASE_URL=$(BENCH_DATABASE_URL)_24000 $(PY) manage.py bench $(BENCH_ARGS) \
		--generate "$(BENCH_LARGE)" --turns $(BENCH_OUT)/turns --json $(BENCH_OUT)/bench-24000.json \
		> $(BENCH_OUT)/bench-24000.md & large=$$!; \
	wait $$small || status=1; wait $$large || status=1; \
	cat $(BENCH_OUT)/bench-1000.md $(BENCH_OUT)/bench-24000.md; \
	$(BENCH_ENV) $(PY) manage.py bench --growth $(BENCH_OUT)/bench-1000.json \
		$(BENCH_OUT)/bench-24000.json || status=1; \
	exit $$status

# locust's scenario (iqm_portal/bench/locustfile.py) against gunicorn on loopback, on the 24,000
# schools of `make bench` (made first if missing): LOAD_USERS people for LOAD_SECONDS seconds.
LOAD_USERS ?= 20
LOAD_SECONDS ?= 60

load: install services
	$(BENCH_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(BENCH_ENV) DATABASE_URL=$(BENCH_DATABASE_URL)_24000 $(PY) manage.py load \
		--generate "$(BENCH_LARGE)" --users $(LOAD_USERS) --seconds $(LOAD_SECONDS)

# Back up the database and every stored file into a new directory under BACKUP_DIR (README, "Backups").
# With PostgreSQL it needs pg_dump and pg_restore of the server's major version (15 here: Debian's
# postgresql-client-15, /usr/lib/postgresql/15/bin): from PG_BINDIR, else `pg_config --bindir`, else PATH.
#   make backup [TO=/srv/backups/iqm] [KEEP=14]
#   make restore FROM=backups/iqm-backup-<time> [FORCE=1]
backup: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py backup $(if $(TO),--to "$(TO)") $(if $(KEEP),--keep $(KEEP))

restore: install
	@test -n "$(FROM)" || { echo "Say which backup: make restore FROM=backups/iqm-backup-<time> [FORCE=1]"; exit 2; }
	DEBUG=$${DEBUG:-1} $(PY) manage.py restore --from "$(FROM)" $(if $(FORCE),--force)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 media
