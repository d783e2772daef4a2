"""`manage.py bench`: the key pages under gunicorn beside a bare Django view (iqm_portal/bench/)."""

import json
import signal
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from iqm_portal.bench import budgets, data
from iqm_portal.bench.pages import (
    PAGES,
    PAGES_BY_KEY,
    Missing,
    Visitors,
    find_authority,
    find_subjects,
)
from iqm_portal.bench.runner import measure, profile
from iqm_portal.bench.turns import Turns, alone
from schools.models import School


class Command(BaseCommand):
    help = (
        "Measure the key pages under gunicorn (3 sync workers) at a concurrency of 2, each beside "
        "a bare Django view, against the data in the database; print a Markdown table and exit "
        "non-zero when a page misses a budget."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--generate",
            metavar="ARGS",
            help="First make sure the database holds the data set of `generate_scale_data ARGS` "
            "(made anew unless this database already holds it: iqm_portal/bench/data.py). The "
            "cache is emptied: give the bench a database and a Redis database of its own.",
        )
        parser.add_argument(
            "--authority", help="The authority's slug (default: the one with the most schools)."
        )
        parser.add_argument(
            "--pages", help=f"Only these pages, comma-separated: {', '.join(PAGES_BY_KEY)}."
        )
        # 400 a page: a page's growth in floors, measured with 200, moved by up to 28 points
        # from one run of the same code to the next on these machines.
        parser.add_argument("--requests", type=int, default=400, help="Requests per page.")
        parser.add_argument(
            "--seconds", type=float, default=8.0, help="At most this long per page."
        )
        parser.add_argument("--json", type=Path, help="Write the results here as JSON.")
        parser.add_argument(
            "--port",
            type=int,
            default=0,
            help="The portal's port, the floor's the next (default: free ports).",
        )
        parser.add_argument(
            "--allow-missing",
            action="store_true",
            help="Pass although the data has nothing to show some pages on.",
        )
        parser.add_argument(
            "--turns",
            type=Path,
            metavar="FOLDER",
            help="Take turns with the other runs given the same folder, a round of a page each, "
            "so that their results compare moments apart (iqm_portal/bench/turns.py).",
        )
        parser.add_argument(
            "--profile",
            metavar="PAGE",
            help="Profile one page in-process instead, and say where its time goes.",
        )
        parser.add_argument(
            "--growth",
            nargs=2,
            type=Path,
            metavar=("SMALL_JSON", "LARGE_JSON"),
            help="Compare two runs' JSON instead: no page's median may grow more than "
            f"{budgets.MAX_GROWTH:.0%}.",
        )

    def handle(self, *args, **options):
        if options["growth"]:
            return self.growth(*options["growth"])
        name = Path(str(settings.DATABASES["default"]["NAME"])).name
        turn = Turns(options["turns"], name) if options["turns"] else alone
        # A TERM (make stopped, a timeout) stops the run as Ctrl-C would: its servers stopped and
        # its visitors gone, through the `finally`s below.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"{name}: stopped"))
        with turn():
            if options["generate"]:
                try:
                    data.prepare(
                        options["generate"], log=lambda line: self.stderr.write(f"{name}: {line}")
                    )
                except data.NotOurs as why:
                    raise CommandError(str(why)) from None
            try:
                authority = find_authority(options["authority"])
            except Missing as why:
                raise CommandError(f"There is {why}.") from None
            subjects = find_subjects(authority)
            visitors = Visitors(authority)
        try:
            if options["profile"]:
                return self.profile(options["profile"], subjects, visitors)
            pages = self.pages(options["pages"])
            results, missing = measure(
                subjects,
                visitors,
                pages,
                requests=options["requests"],
                seconds=options["seconds"],
                portal_port=options["port"],
                floor_port=options["port"] + 1 if options["port"] else 0,
                progress=lambda line: self.stderr.write(f"{name}: {line}"),
                turn=turn,
            )
        finally:
            with turn():
                visitors.leave()
        self.report(authority, results, missing, options)

    def pages(self, keys):
        if not keys:
            return PAGES
        unknown = [key for key in keys.split(",") if key not in PAGES_BY_KEY]
        if unknown:
            raise CommandError(f"Unknown pages: {', '.join(unknown)}.")
        return [PAGES_BY_KEY[key] for key in keys.split(",")]

    def profile(self, key, subjects, visitors):
        page = self.pages(key)[0]
        try:
            call = page.call(subjects, visitors)
        except Missing as why:
            raise CommandError(f"{key}: {why}.") from None
        self.stdout.write(profile(call))

    def report(self, authority, results, missing, options):
        with scopes_disabled():
            schools = School.objects.count()
        self.stdout.write(
            f"\n{authority.name} ({authority.school_count} of {schools:,} schools), "
            f"{budgets.CONCURRENCY} at once:\n\n{budgets.table(results)}\n"
        )
        for key, why in missing.items():
            self.stdout.write(f"Not measured: {key} ({why}).")
        failed = [result for result in results if result.misses()]
        if options["json"]:
            options["json"].write_text(
                json.dumps(
                    {
                        "authority": authority.slug,
                        "authority_schools": authority.school_count,
                        "schools": schools,
                        "budgets": budget_constants(),
                        "results": [result.as_dict() for result in results],
                        "missing": missing,
                        "ok": not failed and not missing,
                    },
                    indent=2,
                )
            )
        if failed or (missing and not options["allow_missing"]):
            raise CommandError(
                f"{len(failed)} of {len(results)} pages missed a budget"
                + (f", {len(missing)} could not be measured" if missing else "")
                + "."
            )

    def growth(self, small_path, large_path):
        for path in (small_path, large_path):
            if not path.exists():
                raise CommandError(f"No results in {path}: its run stopped before the end.")
        small, large = (json.loads(path.read_text()) for path in (small_path, large_path))
        rows = budgets.growth(
            [budgets.Result.from_dict(r) for r in small["results"]],
            [budgets.Result.from_dict(r) for r in large["results"]],
        )
        self.stdout.write(
            budgets.growth_table(
                rows, f"{small['schools']:,} schools", f"{large['schools']:,} schools"
            )
        )
        grown = [row for row in rows if row.misses()]
        if grown:
            raise CommandError(
                "Grew from the small data set to the large: "
                + "; ".join(f"{row.key} ({', '.join(row.misses())})" for row in grown)
            )


def budget_constants() -> dict:
    return {
        name.lower(): getattr(budgets, name)
        for name in (
            "CONCURRENCY",
            "MEDIAN_FLOORS",
            "P95_FLOORS",
            "AUTOSAVE_MEDIAN_FLOORS",
            "CACHED_MEDIAN_FLOORS",
            "MAX_QUERIES",
            "MAX_GROWTH",
        )
    }
