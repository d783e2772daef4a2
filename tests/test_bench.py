"""The pieces of `make bench` and `make load` (iqm_portal/bench/), each on its own: budgets, tables,
the growth check, signing in through the real session store, the autosave's versions, the floor,
the client at a fixed concurrency, and reading locust's statistics. No full run: that is
`make bench`'s."""

import fcntl
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import ApiToken, Role, UserSession
from assessments.models import Answer, Cycle
from iqm_portal.bench import budgets, data, load
from iqm_portal.bench.budgets import Kind, Result, Timings
from iqm_portal.bench.pages import (
    PAGES_BY_KEY,
    Autosave,
    Call,
    Credentials,
    Missing,
    Visitors,
    find_authority,
    find_subjects,
    person,
    sign_in,
)
from iqm_portal.bench.runner import _client, count_queries, hammer, in_process, plan
from iqm_portal.bench.turns import Turns

from .assessment_helpers import complete_self_review
from .factories import SchoolFactory


def timings(median_ms, p95_ms, errors=0):
    return Timings(median_ms=median_ms, p95_ms=p95_ms, per_second=100.0, requests=50, errors=errors)


def result(median_ms, p95_ms=None, *, kind=Kind.PAGE, queries=5, errors=0, floor_ms=1.0):
    return Result(
        key="page",
        name="a page",
        role="mentor",
        path="/x/",
        kind=kind,
        timings=timings(median_ms, p95_ms or median_ms, errors),
        floor=timings(floor_ms, floor_ms),
        queries=queries,
    )


# Budgets ------------------------------------------------------------------------------------


def test_percentile_is_the_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert budgets.percentile(values, 0.95) == 95.0
    assert budgets.percentile(values, 0.5) == 50.0
    assert budgets.percentile([3.0], 0.95) == 3.0
    assert budgets.percentile([5.0, 1.0, 4.0, 2.0, 3.0], 0.95) == 5.0


def test_timings_from_request_times():
    measured = Timings.of([0.001, 0.002, 0.003, 0.004], wall=0.5, errors=1)
    assert measured == Timings(median_ms=2.5, p95_ms=4.0, per_second=8.0, requests=4, errors=1)


def test_a_page_within_every_budget_passes():
    assert result(30.0, 100.0, queries=12).misses() == []


def test_each_budget_missed_is_said():
    assert result(30.5).misses() == ["median 30.5× the floor (budget 30×)"]
    assert result(10.0, 100.5).misses() == ["p95 100.5× the floor (budget 100×)"]
    assert result(10.0, queries=13).misses() == ["13 queries (budget 12)"]
    assert result(10.0, queries=None).misses() == ["None queries (budget 12)"]
    assert result(10.0, errors=2).misses() == ["2 of 50 answers failed"]


def test_autosave_and_cached_pages_have_tighter_medians():
    assert result(20.0, kind=Kind.AUTOSAVE).misses() == []
    assert result(21.0, kind=Kind.AUTOSAVE).misses() == ["median 21.0× the floor (budget 20×)"]
    assert result(5.0, kind=Kind.CACHED).misses() == []
    assert result(6.0, kind=Kind.CACHED).misses() == ["median 6.0× the floor (budget 5×)"]


def test_times_are_judged_in_floors():
    assert result(60.0, floor_ms=2.0).misses() == []
    assert result(60.0, floor_ms=1.9).misses() == ["median 31.6× the floor (budget 30×)"]


def test_table():
    passed = result(12.0, 30.0)
    failed = Result(
        key="portfolio",
        name="portfolio",
        role="school_coordinator",
        path="/p/",
        kind=Kind.PAGE,
        timings=timings(40.0, 90.0),
        floor=timings(1.0, 1.2),
        queries=14,
        note="100 items",
    )
    assert budgets.table([passed, failed]).splitlines() == [
        "| page | role | median ms | p95 ms | req/s | × floor median | p95 × floor | queries "
        "| budget ok |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        "| a page | mentor | 12.0 | 30.0 | 100 | 12.0 | 30.0 | 5 | yes |",
        "| portfolio (100 items) | school_coordinator | 40.0 | 90.0 | 100 | 40.0 | 90.0 | 14 "
        "| NO: median 40.0× the floor (budget 30×); 14 queries (budget 12) |",
    ]


def test_a_result_survives_its_json():
    original = result(12.0, 30.0, kind=Kind.CACHED)
    assert Result.from_dict(original.as_dict()) == original


def test_growth_is_measured_in_floors_and_queries():
    small = [
        result(10.0, floor_ms=1.0),
        Result(**{**result(10.0).__dict__, "key": "other"}),
        Result(**{**result(10.0).__dict__, "key": "third"}),
    ]
    large = [
        # Twice as slow a machine: the same page, in floors, has grown by a quarter.
        result(25.0, floor_ms=2.0),
        Result(**{**result(13.0).__dict__, "key": "other"}),
        Result(**{**result(10.0, queries=6).__dict__, "key": "third"}),
    ]
    rows = budgets.growth(small, large)
    assert [(row.key, row.misses()) for row in rows] == [
        ("page", []),
        ("other", ["median +30%"]),
        ("third", ["queries 5 → 6"]),
    ]
    assert rows[0].ratio == pytest.approx(0.25)
    assert budgets.growth_table(rows, "1,000 schools", "24,000 schools").splitlines() == [
        "| page | role | median × floor, 1,000 schools | median × floor, 24,000 schools | growth "
        "| queries | budget ok |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
        "| a page | mentor | 10.0 | 12.5 | +25% | 5 → 5 | yes |",
        "| a page | mentor | 10.0 | 13.0 | +30% | 5 → 5 | NO: median +30% |",
        "| a page | mentor | 10.0 | 10.0 | +0% | 5 → 6 | NO: queries 5 → 6 |",
    ]


def test_a_page_measured_only_once_is_not_compared():
    assert budgets.growth([result(10.0)], [Result(**{**result(10.0).__dict__, "key": "new"})]) == []


def run_json(schools, *results):
    return {"schools": schools, "results": [r.as_dict() for r in results]}


def test_the_growth_check_compares_two_runs_json(tmp_path):
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    small.write_text(json.dumps(run_json(1000, result(10.0))))
    large.write_text(json.dumps(run_json(24000, result(12.5))))
    out = StringIO()
    call_command("bench", "--growth", str(small), str(large), stdout=out)
    assert out.getvalue().splitlines()[2] == (
        "| a page | mentor | 10.0 | 12.5 | +25% | 5 → 5 | yes |"
    )
    large.write_text(json.dumps(run_json(24000, result(12.6))))
    with pytest.raises(CommandError, match=r"^Grew .* large: page \(median \+26%\)$"):
        call_command("bench", "--growth", str(small), str(large), stdout=StringIO())


# Signing in ---------------------------------------------------------------------------------


def with_session(client, key):
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    return client


@pytest.mark.parametrize("role", [Role.AUTHORITY_ADMIN, Role.SCHOOL_COORDINATOR])
def test_a_bench_session_opens_the_persons_pages(client, world, role):
    """A person who needs a second factor (the admin) is verified as the code page verifies them;
    one who does not (the coordinator) is signed in with the password alone."""
    user = world.people[role.value]
    key = sign_in(user)
    with scopes_disabled():
        assert UserSession.objects.get(session_key=key).user_id == user.pk
    response = with_session(client, key).get(reverse("dashboard", args=["bathnes"]))
    assert response.status_code == 200
    assert response.context["user"] == user


def test_without_the_bench_the_admin_would_owe_a_second_factor(client, world):
    client.force_login(world.people["authority_admin"], second_factor=False)
    response = client.get(reverse("dashboard", args=["bathnes"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:set_up"))


def test_visitors_leave_ending_their_sessions_and_revoking_their_token(client, world):
    visitors = Visitors(world.authority)
    admin = world.people["authority_admin"]
    session = visitors.credentials(admin)
    token = visitors.credentials(admin, token_for="api-schools")
    assert visitors.credentials(admin) is session  # one session a person
    response = client.get(reverse("api:school-list", args=["bathnes"]), headers=token.headers())
    assert response.status_code == 200
    visitors.leave()
    with scopes_disabled():
        assert not UserSession.objects.filter(session_key=session.session_key).exists()
        assert ApiToken.objects.get(user=admin).revoked_at is not None
    response = with_session(client, session.session_key).get(reverse("dashboard", args=["bathnes"]))
    assert response.status_code == 302


# Pages and requests -------------------------------------------------------------------------


def test_the_largest_authority_is_the_default(world):
    SchoolFactory(authority=world.authority)
    assert find_authority().slug == "bathnes"
    assert find_authority("outsider").slug == "outsider"
    with pytest.raises(Missing):
        find_authority("nowhere")


def test_pages_without_data_to_show_them_are_set_aside(world):
    subjects = find_subjects(world.authority)
    assert subjects.cycles["self_review"] == world.cycle
    assert "panel" not in subjects.cycles
    work = plan(subjects, Visitors(world.authority), [PAGES_BY_KEY[k] for k in ("cycle", "panel")])
    assert [page.key for page, _ in work.calls] == ["cycle"]
    assert work.missing == {"panel": "no cycle for the panel page"}


def test_each_page_is_opened_by_someone_of_its_cycle(world):
    subjects = find_subjects(world.authority)
    assert (
        person(subjects, Role.SCHOOL_COORDINATOR, world.cycle)
        == (world.people["school_coordinator"])
    )
    assert person(subjects, Role.MENTOR, world.cycle) == world.people["mentor"]
    # The panel member with a declared conflict is never chosen.
    chosen = person(subjects, Role.PANEL_MEMBER, world.cycle)
    assert chosen != world.others["conflicted_panel_member"]


def test_queries_are_counted_in_process_as_the_tests_count_them(
    client, world, django_assert_num_queries
):
    subjects = find_subjects(world.authority)
    call = PAGES_BY_KEY["cycle"].call(subjects, Visitors(world.authority))
    queries, status = count_queries(call)
    assert status == 200
    with django_assert_num_queries(queries):
        response = with_session(client, call.credentials.session_key).get(call.path)
    assert response.status_code == 200


def test_a_page_with_a_query_sends_it(world):
    subjects = find_subjects(world.authority)
    call = PAGES_BY_KEY["api-cycles-20"].call(subjects, Visitors(world.authority))
    assert call.path == f"{reverse('api:cycle-list', args=['bathnes'])}?page_size=20"
    response = in_process(call.request())
    assert response.status_code == 200
    assert response.wsgi_request.GET["page_size"] == "20"
    with scopes_disabled():
        cycles = Cycle.objects.filter(authority=world.authority).count()
    assert response.json()["count"] == cycles
    assert len(response.json()["results"]) == min(cycles, 20)


def test_in_process_requests_carry_only_their_own_cookies(world):
    subjects = find_subjects(world.authority)
    signed_in = PAGES_BY_KEY["cycle"].call(subjects, Visitors(world.authority))
    assert in_process(signed_in.request()).wsgi_request.user == world.people["school_coordinator"]
    _client().cookies[settings.SESSION_COOKIE_NAME] = signed_in.credentials.session_key
    public = in_process(Call(reverse("directory:search"), Credentials()).request())
    assert public.status_code == 200
    assert not public.wsgi_request.user.is_authenticated


def test_autosaves_send_the_version_each_save_returns(world):
    complete_self_review(world)
    subjects = find_subjects(world.authority)
    call = PAGES_BY_KEY["autosave"].call(subjects, Visitors(world.authority))
    assert isinstance(call, Autosave)
    element = call.element(0)
    with scopes_disabled():
        before = Answer.objects.get(cycle=world.cycle, element=element)
    for _ in range(2):  # each request made afresh from the saved answer
        assert in_process(call.request(0)).status_code == 200
    with scopes_disabled():
        after = Answer.objects.get(cycle=world.cycle, element=element)
    assert after.version == before.version + 2
    assert (after.practice, after.rating, after.ratings) == (
        before.practice,
        before.rating,
        before.ratings,
    )
    assert call.element(1) != element  # the second client saves another element


@pytest.mark.urls("iqm_portal.bench.floor")
def test_the_floor_answers_ok_through_the_portals_middleware(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "Content-Security-Policy" in response  # the portal's middleware ran


# The client ----------------------------------------------------------------------------------


class Alternating(BaseHTTPRequestHandler):
    """200, then 500, then 200...: closing each connection, as gunicorn's sync workers do."""

    served = 0
    lock = threading.Lock()

    def do_GET(self):  # noqa: N802 (http.server's name)
        with self.lock:
            Alternating.served += 1
            status = 200 if Alternating.served % 2 else 500
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_hammer_sends_the_count_asked_and_counts_failures():
    Alternating.served = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Alternating)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        measured = hammer(
            server.server_port, Call("/", Credentials()), requests=40, seconds=30
        ).timings()
    finally:
        server.shutdown()
    assert (measured.requests, measured.errors, Alternating.served) == (40, 20, 40)
    assert 0 < measured.median_ms <= measured.p95_ms


def test_two_runs_take_turns_one_round_each(tmp_path):
    """Each holds its turn until the other waits for one, while the other has turns left: the
    lock then goes to the one that did not have the last turn, every time."""
    small, large = Turns(tmp_path, "small"), Turns(tmp_path, "large")
    left, order = {"small": 3, "large": 3}, []

    def run(me, other):
        for _ in range(3):
            with me():
                order.append(me.name)
                left[me.name] -= 1
                deadline = time.monotonic() + 30
                while left[other.name] and not me._others_waiting():
                    assert time.monotonic() < deadline, "the other run never asked for a turn"
                    time.sleep(0.001)

    threads = [threading.Thread(target=run, args=pair) for pair in [(small, large), (large, small)]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert order in (["small", "large"] * 3, ["large", "small"] * 3)


def test_a_claim_nobody_holds_is_not_waited_for_and_a_held_one_is(tmp_path):
    """A run that stopped leaves its claim file, unlocked: the other, though it had the last
    turn, goes on. A run waiting holds its claim locked: the other lets it go first."""
    small, large = Turns(tmp_path, "small"), Turns(tmp_path, "large")
    large.waiting.touch()
    small.last.write_text("small")

    def take_turn():
        with small():
            pass

    alone = threading.Thread(target=take_turn)
    alone.start()
    alone.join(timeout=30)
    assert not alone.is_alive() and small.last.read_text() == "small"

    with open(large.waiting) as claim:
        fcntl.flock(claim, fcntl.LOCK_SH)  # large waits for a turn
        deferring = threading.Thread(target=take_turn)
        deferring.start()
        deferring.join(timeout=0.5)
        assert deferring.is_alive()  # small had the last turn: it waits for large to go first
        with large():  # large has its turn, under the lock as a run would
            pass
    deferring.join(timeout=30)
    assert not deferring.is_alive() and small.last.read_text() == "small"


# make load -----------------------------------------------------------------------------------


STATS = """\
Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,\
Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,\
90%,95%,98%,99%,99.9%,99.99%,100%
GET,autosave,1000,1,20,22.1,5,90,400,16.6,0.01,20,22,25,27,30,35,40,60,90,90,90
GET,public list,2000,1,8,9.0,2,50,9000,33.3,0.01,8,9,10,10,12,15,20,30,50,50,50
,Aggregated,3000,2,10,13.0,2,90,6000,50.0,0.03,10,12,14,16,20,30,36,50,90,90,90
"""


def test_locust_statistics_are_read_and_judged(tmp_path):
    (tmp_path / "load_stats.csv").write_text(STATS)
    rows, total = load.read_stats(tmp_path / "load_stats.csv")
    assert [(row.name, row.requests, row.failures, row.p95_ms) for row in rows] == [
        ("autosave", 1000, 1, 35.0),
        ("public list", 2000, 1, 15.0),
    ]
    assert (total.requests, total.failures) == (3000, 2)
    assert load.verdict(rows, total, floor_ms=0.4) == []
    assert load.verdict(rows, total, floor_ms=0.3) == ["autosave: p95 35 ms > 30 ms"]
    failing = load.Row("Aggregated", 3000, 4, 10.0, 30.0)
    assert load.verdict(rows, failing, floor_ms=0.4) == [
        "4 of 3000 requests failed (more than 0.1%)"
    ]
    assert load.table(rows, total, 0.4).splitlines()[2:] == [
        "| autosave | 1000 | 1 | 20 | 35 | 88 | yes |",
        "| public list | 2000 | 1 | 8 | 15 | 38 | yes |",
        "| Aggregated | 3000 | 2 | 10 | 30 | 75 | yes |",
    ]
    assert load.table(rows, failing, 0.4).splitlines()[-1] == (
        "| Aggregated | 3000 | 4 | 10 | 30 | 75 | NO: 4 of 3000 requests failed (more than 0.1%) |"
    )


# The bench's databases -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_database_holding_other_data_is_refused_not_dropped():
    with pytest.raises(data.NotOurs):
        data.prepare("--schools 10")
    with scopes_disabled():
        assert UserSession.objects.count() == 0  # the database is still there, and answers
