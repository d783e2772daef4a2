"""`manage.py load`: locust against the portal under gunicorn (iqm_portal/bench/load.py)."""

from django.core.management.base import BaseCommand, CommandError

from iqm_portal.bench import budgets, data, load
from iqm_portal.bench.pages import Missing, Visitors, find_authority, find_subjects


class Command(BaseCommand):
    help = (
        "Run the load scenario (school staff autosaving, mentors validating, the public reading "
        "the list and the directory) with locust against gunicorn on loopback, for a bounded time "
        "and number of people; fail when more than "
        f"{budgets.MAX_FAILURE_RATIO:.1%} of requests fail or a request's p95 misses its budget."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--generate",
            metavar="ARGS",
            help="First make sure the database holds the data set of `generate_scale_data ARGS` "
            "(as `manage.py bench --generate`).",
        )
        parser.add_argument(
            "--authority", help="The authority's slug (default: the one with the most schools)."
        )
        parser.add_argument("--users", type=int, default=20, help="People at once (default 20).")
        parser.add_argument("--seconds", type=int, default=60, help="How long (default 60).")
        parser.add_argument("--locust", default="", help="The locust program (default: found).")

    def handle(self, *args, **options):
        try:
            if options["generate"]:
                data.prepare(options["generate"], log=self.stderr.write)
            authority = find_authority(options["authority"])
            subjects = find_subjects(authority)
            visitors = Visitors(authority)
            try:
                rows, total, floor_ms, output = load.run(
                    subjects,
                    visitors,
                    users=options["users"],
                    seconds=options["seconds"],
                    locust=options["locust"],
                    progress=self.stderr.write,
                )
            finally:
                visitors.leave()
        except (data.NotOurs, Missing, FileNotFoundError) as why:
            raise CommandError(str(why)) from None
        self.stdout.write(
            f"\n{authority.name}, {options['users']} people for {options['seconds']} s "
            f"(floor median {floor_ms:.2f} ms):\n\n{load.table(rows, total, floor_ms)}\n"
        )
        failed = load.verdict(rows, total, floor_ms)
        if failed:
            self.stderr.write(output)
            raise CommandError("; ".join(failed))
