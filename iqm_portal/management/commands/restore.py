from django.core.management.base import BaseCommand, CommandError

from iqm_portal.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the database (DATABASE_URL) and the file "
        "storage, checking every file's SHA-256. Refuses a database that is not empty, or stored "
        "files of the same names with other content, unless given --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", required=True, help="The backup's directory.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace what the database holds and stored files of the same names.",
        )
        parser.add_argument("--database", default="default", help="The database alias.")

    def handle(self, *args, source, force, database, **options):
        try:
            done = restore_backup(source, using=database, force=force, log=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {source} into the {done.database}: {done.files_written} files written "
                f"and checked, {done.files_already_there} already there with the same content, "
                f"{done.files_replaced} replaced."
            )
        )
        if done.pending_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(done.pending_migrations)} migrations of this version are not applied in "
                    "the restored database: run `python manage.py migrate` before serving."
                )
            )
