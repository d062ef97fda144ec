"""The case list as an xlsx workbook, written row by row (openpyxl write-only, with lxml) into a
temporary file and streamed: memory stays flat whatever the number of cases. Empty cells are
left out rather than written as empty strings: a hundred thousand rows cost per cell.

The case title comes from the complaint's words: it is masked for the viewer by the rule of
every other staff output (complaints.selectors.text_for_viewer)."""

import tempfile
from itertools import islice

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
    """Write the cases of ``queryset`` (as filtered by the caller) to an xlsx file for ``viewer``:
    no identity, and the titles masked unless the viewer may see who complained (without a
    viewer, masked)."""
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
    stream = rows.iterator(chunk_size=CHUNK)
    while chunk := list(islice(stream, CHUNK)):
        # The complainants of a chunk's cases in one query, only for a viewer whose titles are masked.
        identities = case_identities_by_id(row[0] for row in chunk) if masked else {}
        for row in chunk:
            _append(sheet, row, identities=identities, masked=masked, labels=labels, yes=yes, tz=tz)
    handle = tempfile.SpooledTemporaryFile(max_size=8 * 2**20)  # noqa: SIM115 - closed by FileResponse
    workbook.save(handle)
    handle.seek(0)
    return handle


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
