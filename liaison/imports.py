"""Imports of the directory from Excel: departments, SME liaison points and the enterprise
registry (企业库, up to a few hundred thousand rows).

A workbook is all or nothing. Every row is read, converted and checked with the model's own
field validation (``full_clean``) plus the rules below; if any cell is wrong nothing is saved
and the caller gets the full list of errors, each with the row number Excel shows (the header
is row 1), the column header, the value and a translated reason. Otherwise all rows are
created or updated in one transaction with ``bulk_create``/``bulk_update``: the number of
queries grows only with the number of chunks of ``CHUNK_ROWS`` rows, never per row. The sheet
is streamed (openpyxl read-only) and handled a chunk at a time, each chunk written inside the one
transaction as soon as it is checked; an error anywhere rolls the whole transaction back, so a
file of 200,000 enterprises never sits in memory whole and still saves all or nothing. A saved
import is put on the record (``DirectoryImport``: who, what, when, how many) in that same
transaction.

Columns are matched by their header, in Chinese, English or both ("名称 name"), in any order.
A column left out of the file is left alone on update; an empty cell clears a text or date,
and keeps the current value (or the default, for a new row) of a choice or yes/no column.
"""

import datetime
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from core.validators import normalize_credit_code
from liaison.models import Appointment, Department, DirectoryImport, Enterprise, LiaisonPoint
from liaison.services import directory_import_record

logger = logging.getLogger(__name__)

MAX_FILE_SIZE = 5 * 1024 * 1024
MAX_ROWS = 5000
# Headers are looked for in this many columns; a sheet wider than that is not a directory.
MAX_COLUMNS = 50

# Rows checked, looked up and written together: one chunk costs a fixed handful of queries.
CHUNK_ROWS = 2000
# A file this wrong is a wrong file: the table stops listing (and the import stops reading) here.
MAX_ERRORS = 1000

DEPARTMENTS = DirectoryImport.Kind.DEPARTMENTS.value
LIAISON_POINTS = DirectoryImport.Kind.LIAISON_POINTS.value
# Not (yet) among DirectoryImport.Kind's choices: adding it there needs a migration, which this
# change does not make. The record's ``kind`` column stores it all the same.
ENTERPRISES = "enterprises"
ENTERPRISES_MAX_ROWS = 250_000
ENTERPRISES_MAX_FILE_SIZE = 40 * 1024 * 1024


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` as Excel numbers it (header = 1; None for the file as a whole),
    ``column`` the header as the template spells it ("" when no single column is at fault)."""

    row: int | None
    column: str
    value: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    unchanged: int = 0
    rows: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            count = len(self.errors)
            return ngettext(
                "Nothing was imported: %(count)s error.", "Nothing was imported: %(count)s errors.", count
            ) % {"count": count}
        text = _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }
        if self.dry_run:
            text = _("Check only, nothing was saved: %(summary)s") % {"summary": text}
        return text


# --- Cell conversions ---------------------------------------------------------------------

# An empty cell in a choice or yes/no column keeps the current value (the default for a new row).
KEEP = object()


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_display(value: Any) -> str:
    """A cell value as the user typed it, for the error table."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
        return value.date().isoformat()
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _folded(text: str) -> str:
    # Full-width letters, digits and brackets (（工商）, ｙｅｓ) compare like their ASCII forms.
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def parse_text(value: Any) -> str:
    # Phone numbers typed into Excel come back as numbers; dates as datetimes.
    if isinstance(value, bool):
        return "1" if value else "0"
    return cell_display(value)


_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A date cell whose format was lost: Excel's serial day number.
        try:
            day = from_excel(value)
        except (ValueError, OverflowError, TypeError):
            day = None
        if isinstance(day, datetime.datetime) and 1950 <= day.year <= 2100:
            return day.date()
    else:
        match = _DATE_TEXT.match(str(value).strip())
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                pass
    raise ValidationError(_("Enter a date as YYYY-MM-DD, or use an Excel date cell."))


_TRUE = {"是", "yes", "y", "true", "1", "√", "✓"}
_FALSE = {"否", "no", "n", "false", "0", "×", "✗"}


def parse_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _folded(cell_display(value))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(_("Enter 是 or 否 (yes or no, 1 or 0)."))


def choice_parser(choices: type[models.TextChoices]) -> Callable[[Any], str]:
    """Accept a choice's code or its label in Chinese or English, whatever the user's language."""

    cache: dict[str, str] = {}

    def accepted() -> dict[str, str]:
        # The labels in both languages, folded once: a 200,000-row file asks for them per cell.
        if not cache:
            for code, label in choices.choices:
                cache[_folded(code)] = code
                for language in ("zh-hans", "en"):
                    with translation.override(language):
                        cache[_folded(str(label))] = code
        return cache

    def parse(value: Any) -> str:
        text = _folded(cell_display(value))
        if text in accepted():
            return accepted()[text]
        labels = ", ".join(f"{code} ({label})" for code, label in choices.choices)
        raise ValidationError(_("Unknown value: use one of %(choices)s.") % {"choices": labels})

    return parse


# --- What each import reads ---------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    zh: str
    en: str
    help: str
    parse: Callable[[Any], Any] = parse_text
    required: bool = False  # the header must be there and no cell may be empty
    empty: Any = ""  # what an empty cell stores: "" (text), None (date) or KEEP

    @property
    def header(self) -> str:
        return f"{self.zh} {self.en}"

    def matches(self, text: str) -> bool:
        return _folded(text) in {_folded(self.header), _folded(self.zh), _folded(self.en)}


@dataclass(frozen=True)
class DirectorySpec:
    model: type[models.Model]
    key: str
    columns: tuple[Column, ...]
    sheet_title: str
    rules: Callable[[dict[str, Any]], dict[str, str]] = lambda values: {}
    max_rows: int = MAX_ROWS
    max_file_size: int = MAX_FILE_SIZE

    @property
    def key_column(self) -> Column:
        return next(column for column in self.columns if column.field == self.key)


def _term_rules(values: dict[str, Any]) -> dict[str, str]:
    # The table's CheckConstraint, checked here in Python: validating constraints through the
    # model would cost one query per row.
    appointed, ends = values.get("appointed_on"), values.get("term_ends_on")
    if isinstance(appointed, datetime.date) and isinstance(ends, datetime.date) and ends < appointed:
        return {"term_ends_on": _("The term cannot end before the appointment date.")}
    return {}


SPECS: dict[str, DirectorySpec] = {
    DEPARTMENTS: DirectorySpec(
        model=Department,
        key="name",
        sheet_title="部门 departments",
        columns=(
            Column(
                "name",
                "名称",
                "name",
                gettext_lazy(
                    "The department's full name. It identifies the row: a department of that "
                    "name is updated, otherwise a new one is created."
                ),
                required=True,
            ),
            Column("short_name", "简称", "short name", gettext_lazy("Short name used in lists and reports.")),
            Column(
                "system",
                "系统",
                "system",
                gettext_lazy(
                    "The system it belongs to: the code, the Chinese or the English label "
                    "(tax, 税务 or Taxation). Empty: unchanged, Other for a new department."
                ),
                choice_parser(Department.System),
                empty=KEEP,
            ),
            Column(
                "is_key",
                "重点部门",
                "key department",
                gettext_lazy("是/否, yes/no or 1/0. Empty: unchanged, no for a new department."),
                parse_boolean,
                empty=KEEP,
            ),
            Column("email", "电子邮箱", "e-mail", gettext_lazy("Where referrals are sent.")),
            Column("phone", "电话", "phone", gettext_lazy("Office phone.")),
            Column("head_name", "单位负责人", "head of unit", gettext_lazy("Name of the head of the unit.")),
            Column(
                "head_email",
                "负责人邮箱",
                "head e-mail",
                gettext_lazy("The head of unit's e-mail: overdue warnings go there."),
            ),
            Column(
                "supervising_leader",
                "分管领导",
                "supervising leader",
                gettext_lazy("The leader who supervises the department."),
            ),
            Column(
                "supervising_leader_email",
                "分管领导邮箱",
                "supervising leader e-mail",
                gettext_lazy("The supervising leader's e-mail: escalations go there."),
            ),
        ),
    ),
    LIAISON_POINTS: DirectorySpec(
        model=LiaisonPoint,
        key="enterprise_name",
        sheet_title="联系点 liaison points",
        rules=_term_rules,
        columns=(
            Column(
                "enterprise_name",
                "企业名称",
                "enterprise name",
                gettext_lazy(
                    "The enterprise's full name. It identifies the row: the liaison point of "
                    "that enterprise is updated, otherwise a new one is created."
                ),
                required=True,
            ),
            Column("sector", "行业", "sector", gettext_lazy("Industry, e.g. 制造业.")),
            Column("address", "地址", "address", gettext_lazy("The enterprise's address.")),
            Column(
                "contact_name",
                "联系人",
                "contact person",
                gettext_lazy("The person the commission deals with."),
                required=True,
            ),
            Column("phone", "电话", "phone", gettext_lazy("The contact person's phone.")),
            Column("email", "电子邮箱", "e-mail", gettext_lazy("The contact person's e-mail.")),
            Column(
                "appointed_on",
                "聘任日期",
                "appointed on",
                gettext_lazy("An Excel date cell or YYYY-MM-DD."),
                parse_date,
                required=True,
                empty=None,
            ),
            Column(
                "term_ends_on",
                "任期届满",
                "term ends on",
                gettext_lazy(
                    "An Excel date cell or YYYY-MM-DD; not before the appointment. Empty: open-ended."
                ),
                parse_date,
                empty=None,
            ),
            Column(
                "status",
                "状态",
                "status",
                gettext_lazy(
                    "active/在任/Active, suspended/暂停/Suspended or ended/已结束/Ended. "
                    "Empty: unchanged, active for a new liaison point."
                ),
                choice_parser(Appointment.Status),
                empty=KEEP,
            ),
        ),
    ),
}

SPECS[ENTERPRISES] = DirectorySpec(
    model=Enterprise,
    key="credit_code",
    sheet_title="企业 enterprises",
    max_rows=ENTERPRISES_MAX_ROWS,
    max_file_size=ENTERPRISES_MAX_FILE_SIZE,
    columns=(
        Column(
            "credit_code",
            "统一社会信用代码",
            "credit code",
            gettext_lazy(
                "The 18-character unified social credit code, checked as on the complaint form. It "
                "identifies the row: the enterprise with that code is updated, otherwise a new one "
                "is created."
            ),
            normalize_credit_code,
            required=True,
        ),
        Column("name", "企业名称", "name", gettext_lazy("The enterprise's registered name."), required=True),
        Column("address", "地址", "address", gettext_lazy("The enterprise's address.")),
        Column("district", "区县", "district", gettext_lazy("The district, as the lists filter by it.")),
        Column(
            "industry",
            "行业",
            "industry",
            gettext_lazy("The industry, written as the departments' inspection item lists write it."),
        ),
        Column(
            "risk_class",
            "风险等级",
            "risk class",
            gettext_lazy(
                "The risk and credit class A, B, C or D (分级分类). Empty: unchanged, B for a new enterprise."
            ),
            choice_parser(Enterprise.RiskClass),
            empty=KEEP,
        ),
        Column(
            "no_disturbance",
            "无事不扰",
            "no disturbance",
            gettext_lazy(
                "是/否, yes/no or 1/0: inspected only with the commission's approval. Empty: "
                "unchanged, no for a new enterprise."
            ),
            parse_boolean,
            empty=KEEP,
        ),
        Column(
            "is_active",
            "在册",
            "active",
            gettext_lazy("是/否, yes/no or 1/0. Empty: unchanged, yes for a new enterprise."),
            parse_boolean,
            empty=KEEP,
        ),
    ),
)


def directory_spec(kind: str) -> DirectorySpec:
    try:
        return SPECS[kind]
    except KeyError:
        raise ValueError(f"unknown directory import {kind!r}; expected one of {sorted(SPECS)}") from None


# --- Reading a workbook -------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    raw: dict[str, Any]  # field -> cell value as read
    values: dict[str, Any]  # field -> converted value (KEEP for "leave it")


def _open_sheet(content: bytes):
    """The first worksheet, or None when the content is not a workbook openpyxl can read."""
    # The content decides, not the file name: an .xlsx is a zip archive openpyxl can open.
    if not zipfile.is_zipfile(io.BytesIO(content)):
        return None, None
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure to open uploaded bytes means "not a workbook"
        return None, None
    if not workbook.worksheets:
        workbook.close()
        return None, None
    return workbook, workbook.worksheets[0]


def _file_error(message: str) -> RowError:
    return RowError(row=None, column="", value="", message=message)


def _read_header(spec: DirectorySpec, header: tuple) -> tuple[dict[int, Column], list[RowError]]:
    found: dict[int, Column] = {}
    errors = []
    for index, cell in enumerate(header):
        if _is_empty(cell):
            continue
        text = cell_display(cell)
        column = next((c for c in spec.columns if c.matches(text)), None)
        if column is None:
            errors.append(RowError(1, text, text, _("Unknown column: use the headers of the template.")))
        elif column in found.values():
            errors.append(RowError(1, column.header, text, _("This column appears twice.")))
        else:
            found[index] = column
    for column in spec.columns:
        if column.required and column not in found.values():
            errors.append(RowError(1, column.header, "", _("This column is missing.")))
    return found, errors


class _Refused(Exception):
    """The file as a whole cannot be read: these errors are the whole answer."""

    def __init__(self, *errors: RowError):
        super().__init__()
        self.errors = list(errors)


def _not_a_workbook() -> _Refused:
    return _Refused(
        _file_error(_("This file is not an Excel workbook (.xlsx). Save it as .xlsx and try again."))
    )


def _read_rows(spec: DirectorySpec, content: bytes) -> tuple[list[Column], Iterator[_Row]]:
    """The columns found in the header and the rows below it, streamed: the rows are read as
    the caller iterates (openpyxl read-only), so a large sheet is never in memory whole. Raises
    ``_Refused`` for a file that is not a workbook or whose header is wrong at once, and while
    iterating for a sheet with too many rows or damaged inside."""
    if len(content) > spec.max_file_size:
        raise _Refused(
            _file_error(_("The file is larger than %(size)s MB.") % {"size": spec.max_file_size // 2**20})
        )
    workbook, sheet = _open_sheet(content)
    if sheet is None:
        raise _not_a_workbook()
    try:
        rows_iter = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        by_index, errors = _read_header(spec, next(rows_iter, None) or ())
    except Exception:  # noqa: BLE001 - a damaged sheet inside a valid zip: same answer as any bad file
        workbook.close()
        raise _not_a_workbook() from None
    if errors:
        workbook.close()
        raise _Refused(*errors)

    def rows() -> Iterator[_Row]:
        count = 0
        try:
            for number, cells in enumerate(rows_iter, start=2):
                raw = {column.field: cells[i] if i < len(cells) else None for i, column in by_index.items()}
                if all(_is_empty(value) for value in raw.values()):
                    continue
                if count == spec.max_rows:
                    raise _Refused(
                        _file_error(
                            _("The file has more than %(max)s rows; split it.") % {"max": spec.max_rows}
                        )
                    )
                count += 1
                yield _Row(number=number, raw=raw, values={})
        except _Refused:
            raise
        except Exception:  # noqa: BLE001 - damaged inside: same answer as any bad file
            raise _not_a_workbook() from None
        finally:
            workbook.close()

    return list(by_index.values()), rows()


def _chunks(rows: Iterator[_Row], size: int) -> Iterator[list[_Row]]:
    chunk: list[_Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _convert(columns: list[Column], row: _Row) -> list[RowError]:
    errors = []
    for column in columns:
        value = row.raw[column.field]
        if _is_empty(value):
            if column.required:
                errors.append(RowError(row.number, column.header, "", _("This cell cannot be empty.")))
            else:
                row.values[column.field] = column.empty
            continue
        try:
            row.values[column.field] = column.parse(value)
        except ValidationError as error:
            for message in error.messages:
                errors.append(RowError(row.number, column.header, cell_display(value), message))
    return errors


# --- The service --------------------------------------------------------------------------


def directory_import(
    *,
    kind: str,
    content: bytes,
    actor,
    dry_run: bool = False,
    file_name: str = "",
    source: str = DirectoryImport.Source.WORKPLACE,
    system_user: str = "",
) -> ImportResult:
    """Create or update departments (``kind="departments"``), liaison points
    (``kind="liaison_points"``) or enterprises of the registry (``kind="enterprises"``, keyed
    by their credit code) from the first worksheet of an xlsx file.

    All or nothing: with any error, nothing is saved and ``errors`` lists them all (up to
    ``MAX_ERRORS``). With ``dry_run`` everything is checked and counted but nothing is saved. A
    saved import is recorded (``DirectoryImport``) with the rows, in one transaction:
    ``file_name``, ``source`` (the workplace or the command) and, for a command, the
    ``system_user`` who ran it."""
    spec = directory_spec(kind)
    result = ImportResult(dry_run=dry_run)
    columns: list[Column] = []
    try:
        with transaction.atomic():
            columns, rows = _read_rows(spec, content)
            first_row_of: dict[str, int] = {}
            for chunk in _chunks(rows, CHUNK_ROWS):
                _check_and_save_chunk(spec, columns, chunk, first_row_of, result)
                if len(result.errors) >= MAX_ERRORS:
                    result.errors.append(
                        _file_error(
                            _(
                                "More than %(max)s errors: the file was not read further. Correct "
                                "these and upload it again."
                            )
                            % {"max": MAX_ERRORS}
                        )
                    )
                    break
            if not result.rows:
                raise _Refused(_file_error(_("The first worksheet has no rows below the header.")))
            if result.ok and not dry_run:
                directory_import_record(
                    kind=kind,
                    source=source,
                    file_name=file_name,
                    system_user=system_user,
                    rows=result.rows,
                    created=result.created,
                    updated=result.updated,
                    unchanged=result.unchanged,
                    actor=actor,
                )
            else:
                # Chunks saved before the first error (none in a dry run) go with the rest.
                transaction.set_rollback(True)
    except _Refused as refused:
        return ImportResult(errors=refused.errors, dry_run=dry_run)
    except IntegrityError:
        # Someone saved the same key between our read and our insert.
        result.errors.append(
            _file_error(
                _("The directory changed while the file was being imported; nothing was saved. Try again.")
            )
        )
    if not result.ok:
        result.created = result.updated = result.unchanged = 0
    if result.ok and not dry_run:
        logger.info(
            "directory import of %s by %s: %s created, %s updated, %s unchanged",
            kind,
            getattr(actor, "pk", None),
            result.created,
            result.updated,
            result.unchanged,
        )
    result.errors.sort(key=lambda error: (error.row or 0, _column_order(columns, error.column)))
    return result


def _check_and_save_chunk(
    spec: DirectorySpec,
    columns: list[Column],
    rows: list[_Row],
    first_row_of: dict[str, int],
    result: ImportResult,
) -> None:
    result.rows += len(rows)
    for row in rows:
        result.errors.extend(_convert(columns, row))
    key_column = spec.key_column
    for row in rows:
        key = row.values.get(spec.key)
        if not key:
            continue
        if key in first_row_of:
            message = _("Already on row %(row)s: each one may appear only once.") % {"row": first_row_of[key]}
            result.errors.append(RowError(row.number, key_column.header, key, message))
        else:
            first_row_of[key] = row.number
    _validate_and_save(spec, columns, rows, first_row_of, result)


def _column_order(columns: list[Column], header: str) -> int:
    return next((i for i, column in enumerate(columns) if column.header == header), len(columns))


def _validate_and_save(
    spec: DirectorySpec,
    columns: list[Column],
    rows: list[_Row],
    first_row_of: dict[str, int],
    result: ImportResult,
) -> None:
    model = spec.model
    imported_fields = [column.field for column in columns]
    header_of = {column.field: column.header for column in columns}
    # One query for every existing row the chunk names; locked until the import commits.
    existing: dict[str, list] = {}
    keys = [row.values[spec.key] for row in rows if row.values.get(spec.key)]
    for obj in model.objects.select_for_update().filter(**{f"{spec.key}__in": keys}):
        existing.setdefault(getattr(obj, spec.key), []).append(obj)
    all_fields = {f.name for f in model._meta.get_fields() if f.concrete}

    to_create, to_update = [], []
    for row in rows:
        key = row.values.get(spec.key)
        # A duplicate (already reported) is still checked, on a throwaway instance, so that the
        # error table is complete the first time.
        duplicate = bool(key) and first_row_of.get(key) != row.number
        matches = existing.get(key, []) if key and not duplicate else []
        if len(matches) > 1:
            message = _("%(count)s entries have this name; edit them in the admin instead.") % {
                "count": len(matches)
            }
            result.errors.append(RowError(row.number, spec.key_column.header, key, message))
            continue
        instance = matches[0] if matches else model()
        changed = False
        for name, value in row.values.items():
            if value is KEEP:
                continue
            if getattr(instance, name) != value:
                setattr(instance, name, value)
                changed = True
        failed = {name for name in imported_fields if name not in row.values}
        row_errors = {name: [message] for name, message in spec.rules(row.values).items()}
        try:
            instance.full_clean(
                exclude=(all_fields - set(imported_fields)) | failed,
                # The key is checked against the file and the table above, the check constraints
                # by spec.rules: both per row through the model would cost a query per row.
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                row_errors.setdefault(name, []).extend(messages)
        for name, messages in row_errors.items():
            column = header_of.get(name, "") if name != NON_FIELD_ERRORS else ""
            value = cell_display(row.raw.get(name)) if name in row.raw else ""
            for message in messages:
                result.errors.append(RowError(row.number, column, value, message))
        if row_errors or duplicate:
            continue
        if instance.pk is None:
            to_create.append(instance)
        elif changed:
            to_update.append(instance)
        else:
            result.unchanged += 1

    result.created += len(to_create)
    result.updated += len(to_update)
    if result.errors or result.dry_run:
        # Nothing more is written: the transaction is rolled back at the end.
        return
    if to_create:
        model.objects.bulk_create(to_create, batch_size=1000)
    if to_update:
        now = timezone.now()
        for instance in to_update:
            instance.updated_at = now
        # CASE … WHEN per field: small batches keep each statement quick.
        model.objects.bulk_update(to_update, [*imported_fields, "updated_at"], batch_size=500)


# --- The blank template -------------------------------------------------------------------


def directory_template(kind: str) -> bytes:
    """A blank workbook to fill in: the headers on the first sheet, what each column takes on
    the second (in the active language)."""
    return spec_template(directory_spec(kind))


def spec_template(spec: DirectorySpec) -> bytes:
    """The blank workbook of any spec, the directory's or another app's (inspection items)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = spec.sheet_title
    sheet.append([column.header for column in spec.columns])
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    required_font = Font(bold=True, color="B22222")
    for index, column in enumerate(spec.columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = required_font if column.required else header_font
        cell.fill = header_fill
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(16, len(column.header) + 6)
        if column.parse is parse_date:
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
        elif column.parse is normalize_credit_code:
            # Text, so that Excel keeps an all-digit code whole instead of rounding it.
            sheet.column_dimensions[letter].number_format = "@"
        choices = None
        if column.parse is parse_boolean:
            choices = "是,否"
        elif column.empty is KEEP:
            with translation.override("zh-hans"):
                choices = ",".join(str(label) for _code, label in _choices_of(spec, column.field))
        if choices and len(choices) < 250:
            # A drop-down to help, not a lock: codes and English labels are accepted as well.
            validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
            validation.showErrorMessage = False
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{spec.max_rows + 1}")
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("说明 notes")
    notes.append([_("Column"), _("Required"), _("What to enter")])
    for cell in notes[1]:
        cell.font = header_font
        cell.fill = header_fill
    for column in spec.columns:
        notes.append([column.header, _("yes") if column.required else "", str(column.help)])
    notes.append([])
    for line in (
        _("Fill in the first sheet only, one row per entry, below the header row."),
        _("If any row has an error nothing is imported; correct the file and upload it again."),
        _("At most %(rows)s rows and %(size)s MB.")
        % {"rows": spec.max_rows, "size": spec.max_file_size // 2**20},
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 30
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 90
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _choices_of(spec: DirectorySpec, field_name: str):
    return spec.model._meta.get_field(field_name).choices or []


# --- For other apps' imports (the inspection item lists) -----------------------------------

Row = _Row
Refused = _Refused
read_rows = _read_rows
convert_row = _convert
chunks = _chunks
file_error = _file_error


def read_checked(spec: DirectorySpec, content: bytes, result: ImportResult) -> tuple[list, dict] | None:
    """The first worksheet's rows, each converted (its errors added to ``result``), and the
    header of each field; None with the file's errors in ``result`` when the file is refused or
    has no rows. For a file small enough to hold in memory (a catalogue, an item list)."""
    try:
        columns, rows_iter = _read_rows(spec, content)
        rows = list(rows_iter)
    except _Refused as refused:
        result.errors = refused.errors
        return None
    if not rows:
        result.errors = [_file_error(_("The first worksheet has no rows below the header."))]
        return None
    result.rows = len(rows)
    for row in rows:
        result.errors.extend(_convert(columns, row))
    return rows, {column.field: column.header for column in columns}


def departments_by_name() -> dict[str, Department]:
    """Every department by its folded name and, where no name takes it, its short name: an
    import names a department either way (a few hundred at most)."""
    departments: dict[str, Department] = {}
    for department in Department.objects.all():
        departments[_folded(department.name)] = department
        if department.short_name:
            departments.setdefault(_folded(department.short_name), department)
    return departments


def directory_columns(kind: str) -> tuple[Column, ...]:
    """The template's columns, for the upload page."""
    return directory_spec(kind).columns
