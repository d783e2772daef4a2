from django.core.management.base import BaseCommand, CommandError

from iqm_portal.scale import (
    SCALE_PASSWORD,
    ScaleError,
    generate,
    known_emails,
    showcase_cases,
)


class Command(BaseCommand):
    help = (
        "Make a deterministic data set of national size for benchmarks: authorities scale-001 "
        "to scale-NNN, their schools, people, cycles in every state, awards and a million audit "
        "entries (iqm_portal/scale). Refuses a database that holds data, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--authorities", type=int, default=150)
        parser.add_argument("--schools", type=int, default=24_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--reset", action="store_true", help="Flush the database first: everything is deleted."
        )

    def handle(self, *args, authorities, schools, seed, reset, **options):
        self.stdout.write(
            f"Making {authorities} authorities with {schools:,} schools (seed {seed}):"
        )
        try:
            summary = generate(
                authorities=authorities,
                schools=schools,
                seed=seed,
                reset=reset,
                say=self.stdout.write,
            )
        except ScaleError as error:
            raise CommandError(str(error)) from None
        write = self.stdout.write
        write(self.style.SUCCESS(f"Done in {summary.seconds:.0f} s."))
        slug, size = summary.largest
        write(f"Largest authority: {slug}, {size:,} schools.")
        for label, count in summary.counts.items():
            write(f"  {label:<32} {count:>10,}")
        write("Cycles by state: " + ", ".join(f"{s} {n:,}" for s, n in summary.states.items()))
        write("Awards in force: " + ", ".join(f"{t} {n:,}" for t, n in summary.tiers.items()))
        write(
            f"Sign in as any of these (password {SCALE_PASSWORD}; second factor: "
            f"iqm_portal.scale.second_factor_code(email, seed={seed})):"
        )
        for email, role in known_emails():
            write(f"  {email:<32} {role}")
        write(f"Showcase cases in {slug}:")
        for cycle in showcase_cases():
            what = f"{cycle.get_kind_display()}, {cycle.get_state_display()}"
            write(f"  /{slug}/cycles/{cycle.pk}/  {what}")
