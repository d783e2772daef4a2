from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from assessments.domain import import_framework
from assessments.frameworks import FrameworkFileError
from authorities.models import Authority


class Command(BaseCommand):
    help = (
        "Load a framework version for an authority from a JSON or YAML file (format in README.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("authority", help="the authority's slug, e.g. bathnes")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--current", action="store_true", help="start new self-reviews on this version"
        )

    def handle(self, *args, authority, file, current, **options):
        try:
            authority = Authority.objects.get(slug=authority)
        except Authority.DoesNotExist:
            raise CommandError(f"No authority has the slug “{authority}”.") from None
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        with scope(authority=authority):
            try:
                framework = import_framework(
                    authority=authority, by=None, content=content, make_current=current
                )
            except FrameworkFileError as error:
                raise CommandError(
                    f"{file} was not loaded:\n  " + "\n  ".join(error.errors)
                ) from error
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded “{framework.name}” ({framework.elements.count()} elements) "
                    f"for {authority.name}."
                )
            )
