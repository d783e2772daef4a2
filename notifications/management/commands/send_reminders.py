from django.core.management.base import BaseCommand

from notifications.reminders import run


class Command(BaseCommand):
    help = (
        "Run the daily reminders now (beat runs them every morning): awards expiring, annual "
        "reviews due, action-plan targets overdue and awards lapsed, each told once."
    )

    def handle(self, *args, **options):
        told = run()
        self.stdout.write(f"{told} reminder{'s' if told != 1 else ''} sent.")
