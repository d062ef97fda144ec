"""Restore an archive of `manage.py backup` into a new database and media directory (core.backup)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.backup import BackupError, backup_check, backup_restore


class Command(BaseCommand):
    help = (
        "Restore ARCHIVE into the database at --database-url (created beforehand, empty) and the "
        "evidence files into --media-root, check every checksum first and every table's row count after."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="An envopt-backup-….tar written by `manage.py backup`.")
        parser.add_argument(
            "--database-url", metavar="URL", help="postgres://… of the database to restore into (required)."
        )
        parser.add_argument(
            "--media-root", metavar="DIR", help="Where the evidence files go (default: PRIVATE_MEDIA_ROOT)."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Restore even into a database with tables or a directory with files (replacing what "
            "the archive holds).",
        )
        parser.add_argument(
            "--check", action="store_true", help="Only check the archive's checksums; write nothing."
        )

    def handle(self, *args, archive, database_url=None, media_root=None, force=False, check=False, **options):
        path = Path(archive)
        if not path.is_file():
            raise CommandError(_("No such archive: %(path)s") % {"path": path})
        try:
            if check:
                manifest = backup_check(archive=path)
                self.stdout.write(
                    _("%(path)s is intact: %(tables)d tables, %(files)d files, written %(when)s.")
                    % {
                        "path": path,
                        "tables": len(manifest["tables"]),
                        "files": len(manifest["files"]),
                        "when": manifest["created_at"],
                    }
                )
                return
            if not database_url:
                raise CommandError(_("--database-url is required: the database to restore into."))
            result = backup_restore(
                archive=path,
                database_url=database_url,
                media_root=Path(media_root or settings.PRIVATE_MEDIA_ROOT),
                force=force,
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if result.mismatched_tables:
            raise CommandError(
                _(
                    "Restored, but these tables' row counts differ from the manifest "
                    "(expected, found): %(tables)s"
                )
                % {"tables": result.mismatched_tables}
            )
        self.stdout.write(
            _("Restored %(tables)d tables (%(rows)d rows, counts as in the manifest) and %(files)d files.")
            % {"tables": result.tables, "rows": result.rows, "files": result.files}
        )
