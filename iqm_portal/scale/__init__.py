"""Scale data: a deterministic, realistic data set of national size for benchmarks
(`python manage.py generate_scale_data --authorities 150 --schools 24000 --seed 1`).

Authorities `scale-001` … `scale-150`, skewed in size (scale-001 the largest: 600 of 24,000
schools, 25 of 1,000), each with areas, staff in every role, a coordinator at every school and
each school's story (plan.py): about 6,000 cycles under way in every state of the workflow, 5,500
awards in force in every tier with their history, decided cycles, clusters, research, workshops,
150,000 evidence items, and an audit log of about a million entries; then each authority's list
is published. The same seed, size and day give the same data.

Every person's password is `iqm-demo-2026`. Those who need a second factor (admins, chairs,
moderators, the platform admin) have an authenticator app whose key is `totp_key(seed, email)`;
`second_factor_code(email)` is the code it shows now. A bench signs in each person once and keeps
the session: a code is refused the second time (use the next time step's code to sign in again).

Known people, in scale-001 (plan.KNOWN_PEOPLE): admin@, mentor@, moderator@, moderator2@, panel@,
chair@, coordinator@, head@ and contributor@scale-001.test, and platform@scale.test. scale-001
begins with the showcase schools (plan.SHOWCASE), found by `showcase_cases()`: an initial
assessment in each state (the validated one with a portfolio of exactly 100 items), a Centre of
Excellence or Flagship review in each state, and a decided case of each; the known mentor mentors
them, the known moderators visit them, and the known school staff work at all of them.

Rows are written by `bulk.BulkWriter` (COPY, under row-level security) one authority at a time,
and committed every few thousand schools. Dates are relative to the day it runs.
"""

import random
import time
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django_otp.oath import TOTP
from django_scopes import scope, scopes_disabled

from accounts.models import Membership, Role, User
from accounts.two_factor import APP_NAME
from assessments.domain import DEFAULT_FRAMEWORK
from assessments.frameworks import parse_framework
from assessments.models import Answer, Cycle, MentorReview, Target
from audit.models import AuditEntry
from authorities.models import Authority
from authorities.rls import as_owner
from awards.domain import awards_in_force
from awards.models import Award
from clusters.models import Cluster
from iqm_portal.bulk import BulkWriter
from iqm_portal.demo import DEMO_PASSWORD
from moderation.models import Ballot, Decision, Report, Visit, VisitNote
from portfolios.models import EvidenceItem
from publishing.domain import publish
from publishing.models import Publication, PublishedSchool
from reviews.models import Ratification, Update
from schools.models import Area, School
from workshops.models import Booking, Workshop

from . import texts
from .build import AuthorityBuilder, totp_key
from .plan import (
    KNOWN_PEOPLE,
    NATIONAL_AUDIT_ENTRIES,
    NATIONAL_SCHOOLS,
    PLATFORM_EMAIL,
    SHOWCASE,
    apportion,
    authority_sizes,
    deal_stories,
    slug,
    urn,
)

SCALE_PASSWORD = DEMO_PASSWORD
SCHOOLS_PER_COMMIT = 3000  # a transaction's worth: the foreign keys are checked at each commit
# What the summary counts.
COUNTED = [
    Authority,
    Area,
    School,
    User,
    Membership,
    Cycle,
    Answer,
    MentorReview,
    Target,
    EvidenceItem,
    Visit,
    VisitNote,
    Report,
    Update,
    Ratification,
    Ballot,
    Decision,
    Award,
    Cluster,
    Workshop,
    Booking,
    Publication,
    PublishedSchool,
    AuditEntry,
]


class ScaleError(Exception):
    """The data cannot be made as asked; the message says why."""


def known_emails() -> list[tuple[str, str]]:
    """(email, role) of the people a bench signs in as."""
    return [(f"{local}@{slug(1)}.test", Role(role).label) for local, role in KNOWN_PEOPLE] + [
        (PLATFORM_EMAIL, "Platform admin")
    ]


def second_factor_code(email: str, seed: int = 1) -> str:
    """The code the person's authenticator app shows now."""
    totp = TOTP(bytes.fromhex(totp_key(seed, email)))
    return str(totp.token()).zfill(6)


def showcase_cases() -> list[Cycle]:
    """scale-001's showcase cycles, in plan.SHOWCASE's order."""
    with scopes_disabled():
        authority = Authority.objects.get(slug=slug(1))
        urns = [urn(1, n) for n in range(1, len(SHOWCASE) + 1)]
        cycles = {
            c.school.urn: c
            for c in Cycle.objects.filter(authority=authority, school__urn__in=urns)
            .select_related("school")
            .order_by("created_at")
        }
        return [cycles[number] for number in urns]


@dataclass
class Summary:
    seconds: float
    counts: dict  # model label -> rows
    states: dict  # cycle state -> cycles
    tiers: dict  # tier -> awards in force
    largest: tuple  # (slug, schools)


def generate(*, authorities: int, schools: int, seed: int, reset=False, say=print) -> Summary:
    """Make the data set in an empty database (`reset`: flush it first), saying how far it has
    got after each transaction; ScaleError when it cannot."""
    started = time.monotonic()
    if connection.vendor != "postgresql":
        raise ScaleError("The scale data is written with PostgreSQL's COPY: set DATABASE_URL.")
    sizes = authority_sizes(authorities, schools)
    if sizes[0] < len(SHOWCASE):
        raise ScaleError(
            f"The largest authority would have {sizes[0]} schools; it needs at least "
            f"{len(SHOWCASE)} for the showcase cases: ask for more schools or fewer authorities."
        )
    with scopes_disabled():
        if reset:
            call_command("flush", interactive=False, verbosity=0)
        elif Authority.objects.exists() or User.objects.exists():
            raise ScaleError(
                "The database already holds data: run with --reset to flush it first "
                "(everything in it is deleted)."
            )
        now = timezone.now().replace(microsecond=0)
        password = make_password(SCALE_PASSWORD)
        made = _authorities(sizes, seed)
        stories = deal_stories(sizes, seed)
        framework = parse_framework(DEFAULT_FRAMEWORK.read_bytes())
        audit_targets = apportion(round(NATIONAL_AUDIT_ENTRIES * schools / NATIONAL_SCHOOLS), sizes)
        writer, guest = BulkWriter(), None
        work = list(enumerate(zip(made, stories, audit_targets, strict=True)))
        for batch in _batches(work):
            with transaction.atomic():
                for index, (authority, its_stories, audit_entries) in batch:
                    builder = AuthorityBuilder(
                        writer,
                        authority=authority,
                        number=index + 1,
                        stories=its_stories,
                        seed=seed,
                        now=now,
                        password=password,
                        framework=framework,
                        guest=guest,
                    )
                    guest = builder.build()
                    # Publishing the list writes one more entry.
                    builder.security_log(max(0, audit_entries - builder.audit_entries - 1))
                writer.flush()
            done = sum(sizes[: index + 1])
            say(f"  {authority.slug}: {done:,} schools, {_since(started)}")
        # Whatever the cache holds is of other data (published lists are cached by authority id
        # and version, which the new data reuses).
        cache.clear()
        _platform_admin(password, seed, now)
        _publish(made)
        say(f"  lists published, {_since(started)}")
        with as_owner(), connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # the planner's statistics, for a bench run at once
        return _summary(started, made[0].slug, sizes[0])


def _batches(authorities) -> list[list]:
    """Authorities in turn, grouped into transactions of about SCHOOLS_PER_COMMIT schools."""
    batches, schools = [[]], 0
    for entry in authorities:
        if schools >= SCHOOLS_PER_COMMIT:
            batches.append([])
            schools = 0
        batches[-1].append(entry)
        schools += len(entry[1][1])
    return batches


@transaction.atomic
def _publish(authorities):
    """Each authority's list, published by its admin as the portal publishes it."""
    for authority in authorities:
        with scope(authority=authority):
            admin = Membership.objects.filter(role=Role.AUTHORITY_ADMIN).first().user
            publish(authority, by=admin)


def _since(started) -> str:
    return f"{time.monotonic() - started:.0f} s"


def _authorities(sizes, seed) -> list[Authority]:
    rng = random.Random(f"{seed}:authorities")
    names: list[str] = []
    while len(names) < len(sizes):
        name = (
            f"{rng.choice(texts.PLACE_STARTS)}{rng.choice(texts.PLACE_ENDS)} "
            f"{rng.choice(texts.AUTHORITY_KINDS)}"
        )
        if name not in names:
            names.append(name)
    return Authority.objects.bulk_create(
        Authority(name=name, slug=slug(number)) for number, name in enumerate(names, start=1)
    )


@transaction.atomic
def _platform_admin(password, seed, now):
    user = User.objects.create(
        email=PLATFORM_EMAIL,
        full_name="Pat Platform",
        password=password,
        is_staff=True,
        is_superuser=True,
        date_joined=now,
        second_factor_offered_at=now,
    )
    user.totpdevice_set.create(name=APP_NAME, key=totp_key(seed, PLATFORM_EMAIL))


def _summary(started, largest, size) -> Summary:
    counts = {model._meta.label: model.objects.count() for model in COUNTED}
    states = dict(Cycle.objects.values_list("state").annotate(n=Count("pk")).order_by("state"))
    tiers = dict(awards_in_force().values_list("tier").annotate(n=Count("pk")).order_by("tier"))
    return Summary(time.monotonic() - started, counts, states, tiers, (largest, size))
