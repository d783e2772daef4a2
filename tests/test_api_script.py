"""README's API script, run for real: curl against the live server with the world's admin's and
coordinator's tokens takes a new cycle from registration to submission to the mentor."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django_scopes import scopes_disabled

from accounts.tokens import create_token
from assessments.domain import answer_is_complete
from assessments.models import Cycle

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "api_example.sh"


def test_readme_shows_the_script_as_it_is():
    readme = (ROOT / "README.md").read_text()
    shown = re.search(r"<!-- scripts/api_example.sh -->\n```sh\n(.*?)```\n", readme, re.S)
    assert shown is not None, "README's API section shows scripts/api_example.sh"
    assert shown.group(1) == SCRIPT.read_text()


def run_script(world, live_server, *, can_write=True):
    """The script, for the world's other school (no cycle yet) and its coordinator."""
    admin, coordinator = world.people["authority_admin"], world.others["other_school_coordinator"]
    with scopes_disabled():
        admin_token = create_token(admin, world.authority, "script", can_write=can_write)[1]
        coordinator_token = create_token(coordinator, world.authority, "script", can_write=True)[1]
    env = {
        "PATH": os.environ["PATH"],
        "IQM_URL": live_server.url,
        "IQM_AUTHORITY": world.authority.slug,
        "ADMIN_TOKEN": admin_token,
        "COORDINATOR_TOKEN": coordinator_token,
        "SCHOOL": str(world.other_school.pk),
        "MENTOR": str(world.people["mentor"].pk),
    }
    return subprocess.run(["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)


needs_curl = pytest.mark.skipif(not shutil.which("curl"), reason="the script needs curl")


@needs_curl
def test_the_script_takes_a_cycle_to_the_mentor(world, live_server):
    coordinator = world.others["other_school_coordinator"]
    run = run_script(world, live_server)
    assert run.returncode == 0, run.stdout + run.stderr
    with scopes_disabled():
        cycle = Cycle.objects.get(school=world.other_school)
        elements = list(cycle.framework.elements.prefetch_related("descriptors"))
        answers = {a.element_id: a for a in cycle.answers.all()}
        assert cycle.state == Cycle.State.SUBMITTED
        assert cycle.submissions.count() == 1
        assert [answer_is_complete(answers.get(e.pk), e) for e in elements] == [True] * 10
        assert {a.updated_by for a in answers.values()} == {coordinator}
    assert run.stdout.splitlines()[0] == f"Registered: cycle {cycle.pk}"
    assert run.stdout.splitlines()[-1] == f"Cycle {cycle.pk}: submitted"


@needs_curl
def test_the_script_stops_at_an_error_and_shows_its_problem(world, live_server):
    run = run_script(world, live_server, can_write=False)
    assert run.returncode == 1, (run.stdout, run.stderr)
    curl, problem = run.stderr.splitlines()
    assert curl == "curl: (22) The requested URL returned error: 403"
    assert (run.stdout, json.loads(problem)["detail"]) == ("", "This token can only read.")
    with scopes_disabled():
        assert not Cycle.objects.filter(school=world.other_school).exists()
