"""Django's migrate, run as the tables' owner rather than the application's role
(authorities/rls.py)."""

from django.core.management.commands.migrate import Command as MigrateCommand

from authorities.rls import as_owner


class Command(MigrateCommand):
    def handle(self, *args, **options):
        with as_owner():
            return super().handle(*args, **options)
