"""`make bench-directory`: how fast the national directory answers with 24,000 published schools.

It publishes made-up lists for a few throwaway authorities (slugs starting "bench-directory-") in
the database it runs against, times the directory's queries, and removes all it made, whatever
happens. Figures are medians over --runs, after one warm-up run each.
"""

import random
from datetime import date, timedelta

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Q
from django.test.client import QueryDict
from django.utils import timezone
from django_scopes import scopes_disabled

from authorities.models import Authority
from awards.models import Tier
from publishing import directory
from publishing.models import Publication, PublishedSchool
from reports.bench import median_seconds
from schools.models import School

SLUG_PREFIX = "bench-directory-"
PLACES = [
    "Abbey",
    "Ashcroft",
    "Beechwood",
    "Brook",
    "Castle",
    "Cedar",
    "Church",
    "Elm",
    "Fairfield",
    "Glebe",
    "Hill",
    "Holy Trinity",
    "Kings",
    "Lime",
    "Manor",
    "Meadow",
    "Mill",
    "Moor",
    "Oak",
    "Orchard",
    "Park",
    "Priory",
    "Queens",
    "Riverside",
    "St Mary's",
    "St John's",
    "Station",
    "Valley",
    "Willow",
    "Wood",
]
KINDS = {
    School.Phase.NURSERY: "Nursery",
    School.Phase.INFANT: "Infant School",
    School.Phase.JUNIOR: "Junior School",
    School.Phase.PRIMARY: "Primary School",
    School.Phase.SECONDARY: "Academy",
    School.Phase.ALL_THROUGH: "All-Through School",
    School.Phase.SPECIAL: "Special School",
    School.Phase.ALTERNATIVE: "Learning Centre",
}
# Roughly the national mix: most schools hold the Quality Mark, a few are Flagship.
TIER_WEIGHTS = {Tier.QUALITY_MARK: 80, Tier.CENTRE_OF_EXCELLENCE: 16, Tier.FLAGSHIP: 4}
PHASE_WEIGHTS = {
    School.Phase.PRIMARY: 60,
    School.Phase.INFANT: 6,
    School.Phase.JUNIOR: 5,
    School.Phase.SECONDARY: 18,
    School.Phase.ALL_THROUGH: 2,
    School.Phase.SPECIAL: 5,
    School.Phase.NURSERY: 2,
    School.Phase.ALTERNATIVE: 2,
}


def publish_made_up_schools(count: int, authorities: int, seed: int = 7) -> list[PublishedSchool]:
    """`count` published schools spread over `authorities` new authorities, each with a current
    list.

    Names, areas, tiers, phases and places (within England) are drawn from a seeded generator, so
    the same arguments make the same schools.
    """
    draw = random.Random(seed)
    now = timezone.now()
    with scopes_disabled(), transaction.atomic():
        publications = []
        for n in range(authorities):
            authority = Authority.objects.create(
                name=f"Bench Directory Council {n + 1}", slug=f"{SLUG_PREFIX}{n + 1}"
            )
            publications.append(
                Publication.objects.create(
                    authority=authority,
                    version=1,
                    published_at=now,
                    content={"areas": [], "working_towards": []},
                )
            )
        rows = []
        for n in range(count):
            publication = publications[n % authorities]
            phase = draw.choices(list(PHASE_WEIGHTS), weights=list(PHASE_WEIGHTS.values()))[0]
            awarded_on = date(2023, 1, 1) + timedelta(days=draw.randrange(1000))
            rows.append(
                PublishedSchool(
                    publication=publication,
                    authority_id=publication.authority_id,
                    urn=str(100000 + n),
                    name=f"{draw.choice(PLACES)} {KINDS[phase]} {n + 1}",
                    area=f"Area {draw.randrange(8) + 1}",
                    phase=phase,
                    tier=draw.choices(list(TIER_WEIGHTS), weights=list(TIER_WEIGHTS.values()))[0],
                    awarded_on=awarded_on,
                    expires_on=awarded_on + timedelta(days=3 * 365),
                    latitude=round(draw.uniform(50.2, 55.5), 5),
                    longitude=round(draw.uniform(-5.2, 1.6), 5),
                )
            )
        return PublishedSchool.objects.bulk_create(rows, batch_size=2000)


def remove_made_up_schools():
    with scopes_disabled(), transaction.atomic():
        made = Q(authority__slug__startswith=SLUG_PREFIX)
        PublishedSchool.objects.filter(made).delete()
        Publication.objects.filter(made).delete()
        Authority.objects.filter(slug__startswith=SLUG_PREFIX).delete()


def median_ms(run, runs: int) -> float:
    return median_seconds(run, runs) * 1000


def whole_page(query: str):
    """The directory page's queries, as the view makes them (the rows of one page read in full)."""

    def run():
        results = directory.find(QueryDict(query))
        list(results.page.object_list)

    return run


class Command(BaseCommand):
    help = (
        "Time the national directory's search, filters, counts and nearest schools over 24,000 "
        "published schools."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schools", type=int, default=24000)
        parser.add_argument("--authorities", type=int, default=6)
        parser.add_argument("--runs", type=int, default=15, help="Runs per figure.")

    def handle(self, *args, schools, authorities, runs, **options):
        remove_made_up_schools()  # left by an interrupted run
        try:
            made = publish_made_up_schools(schools, authorities)
            if connection.vendor == "postgresql":
                # As autovacuum would have by the time anyone searches: statistics made, and the
                # rows just added merged into the trigram index (until then it scans them one by
                # one).
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE publishing_publishedschool")
            flagship = next(row for row in made if row.tier == Tier.FLAGSHIP)
            total = directory.count_by_tier(directory.current_schools()).total
            self.stdout.write(
                f"{total:,} current published schools in the directory ({connection.vendor}); "
                f"median of {runs} runs:"
            )
            figures = {
                "the unfiltered page": whole_page(""),
                "a name search ('oak')": whole_page("name=oak"),
                "a rare name search ('trinity junior')": whole_page("name=trinity+junior"),
                "a tier and phase filter": whole_page("tier=flagship&phase=secondary"),
                "the national counts per tier *": lambda: directory.count_by_tier(
                    directory.current_schools()
                ),
                "the form's choices *": directory.choice_rows,
                "nearest schools of each tier": lambda: directory.nearest_by_tier(flagship),
            }
            for label, run in figures.items():
                self.stdout.write(f"  {label:<40} {median_ms(run, runs):8.1f} ms")
            self.stdout.write(
                "* made once for each set of publications, then cached: the page figures read "
                "them from the cache"
            )
        finally:
            remove_made_up_schools()
