"""Import of approval records by staff, from an Excel workbook (.xlsx) or a CSV file, in the shape
the halls' systems push (APPROVALS.md), through the same service (``records_write``): the same
checks, the same idempotence by application number, all or nothing.

One line per step or fee: the lines of one record share its application number (办件编号). The
record's own columns are read from its first line (on its other lines they may be left empty);
each line may carry one step and one fee. Errors name the line and the column as the file has
them."""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.models import ApprovalRecord, Where
from approvals.services.ingest import IngestRejected, IngestResult, records_check, records_write
from liaison.imports import (
    Column,
    DirectorySpec,
    ImportResult,
    Refused,
    Row,
    RowError,
    _is_empty,
    cell_display,
    choice_parser,
    convert_row,
    file_error,
    read_rows,
    spec_template,
)
from liaison.models import DirectoryImport
from liaison.services import directory_import_record

logger = logging.getLogger(__name__)

RECORDS_KIND = "approval_records"
MAX_FILE_SIZE = 20 * 1024 * 1024


def _lenient(choices):
    """A choice's code or label; anything else is passed on as typed, for the service to name."""
    parse = choice_parser(choices)

    def convert(value: Any) -> Any:
        try:
            return parse(value)
        except ValidationError:
            return cell_display(value)

    return convert


def _keep(value: Any) -> Any:
    """A date and time cell as Excel gives it (a datetime), or the text as typed."""
    return value if not isinstance(value, str) else value.strip()


RECORD_COLUMNS = {
    "external_id": "external_id",
    "item_code": "item_code",
    "applicant_credit_code": "applicant_credit_code",
    "applicant_name": "applicant_name",
    "accepted_at": "accepted_at",
    "accepted_where": "accepted_where",
    "decision": "decision",
    "decided_at": "decided_at",
    "decided_where": "decided_where",
    "refusal_reason": "refusal_reason",
}
STEP_COLUMNS = {
    "step_position": "position",
    "step_name": "name",
    "step_started_at": "started_at",
    "step_finished_at": "finished_at",
    "step_officer": "officer",
}
FEE_COLUMNS = {"fee_code": "code", "fee_name": "name", "fee_amount": "amount"}

WHEN = gettext_lazy("A date-and-time cell, or text such as 2026-09-30 09:30 (Shanghai time) or ISO 8601.")

RECORDS_SPEC = DirectorySpec(
    model=ApprovalRecord,
    key="external_id",
    sheet_title="办件 approval records",
    max_rows=50_000,
    max_file_size=MAX_FILE_SIZE,
    columns=(
        Column(
            "external_id",
            "办件编号",
            "application number",
            gettext_lazy(
                "The hall's application number. A record with this number is updated, otherwise a new one "
                "is created. Repeat it on each line of the record's steps and fees."
            ),
            required=True,
        ),
        Column("item_code", "事项编码", "item code", gettext_lazy("The item's code in the catalogue.")),
        Column(
            "applicant_credit_code",
            "申请人统一社会信用代码",
            "applicant credit code",
            gettext_lazy("The applicant's 18-character code; empty for a person."),
        ),
        Column("applicant_name", "申请人", "applicant", gettext_lazy("The applicant's name.")),
        Column("accepted_at", "受理时间", "accepted at", WHEN, _keep, empty=None),
        Column(
            "accepted_where",
            "受理方式",
            "accepted where",
            gettext_lazy("hall, online or department (or their labels)."),
            _lenient(Where),
            empty="",
        ),
        Column(
            "decision",
            "办理结果",
            "decision",
            gettext_lazy("pending, approved, refused or withdrawn (or their labels). Empty: pending."),
            _lenient(ApprovalRecord.Decision),
            empty="",
        ),
        Column("decided_at", "办结时间", "decided at", WHEN, _keep, empty=None),
        Column(
            "decided_where",
            "办结方式",
            "decided where",
            gettext_lazy("hall, online or department (or their labels)."),
            _lenient(Where),
            empty="",
        ),
        Column(
            "refusal_reason",
            "不予许可理由",
            "reason for refusal",
            gettext_lazy("Required by law when refused."),
        ),
        Column(
            "step_position",
            "环节序号",
            "step position",
            gettext_lazy("Optional, one step per line: 1, 2, 3 …"),
        ),
        Column("step_name", "环节名称", "step name", gettext_lazy("The step's name, e.g. 受理, 审查, 决定.")),
        Column("step_started_at", "环节开始时间", "step started at", WHEN, _keep, empty=None),
        Column("step_finished_at", "环节结束时间", "step finished at", WHEN, _keep, empty=None),
        Column(
            "step_officer", "经办人", "handling officer", gettext_lazy("The officer who handled the step.")
        ),
        Column(
            "fee_code", "收费编码", "fee code", gettext_lazy("Optional, one fee per line: the fee's code.")
        ),
        Column("fee_name", "收费名称", "fee name", gettext_lazy("The fee's name.")),
        Column(
            "fee_amount",
            "收费金额",
            "fee amount",
            gettext_lazy("The amount charged in yuan."),
            _keep,
            empty=None,
        ),
    ),
)


def records_template() -> bytes:
    return spec_template(RECORDS_SPEC)


def _read_csv(content: bytes) -> tuple[list[Column], list[Row]]:
    """The columns and lines of a CSV file (UTF-8, with or without BOM, or GB18030 as Excel saves it)."""
    if len(content) > MAX_FILE_SIZE:
        raise Refused(
            file_error(_("The file is larger than %(size)s MB.") % {"size": MAX_FILE_SIZE // 2**20})
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Refused(
            file_error(_("This file is neither an Excel workbook (.xlsx) nor a CSV file in UTF-8."))
        )
    if "\x00" in text:
        raise Refused(
            file_error(_("This file is neither an Excel workbook (.xlsx) nor a CSV file in UTF-8."))
        )
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    found: dict[int, Column] = {}
    errors = []
    for index, cell in enumerate(header[:50]):
        if not cell.strip():
            continue
        column = next((c for c in RECORDS_SPEC.columns if c.matches(cell)), None)
        if column is None:
            errors.append(RowError(1, cell, cell, _("Unknown column: use the headers of the template.")))
        elif column in found.values():
            errors.append(RowError(1, column.header, cell, _("This column appears twice.")))
        else:
            found[index] = column
    for column in RECORDS_SPEC.columns:
        if column.required and column not in found.values():
            errors.append(RowError(1, column.header, "", _("This column is missing.")))
    if errors:
        raise Refused(*errors)
    rows = []
    try:
        for number, cells in enumerate(reader, start=2):
            raw = {column.field: cells[i] if i < len(cells) else None for i, column in found.items()}
            if all(_is_empty(value) for value in raw.values()):
                continue
            if len(rows) == RECORDS_SPEC.max_rows:
                raise Refused(
                    file_error(
                        _("The file has more than %(max)s rows; split it.") % {"max": RECORDS_SPEC.max_rows}
                    )
                )
            rows.append(Row(number=number, raw=raw, values={}))
    except csv.Error:
        raise Refused(
            file_error(_("This CSV file cannot be read: check its quotes and separators."))
        ) from None
    return list(found.values()), rows


_DATE_TIME = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _moment_text(value: Any) -> Any:
    """ "2026/9/30 9:30" as Excel users type it, in ISO form; anything else unchanged."""
    if isinstance(value, str):
        match = _DATE_TIME.match(value.strip())
        if match:
            y, m, d, hh, mm, ss = match.groups()
            return f"{int(y):04d}-{int(m):02d}-{int(d):02d}T{int(hh):02d}:{mm}:{ss or '00'}"
    return value


def records_import(
    *, content: bytes, actor, dry_run: bool = False, file_name: str = "", source: str = ""
) -> ImportResult:
    """Create or update approval records from a workbook or CSV file: all or nothing, as a batch
    of the API (without its size limit); ``dry_run`` checks and counts only."""
    source = source or DirectoryImport.Source.WORKPLACE
    result = ImportResult(dry_run=dry_run)
    try:
        if zipfile.is_zipfile(io.BytesIO(content)):
            columns, rows_iter = read_rows(RECORDS_SPEC, content)
            lines = list(rows_iter)
        else:
            columns, lines = _read_csv(content)
    except Refused as refused:
        return ImportResult(errors=refused.errors, dry_run=dry_run)
    if not lines:
        return ImportResult(errors=[file_error(_("The file has no rows below the header."))], dry_run=dry_run)
    result.rows = len(lines)
    header = {column.field: column.header for column in columns}
    for line in lines:
        result.errors.extend(convert_row(columns, line))

    # The lines of each record, in file order: one row of the batch per record.
    records: dict[str, dict] = {}
    where: dict[str, dict] = {}  # per record: its first line, and the line of each step and fee
    for line in lines:
        values = line.values
        key = values.get("external_id")
        if not key:
            continue  # already an error: the cell cannot be empty
        if key not in records:
            row = {
                name: _moment_text(values.get(field))
                for field, name in RECORD_COLUMNS.items()
                if field in values
            }
            row["steps"], row["fees"] = [], []
            records[key] = row
            where[key] = {"line": line, "steps": [], "fees": []}
        row, place = records[key], where[key]
        if place["line"] is not line:
            for field in RECORD_COLUMNS:
                value = values.get(field)
                first = place["line"].values.get(field)
                if value not in (None, "") and value != first:
                    result.errors.append(
                        RowError(
                            line.number,
                            header.get(field, ""),
                            cell_display(line.raw.get(field)),
                            _differs(place["line"].number),
                        )
                    )
        if any(values.get(field) not in (None, "") for field in STEP_COLUMNS):
            row["steps"].append(
                {name: _moment_text(values.get(field)) for field, name in STEP_COLUMNS.items()}
            )
            place["steps"].append(line)
        if any(values.get(field) not in (None, "") for field in FEE_COLUMNS):
            row["fees"].append({name: values.get(field) for field, name in FEE_COLUMNS.items()})
            place["fees"].append(line)
    if result.errors:
        # Still check the records, writing nothing, so that the table lists every error at once.
        _checked, problems, _items = records_check(list(records.values()))
        result.errors += [_located(problem, list(where.values()), header) for problem in problems]
        return _sorted(result)

    try:
        with transaction.atomic():
            ingested = records_write(list(records.values()), actor=actor)
            if dry_run:
                transaction.set_rollback(True)
            else:
                directory_import_record(
                    kind=RECORDS_KIND,
                    source=source,
                    file_name=file_name,
                    rows=result.rows,
                    created=ingested.created,
                    updated=ingested.updated,
                    unchanged=ingested.unchanged,
                    actor=actor,
                )
    except IngestRejected as refused:
        for problem in refused.problems:
            result.errors.append(_located(problem, list(where.values()), header))
        return _sorted(result)
    _count(result, ingested)
    return result


def _differs(first_row: int) -> str:
    return _("Differs from the record's first line (row %(row)s): leave it empty or repeat it.") % {
        "row": first_row
    }


def _count(result: ImportResult, ingested: IngestResult) -> None:
    result.created, result.updated, result.unchanged = ingested.created, ingested.updated, ingested.unchanged


_CHILD = re.compile(r"^(steps|fees)\[(\d+)\]\.?(.*)$")


def _located(problem, where: list[dict], header: dict[str, str]) -> RowError:
    if problem.row is None:
        return file_error(problem.message)
    place = where[problem.row]
    line, field = place["line"], problem.field
    match = _CHILD.match(field)
    if match:
        kind, number, name = match.group(1), int(match.group(2)), match.group(3)
        line = place[kind][number]
        columns = STEP_COLUMNS if kind == "steps" else FEE_COLUMNS
        field = next((column for column, key in columns.items() if key == name), "")
    return RowError(line.number, header.get(field, ""), cell_display(line.raw.get(field)), problem.message)


def _sorted(result: ImportResult) -> ImportResult:
    order = {column.header: i for i, column in enumerate(RECORDS_SPEC.columns)}
    result.errors.sort(key=lambda error: (error.row or 0, order.get(error.column, 99)))
    result.created = result.updated = result.unchanged = 0
    return result
