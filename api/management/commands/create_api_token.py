"""`manage.py create_api_token <email> <authority-slug> [--write] [--name NAME]`: a personal API
token for scripts, printed alone on stdout (so `TOKEN=$(manage.py create_api_token …)` works).
Recorded in the authority's audit log as the page's tokens are; listed and revoked on the
person's "API tokens" page."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope, scopes_disabled

from accounts import tokens
from accounts.models import User
from authorities.models import Authority


class Command(BaseCommand):
    help = (
        "Make a personal API token for a member of an authority and print it (only it) on "
        "stdout. Read-only unless --write. It is shown this once: the portal keeps only its hash."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The person's email address.")
        parser.add_argument("authority", help="The authority's slug, e.g. bathnes.")
        parser.add_argument(
            "--write", action="store_true", help="Read and write (default: read only)."
        )
        parser.add_argument(
            "--name", default="Made with manage.py", help="What the token is for (its name)."
        )

    def handle(self, *args, email, authority, write, name, **options):
        with scopes_disabled():
            try:
                user = User.objects.get_by_natural_key(email)
            except User.DoesNotExist:
                raise CommandError(f"No one has the email address {email}.") from None
            try:
                found = Authority.objects.get(slug=authority)
            except Authority.DoesNotExist:
                raise CommandError(f"There is no authority “{authority}”.") from None
        with scope(authority=found):
            try:
                _, secret = tokens.create_token(user, found, name, can_write=write)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(secret)
