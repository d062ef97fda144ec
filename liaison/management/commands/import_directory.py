"""Import departments, liaison points or the enterprise registry from an xlsx file: the admin's
"Import from Excel" for scripts and first installs."""

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from liaison.imports import DEPARTMENTS, ENTERPRISES, LIAISON_POINTS, directory_import, directory_spec
from liaison.models import DirectoryImport


class Command(BaseCommand):
    help = (
        "Create or update departments, SME liaison points or enterprises (by credit code) from the "
        "first worksheet of an xlsx file (the admin's template). All or nothing: with any error "
        "nothing is saved and every error is printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[DEPARTMENTS, LIAISON_POINTS, ENTERPRISES])
        parser.add_argument("file", metavar="FILE.xlsx")
        parser.add_argument("--dry-run", action="store_true", help="Check and count; save nothing.")

    def handle(self, *args, kind, file, dry_run=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": file})
        max_size = directory_spec(kind).max_file_size
        if path.stat().st_size > max_size:
            raise CommandError(_("The file is larger than %(size)s MB.") % {"size": max_size // 2**20})
        result = directory_import(
            kind=kind,
            content=path.read_bytes(),
            actor=None,
            dry_run=dry_run,
            file_name=path.name,
            source=DirectoryImport.Source.COMMAND,
            # No one is signed in: the record names the system account that ran the command.
            system_user=_system_user(),
        )
        for error in result.errors:
            where = _("row %(row)s") % {"row": error.row} if error.row else _("file")
            if error.column:
                where = f"{where}, {error.column}"
            value = f" “{error.value}”" if error.value else ""
            self.stderr.write(f"{where}{value}: {error.message}")
        if result.errors:
            raise CommandError(result.summary())
        self.stdout.write(self.style.SUCCESS(result.summary()))


def _system_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container's uid with no passwd entry and no $USER
        return ""
