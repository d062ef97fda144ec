"""The case list as an xlsx workbook, written row by row (openpyxl write-only, with lxml) into a
temporary file and streamed: memory stays flat whatever the number of cases. Empty cells are
left out rather than written as empty strings: a hundred thousand rows cost per cell.

The case title comes from the complaint's words: it is masked for the viewer by the rule of
every other staff output (complaints.selectors.text_for_viewer)."""

import tempfile
from collections.abc import Callable
from itertools import islice
from typing import IO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from casework.models import Case, case_reference
from casework.selectors import case_identities_by_id
from complaints.selectors import identity_permitted, text_for_viewer

CHUNK = 2000


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def _text(sheet, value: str):
    """Free text as text: control characters (which would make openpyxl refuse the whole file)
    removed, and a leading "=" kept a string, so that a complaint's words never run as a
    formula in a staff member's Excel."""
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def case_list_workbook(queryset, *, viewer=None) -> tempfile.SpooledTemporaryFile:
    """The workbook of case_list_workbook_write in a temporary file, positioned at its start."""
    handle = tempfile.SpooledTemporaryFile(max_size=8 * 2**20)  # noqa: SIM115 - the caller closes it
    case_list_workbook_write(queryset, viewer=viewer, target=handle)
    handle.seek(0)
    return handle


def case_list_workbook_write(
    queryset,
    *,
    viewer=None,
    target: IO[bytes],
    progress: Callable[[int, int | None], None] | None = None,
    batch: int = CHUNK,
) -> int:
    """Write the cases of ``queryset`` (as filtered by the caller) to ``target`` as xlsx for
    ``viewer``: no identity, and the titles masked unless the viewer may see who complained
    (without a viewer, masked). Reads ``batch`` cases at a time and calls ``progress(done,
    total)`` after each batch (a background export records it); returns the number of rows.
    openpyxl's write-only sheet writes each row to its own temporary file as it is appended, so
    no more than one batch of cases is ever held in memory."""
    total = queryset.count() if progress else None
    if progress:
        progress(0, total)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Cases"))
    sheet.append(
        [
            _("Reference"),
            _("Title"),
            _("Status"),
            _("Priority"),
            _("Category"),
            _("Unit"),
            _("Office"),
            _("Handler"),
            _("Disposition"),
            _("Channel"),
            _("Opened at"),
            _("Concluded at"),
            _("Due"),
            _("Overdue"),
            _("Escalation level"),
        ]
    )
    # Labels translated once, not once per cell: a big commission exports a hundred thousand rows.
    labels = (
        _labels(Case.Status.choices),
        _labels(Case.Priority.choices),
        _labels(Case._meta.get_field("category").choices),
        _labels(Case.Disposition.choices),
        _labels(Case._meta.get_field("channel").choices),
    )
    yes, tz = _("Yes"), timezone.get_current_timezone()
    masked = not identity_permitted(viewer)
    rows = queryset.values_list(
        "pk",
        "opened_at",
        "title",
        "status",
        "priority",
        "category",
        "department__name",
        "office__name",
        "handler__username",
        "disposition",
        "channel",
        "closed_at",
        "due_date",
        "overdue",
        "escalation_level",
    ).order_by("-opened_at", "-pk")
    stream = rows.iterator(chunk_size=batch)
    done = 0
    while chunk := list(islice(stream, batch)):
        # The complainants of a chunk's cases in one query, only for a viewer whose titles are masked.
        identities = case_identities_by_id(row[0] for row in chunk) if masked else {}
        for row in chunk:
            _append(sheet, row, identities=identities, masked=masked, labels=labels, yes=yes, tz=tz)
        done += len(chunk)
        if progress:
            progress(done, total)
    workbook.save(target)
    return done


def _append(sheet, row, *, identities, masked, labels, yes, tz) -> None:
    (
        pk,
        opened_at,
        title,
        status,
        priority,
        category,
        department,
        office,
        handler,
        disposition,
        channel,
        closed_at,
        due_date,
        overdue,
        level,
    ) = row
    statuses, priorities, categories, dispositions, channels = labels
    if masked:
        title = text_for_viewer(title, identity=identities.get(pk, []), can_see=False)
    sheet.append(
        [
            case_reference(pk, opened_at),
            _text(sheet, title),
            statuses.get(status, status),
            priorities.get(priority, priority),
            categories.get(category, category),
            _text(sheet, department) if department else None,
            _text(sheet, office) if office else None,
            _text(sheet, handler) if handler else None,
            dispositions.get(disposition, disposition) if disposition else None,
            channels.get(channel, channel) if channel else None,
            opened_at.astimezone(tz).replace(tzinfo=None) if opened_at else None,
            closed_at.astimezone(tz).replace(tzinfo=None) if closed_at else None,
            due_date,
            yes if overdue else None,
            level,
        ]
    )
