from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.two_factor import reset


class Command(BaseCommand):
    help = (
        "Remove every second factor of a person who lost their app and recovery codes (after "
        "checking who they are by other means). Their roles' need for one stays: they set up a "
        "new app at their next sign-in. Logged in the audit log of each of their authorities."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        try:
            user = User.objects.get_by_natural_key(email)
        except User.DoesNotExist:
            raise CommandError(f"No one has the email address {email}.") from None
        removed = reset(user)
        self.stdout.write(f"Removed {removed} second factor(s) of {user.email}.")
