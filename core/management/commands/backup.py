"""Back up the database and the evidence files into one archive (core.backup)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.backup import BackupError, backup_create, backup_prune


class Command(BaseCommand):
    help = (
        "Write envopt-backup-<UTC time>.tar into DIRECTORY (default BACKUP_DIR): a pg_dump of the "
        "database, every evidence file and a manifest with row counts and checksums."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", help="Where to write the archive (default: BACKUP_DIR).")
        parser.add_argument(
            "--keep",
            type=int,
            default=0,
            metavar="N",
            help="Afterwards delete all but the newest N archives.",
        )

    def handle(self, *args, directory=None, keep=0, **options):
        if keep < 0:
            raise CommandError(_("--keep takes a number of archives, 0 or more."))
        target = Path(directory or settings.BACKUP_DIR)
        try:
            result = backup_create(directory=target, media_root=Path(settings.PRIVATE_MEDIA_ROOT))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = result.manifest
        self.stdout.write(
            _("%(path)s: %(tables)d tables, %(rows)d rows, %(files)d files.")
            % {
                "path": result.path,
                "tables": len(manifest["tables"]),
                "rows": sum(manifest["tables"].values()),
                "files": len(manifest["files"]),
            }
        )
        if manifest["stored_files_missing"]:
            self.stderr.write(
                _("Named in the database but not on disk: %(names)s")
                % {"names": ", ".join(manifest["stored_files_missing"])}
            )
        for path in backup_prune(directory=target, keep=keep):
            self.stdout.write(_("Deleted the older archive %(path)s.") % {"path": path})
