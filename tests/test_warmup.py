"""Cold workers: gunicorn loads the portal once in its master, warms it up there
(iqm_portal/warmup.py, gunicorn.conf.py), and forks workers that start with it."""

import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.template import engines

from iqm_portal import settings as portal_settings
from iqm_portal.warmup import warm

from .test_production_settings import _free_port, production_env

BASE_DIR = Path(portal_settings.BASE_DIR)


def test_the_warm_up_compiles_the_templates_and_asks_no_service():
    """No database access is allowed here (no `db` fixture): a query would fail the test."""
    names = warm()
    cached = set(engines["django"].engine.template_loaders[0].get_template_cache)
    assert set(names) <= cached
    assert [name for name in names if name.startswith("audit/")] == ["audit/audit_log.html"]
    assert "includes/suggestions.html" in names
    assert "django/forms/widgets/input.html" in names
    project = sorted(
        str(path.relative_to(BASE_DIR / "templates"))
        for path in (BASE_DIR / "templates").rglob("*")
        if path.is_file()
    )
    assert "django/forms/widgets/multiple_input.html" in project  # the project's own override
    assert set(project) <= set(names)
    forms = [name for name in project if name.startswith("django/forms/")]
    assert [name for name in names if not name.startswith("django/forms/")] == [
        name for name in project if name not in forms
    ]


def test_gunicorn_warms_up_once_in_its_master_before_it_forks_the_workers(tmp_path):
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "iqm_portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
            ],
            env=production_env(SITE_URL=f"http://127.0.0.1:{port}", ALLOWED_HOSTS="127.0.0.1"),
            cwd=BASE_DIR,  # where gunicorn finds gunicorn.conf.py, as in the image
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while log.read_text().count("Booting worker") < 2:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=10) as answer:
            assert answer.status == 200
    finally:
        process.terminate()
        process.wait(timeout=20)
    lines = log.read_text().splitlines()
    events = [
        "warmed" if "Warmed up:" in line else "worker"
        for line in lines
        if "Warmed up:" in line or "Booting worker" in line
    ]
    assert events == ["warmed", "worker", "worker"]
    warmed = next(line for line in lines if "Warmed up:" in line)
    assert re.fullmatch(r"Warmed up: \d+ templates compiled\.", warmed)
