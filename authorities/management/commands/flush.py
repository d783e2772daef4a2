"""Django's flush, run as the tables' owner: TRUNCATE is no privilege of the application's role,
which row-level security binds and TRUNCATE would bypass (authorities/rls.py)."""

from django.core.management.commands.flush import Command as FlushCommand

from authorities.rls import as_owner


class Command(FlushCommand):
    def handle(self, *args, **options):
        with as_owner():
            return super().handle(*args, **options)
