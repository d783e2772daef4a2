from django.core.management.base import BaseCommand

from iqm_portal.demo import DEMO_PASSWORD, demo_logins, load_demo


class Command(BaseCommand):
    help = "Load the demo authorities, schools and one login per role. Safe to run again."

    def handle(self, *args, **options):
        load_demo()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready. Sign in with any of these (password: %s):" % DEMO_PASSWORD
            )
        )
        for email, roles in demo_logins():
            self.stdout.write(f"  {email:<28} {roles}")
