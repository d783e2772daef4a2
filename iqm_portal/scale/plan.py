"""The shape of the scale data: how big each authority is, what each school's story is, and which
states its cycles are in. Numbers are given for the national scale (150 authorities, 24,000
schools) and scaled to the size asked for, so `--schools 1000` keeps the same proportions."""

import random
from dataclasses import dataclass

from accounts.models import Role
from assessments.models import Cycle
from assessments.workflow import NEXT_STATES, STEPS, Step

State = Cycle.State
Kind = Cycle.Kind

NATIONAL_SCHOOLS = 24_000
NATIONAL_AUDIT_ENTRIES = 1_000_000
# Authority sizes fall off as 1 / (rank + SKEW): with 150 authorities the largest holds 2.5% of the
# schools (600 of 24,000; 25 of 1,000) and the smallest about a tenth of that.
SKEW = 17.5


def apportion(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, in whole numbers that add up to it (largest
    remainder first; ties to the earlier)."""
    exact = [total * w / sum(weights) for w in weights]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def authority_sizes(authorities: int, schools: int) -> list[int]:
    return apportion(schools, [1 / (rank + SKEW) for rank in range(authorities)])


@dataclass(frozen=True)
class Story:
    """What has happened to a school, and how many of 24,000 schools it happened to."""

    name: str
    schools: int
    kind: Kind | None = None  # the kind of its cycle under way, if any


# 6,000 cycles under way; 5,520 schools holding an award (100 of them Flagship); the rest have
# never been assessed, or their award lapsed.
STORIES = {
    story.name: story
    for story in [
        Story("initial", 3700, Kind.INITIAL),  # its first assessment under way
        Story("reassessment", 1580, Kind.REASSESSMENT),  # a Quality Mark expiring; reassessed
        Story("first_excellence", 200, Kind.CENTRE_OF_EXCELLENCE),  # a Quality Mark; applying
        Story("excellence_review", 400, Kind.CENTRE_OF_EXCELLENCE),  # renewing
        Story("first_flagship", 60, Kind.FLAGSHIP),  # three years a Centre of Excellence
        Story("flagship_review", 60, Kind.FLAGSHIP),  # renewing
        Story("quality_mark", 3040),  # three in four of them decided in the portal
        Story("not_awarded", 240),  # decided in the portal: deferred or not awarded
        Story("centre_of_excellence", 140),  # renewed in the portal this year
        Story("flagship", 40),  # renewed in the portal this year
        Story("lapsed", 480),  # its Quality Mark expired: working towards it again
        Story("outside", 0),  # the rest: not (yet) in the scheme
    ]
}


def story_counts(schools: int) -> dict[str, int]:
    """How many of `schools` have each story, in proportion to the national numbers."""
    named = [s for s in STORIES.values() if s.schools]
    weights = [s.schools for s in named] + [NATIONAL_SCHOOLS - sum(s.schools for s in named)]
    counts = apportion(schools, weights)
    return dict(zip([s.name for s in named] + ["outside"], counts, strict=True))


def deal_stories(sizes: list[int], seed: int) -> list[list[tuple[str, State | None]]]:
    """Each authority's schools' (story, state): the showcase first in the largest authority,
    then the rest in the national proportions, shuffled across the country."""
    counts = story_counts(sum(sizes) - len(SHOWCASE))
    stories = [(name, None) for name, count in counts.items() for _ in range(count)]
    random.Random(f"{seed}:stories").shuffle(stories)
    stories = SHOWCASE + stories
    starts = [sum(sizes[:n]) for n in range(len(sizes))]
    return [stories[start : start + size] for start, size in zip(starts, sizes, strict=True)]


def urn(authority_number: int, school_number: int) -> str:
    """A school's URN: seven digits, unique in the country."""
    return str(1_000_000 + authority_number * 10_000 + school_number)


def forward_path(kind: Kind) -> list[State]:
    """The states a cycle of this kind goes through when nothing is returned, from the
    workflow's state machine."""
    path = [State.REGISTERED]
    while ahead := [s for s in NEXT_STATES[kind][path[-1]] if s not in path]:
        assert len(ahead) == 1, (kind, path[-1], ahead)
        path.append(ahead[0])
    return path


PATHS = {kind: forward_path(kind) for kind in Kind}


def step_into(kind: Kind, state: State) -> Step:
    """The workflow's step that brings a cycle of this kind into `state` on its forward path."""
    if state == State.REGISTERED:
        return STEPS["register"]
    source = PATHS[kind][PATHS[kind].index(state) - 1]
    return next(
        step
        for step in STEPS.values()
        if kind in step.kinds and source in step.sources and step.target == state
    )


# Of the cycles under way, how many in 100 are in each state: most in the self-review or building
# the portfolio, fewer at each step of moderation.
UNDER_WAY = {
    "assessment": {
        State.REGISTERED: 8,
        State.SELF_REVIEW: 30,
        State.SUBMITTED: 8,
        State.VALIDATED: 22,
        State.PORTFOLIO_SUBMITTED: 6,
        State.READY_FOR_VISIT: 6,
        State.VISIT_PLANNED: 10,
        State.REPORTED: 4,
        State.WITH_PANEL: 6,
    },
    "review": {
        State.REGISTERED: 10,
        State.ANNUAL_UPDATE: 40,
        State.UPDATE_SUBMITTED: 12,
        State.VISIT_PLANNED: 18,
        State.RATIFIED: 8,
        State.WITH_PANEL: 12,
    },
}
# Days from the step before to each state, on average.
DAYS_TO = {
    State.SELF_REVIEW: 10,
    State.SUBMITTED: 70,
    State.VALIDATED: 20,
    State.PORTFOLIO_SUBMITTED: 60,
    State.READY_FOR_VISIT: 10,
    State.VISIT_PLANNED: 7,
    State.REPORTED: 35,
    State.WITH_PANEL: 10,
    State.DECIDED: 14,
    State.ANNUAL_UPDATE: 14,
    State.UPDATE_SUBMITTED: 60,
    State.RATIFIED: 30,
}
VISIT_AFTER_PLANNING = 21  # days, on average, from planning a visit to the visit


def evidence_items(state: State) -> tuple[int, int]:
    """How many items a portfolio holds in this state (fewest, most)."""
    path = PATHS[Kind.INITIAL]
    if path.index(state) < path.index(State.SELF_REVIEW):
        return (0, 0)
    growing = {State.SELF_REVIEW: (0, 7), State.SUBMITTED: (3, 12), State.VALIDATED: (8, 38)}
    return growing.get(state, (13, 42))


# The largest authority (scale-001) begins with these schools, so that a bench finds a case of
# every kind in every state there, whatever the size: (story, the state of its latest cycle).
SHOWCASE = [
    *[("initial", state) for state in PATHS[Kind.INITIAL][:-1]],
    ("quality_mark", State.DECIDED),
    *[
        ("excellence_review" if n % 2 == 0 else "flagship_review", state)
        for n, state in enumerate(PATHS[Kind.CENTRE_OF_EXCELLENCE][:-1])
    ],
    ("centre_of_excellence", State.DECIDED),
]
PORTFOLIO_OF_100 = State.VALIDATED  # the showcase's validated case has exactly 100 items
SHOWCASE_ITEMS = 100

# The people of scale-001 whose sign-in a bench uses: (email's local part, role). The school staff
# work at every showcase school; the contributor has two elements of the self-review to write.
KNOWN_PEOPLE = [
    ("admin", Role.AUTHORITY_ADMIN),
    ("mentor", Role.MENTOR),
    ("moderator", Role.MODERATOR),
    ("moderator2", Role.MODERATOR),
    ("panel", Role.PANEL_MEMBER),
    ("chair", Role.PANEL_CHAIR),
    ("coordinator", Role.SCHOOL_COORDINATOR),
    ("head", Role.HEAD_TEACHER),
    ("contributor", Role.SCHOOL_CONTRIBUTOR),
]
PLATFORM_EMAIL = "platform@scale.test"


def slug(number: int) -> str:
    return f"scale-{number:03d}"
