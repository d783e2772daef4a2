from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from iqm_portal.backup import BackupError, create_backup, prune


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump's custom format, or a copy of the SQLite file) and every "
        "file in the storage (file system or S3) into a new directory with a manifest of SHA-256 "
        "hashes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--to",
            default=None,
            help="The folder to make the backup's directory in (default: BACKUP_DIR).",
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            help="Then remove all but this many newest backups in that folder "
            "(default: BACKUP_KEEP; 0 keeps them all).",
        )
        parser.add_argument("--database", default="default", help="The database alias.")

    def handle(self, *args, to, keep, database, **options):
        to = to or settings.BACKUP_DIR
        keep = settings.BACKUP_KEEP if keep is None else keep
        try:
            made = create_backup(to, using=database, log=self.stdout.write)
            prune(to, keep, log=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Backup ready: {made}"))
