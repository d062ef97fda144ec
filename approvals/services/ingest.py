"""Ingestion of approval records pushed by the service halls' systems (the batch endpoint) or
imported by staff (a workbook or CSV file of the same shape).

A batch is all or nothing: every row is checked in Python first (types, choices, dates in
order, the credit code, the item in the catalogue, each external id once) and, if any row is
wrong, ``IngestRejected`` lists every problem with its row and field and nothing is written.
Otherwise the batch is written in one transaction with a fixed handful of set-based statements
whatever its size: the existing records are read (and locked) by their external ids; a row
whose content equals the stored record is counted unchanged and not touched (its
``updated_at`` stays); new and changed records go in one ``INSERT … ON CONFLICT (external_id)
DO UPDATE``; the step events and fee charges of the changed records are replaced; and
``signals_evaluate`` runs once for the records that changed.

Idempotent by external id: a resend of the same content changes nothing; a later state (a
decision, more steps) updates the record. The promised day (``due_on``) is fixed when the
record arrives: a resend keeps it even if the calendar was edited since, unless the item or
the day of acceptance changed.

Working days follow core.calendar (the PRC calendar, the start day not counted): ``due_on`` is
``promised_days`` working days after the Shanghai day of acceptance; ``working_days_taken``
counts the working days from that day to the day of the decision, and a step's from the day it
started to the day it finished.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.models import (
    ApprovalFee,
    ApprovalFeeCharge,
    ApprovalItem,
    ApprovalRecord,
    ApprovalStep,
    ApprovalStepEvent,
    Where,
)
from approvals.services.signals import signals_evaluate
from core.calendar import WorkingCalendar
from core.validators import normalize_credit_code, validate_credit_code
from liaison.models import Enterprise

logger = logging.getLogger(__name__)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
Decision = ApprovalRecord.Decision
DECIDED = {Decision.APPROVED, Decision.REFUSED}

# The columns the upsert writes (``received_at`` is kept from the first push).
RECORD_FIELDS = [
    "item",
    "department",
    "applicant_credit_code",
    "applicant_name",
    "enterprise",
    "accepted_at",
    "accepted_where",
    "due_on",
    "decision",
    "decided_at",
    "decided_on",
    "decided_where",
    "refusal_reason",
    "working_days_taken",
]
_COMPARED = [
    name if name not in ("item", "department", "enterprise") else f"{name}_id" for name in RECORD_FIELDS
]

_ONE_DAY = dt.timedelta(days=1)
# Beyond the last day of acceptance, how far promised limits may reach (weekends and holidays).
_SLACK_DAYS = 40


@dataclass
class IngestResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    signals: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "signals": self.signals,
        }


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one row: ``row`` its index in the batch (from 0; None for the batch as
    a whole), ``field`` as the row names it (``steps[1].finished_at`` inside a step)."""

    row: int | None
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


class IngestRejected(ValidationError):
    """The batch was refused whole: ``problems`` lists every row error."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        super().__init__([_row_text(problem) for problem in problems] or [_("The batch was refused.")])


def _row_text(problem: RowProblem) -> str:
    if problem.row is None:
        return problem.message
    return _("Row %(row)s, %(field)s: %(message)s") % {
        "row": problem.row,
        "field": problem.field or "—",
        "message": problem.message,
    }


# --- Reading one row -----------------------------------------------------------------------------


class _Row:
    """One row, converted: its values, and its errors as (field, message)."""

    __slots__ = ("errors", "index", "values", "steps", "fees", "accepted_on", "decided_on")

    def __init__(self, index: int):
        self.index = index
        self.errors: list[tuple[str, str]] = []
        self.values: dict[str, Any] = {}
        self.steps: list[dict[str, Any]] = []
        self.fees: list[dict[str, Any]] = []
        self.accepted_on: dt.date | None = None
        self.decided_on: dt.date | None = None


def _text(raw: dict, name: str, row: _Row, *, max_length: int, required=False, prefix="") -> str:
    value = raw.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(int(value)) if float(value).is_integer() else str(value)
        else:
            row.errors.append((prefix + name, _("Enter text.")))
            return ""
    value = value.strip()
    if "\x00" in value:
        # PostgreSQL stores no NUL in text: refused here, not failed on in a query.
        row.errors.append((prefix + name, _("Text may not contain NUL characters.")))
        return ""
    if required and not value:
        row.errors.append((prefix + name, _("This field is required.")))
    elif len(value) > max_length:
        row.errors.append(
            (
                prefix + name,
                _("At most %(max)s characters (it has %(length)s).")
                % {"max": max_length, "length": len(value)},
            )
        )
    return value


def parse_moment(value: Any) -> dt.datetime:
    """An ISO 8601 date and time; without an offset it is Asia/Shanghai time."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                _("Enter a date and time as ISO 8601, e.g. 2026-09-30T09:30:00+08:00.")
            ) from None
        if len(text) <= 10:
            raise ValidationError(_("Enter a time as well as the date, e.g. 2026-09-30T09:30:00+08:00."))
    else:
        raise ValidationError(_("Enter a date and time as ISO 8601, e.g. 2026-09-30T09:30:00+08:00."))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    if not 1990 <= moment.year <= 2100:
        raise ValidationError(_("The year must be between 1990 and 2100."))
    return moment


_EIGHT_HOURS = dt.timedelta(hours=8)


def shanghai_day(moment: dt.datetime) -> dt.date:
    """The day of ``moment`` in Asia/Shanghai. China has kept UTC+8 without summer time since
    1992: the offset is added directly (zoneinfo's conversion costs ten times as much, per time
    of a batch of thousands); earlier moments go through zoneinfo."""
    if moment.year < 1992:
        return moment.astimezone(SHANGHAI).date()
    offset = moment.utcoffset()
    if offset == _EIGHT_HOURS:
        return moment.date()
    return (moment - offset + _EIGHT_HOURS).date()


def _moment(raw: dict, name: str, row: _Row, *, required=False, prefix="") -> dt.datetime | None:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            row.errors.append((prefix + name, _("This field is required.")))
        return None
    try:
        return parse_moment(value)
    except ValidationError as error:
        row.errors.append((prefix + name, error.messages[0]))
        return None


_VALUES: dict[type, frozenset] = {}


def _choice(raw: dict, name: str, row: _Row, choices, *, default: str | None = None) -> str:
    allowed = _VALUES.get(choices)
    if allowed is None:
        allowed = _VALUES[choices] = frozenset(choices.values)
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            row.errors.append((name, _("This field is required.")))
        return default or ""
    text = str(value).strip().lower()
    if text not in allowed:
        row.errors.append(
            (
                name,
                _("Unknown value %(value)s: use one of %(choices)s.")
                % {"value": str(value)[:40], "choices": ", ".join(choices.values)},
            )
        )
        return default or ""
    return text


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount >= 10**10:
        return None
    return amount.quantize(Decimal("0.01"))


@functools.lru_cache(maxsize=4096)
def _credit_code_problem(code: str) -> str:
    # The same applicants come back batch after batch: each code is checked once.
    try:
        validate_credit_code(code)
    except ValidationError as error:
        return str(error.messages[0])
    return ""


def _read_row(index: int, raw: Any) -> _Row:
    row = _Row(index)
    if not isinstance(raw, dict):
        row.errors.append(("", _("Each record must be an object with its fields.")))
        return row
    values = row.values
    values["external_id"] = _text(raw, "external_id", row, max_length=64, required=True)
    values["item_code"] = _text(raw, "item_code", row, max_length=40, required=True)
    code = normalize_credit_code(_text(raw, "applicant_credit_code", row, max_length=40))
    if code:
        problem = _credit_code_problem(code)
        if problem:
            row.errors.append(("applicant_credit_code", problem))
    values["applicant_credit_code"] = code
    values["applicant_name"] = _text(raw, "applicant_name", row, max_length=200)
    accepted_at = _moment(raw, "accepted_at", row, required=True)
    values["accepted_at"] = accepted_at
    values["accepted_where"] = _choice(raw, "accepted_where", row, Where)
    decision = _choice(raw, "decision", row, Decision, default=Decision.PENDING)
    values["decision"] = decision
    decided_at = _moment(raw, "decided_at", row)
    values["decided_at"] = decided_at
    decided_where = raw.get("decided_where")
    values["decided_where"] = (
        _choice(raw, "decided_where", row, Where, default="") if decided_where not in (None, "") else ""
    )
    values["refusal_reason"] = _text(raw, "refusal_reason", row, max_length=5000)
    if decision == Decision.PENDING:
        if decided_at is not None:
            row.errors.append(("decided_at", _("A pending record has no decision time: leave it empty.")))
        if values["decided_where"]:
            row.errors.append(
                ("decided_where", _("A pending record is not decided anywhere yet: leave it empty."))
            )
    elif decision in DECIDED:
        if decided_at is None and "decided_at" not in {field for field, _m in row.errors}:
            row.errors.append(("decided_at", _("An approved or refused record needs its decision time.")))
        if not values["decided_where"] and "decided_where" not in {field for field, _m in row.errors}:
            row.errors.append(
                ("decided_where", _("An approved or refused record needs where it was decided."))
            )
    if accepted_at and decided_at and decided_at < accepted_at:
        row.errors.append(("decided_at", _("The decision cannot come before the acceptance.")))
    if values["refusal_reason"] and decision != Decision.REFUSED:
        row.errors.append(("refusal_reason", _("Only a refused record has a reason for refusal.")))

    steps = raw.get("steps") or []
    if not isinstance(steps, list):
        row.errors.append(("steps", _("Give the steps as a list.")))
        steps = []
    positions: set[int] = set()
    for number, step in enumerate(steps):
        prefix = f"steps[{number}]."
        if not isinstance(step, dict):
            row.errors.append((f"steps[{number}]", _("Each step must be an object with its fields.")))
            continue
        position = _whole_number(step.get("position"))
        if position is None or not 1 <= position <= 999:
            row.errors.append((prefix + "position", _("Enter a whole number from 1 to 999.")))
        elif position in positions:
            row.errors.append(
                (prefix + "position", _("Each step position may appear only once in a record."))
            )
        else:
            positions.add(position)
        started = _moment(step, "started_at", row, required=True, prefix=prefix)
        finished = _moment(step, "finished_at", row, prefix=prefix)
        if started and finished and finished < started:
            row.errors.append((prefix + "finished_at", _("A step cannot finish before it started.")))
        if started and accepted_at and started < accepted_at:
            row.errors.append((prefix + "started_at", _("A step cannot start before the acceptance.")))
        row.steps.append(
            {
                "position": position,
                "name": _text(step, "name", row, max_length=60, prefix=prefix),
                "started_at": started,
                "finished_at": finished,
                "officer": _text(step, "officer", row, max_length=60, prefix=prefix),
            }
        )

    fees = raw.get("fees") or []
    if not isinstance(fees, list):
        row.errors.append(("fees", _("Give the fees as a list.")))
        fees = []
    for number, fee in enumerate(fees):
        prefix = f"fees[{number}]."
        if not isinstance(fee, dict):
            row.errors.append((f"fees[{number}]", _("Each fee must be an object with its fields.")))
            continue
        amount = _amount(fee.get("amount"))
        if amount is None:
            row.errors.append(
                (prefix + "amount", _("Enter an amount in yuan, not negative, with at most two decimals."))
            )
        row.fees.append(
            {
                "code": _text(fee, "code", row, max_length=40, required=True, prefix=prefix),
                "name": _text(fee, "name", row, max_length=120, prefix=prefix),
                "amount": amount,
            }
        )
    if accepted_at:
        row.accepted_on = shanghai_day(accepted_at)
    row.decided_on = shanghai_day(decided_at) if decided_at else None
    return row


# --- Working days ---------------------------------------------------------------------------------


def _add_working_days(calendar: WorkingCalendar, start: dt.date, n: int) -> dt.date:
    day, counted = start, 0
    while counted < n:
        day += _ONE_DAY
        if calendar.day(day)[0]:
            counted += 1
    return day


def _working_days_between(calendar: WorkingCalendar, first: dt.date, last: dt.date) -> int:
    """Working days after ``first`` up to and including ``last`` (0 when not after it)."""
    count, day = 0, first
    while day < last:
        day += _ONE_DAY
        count += calendar.day(day)[0]
    return count


# --- The service -----------------------------------------------------------------------------------


def records_check(raw_rows: list) -> tuple[list[_Row], list[RowProblem], dict[str, ApprovalItem]]:
    """Convert and check every row (a query for the items named, and one for their steps'
    and fees' catalogue is left to the write). Returns the rows, the problems, the items."""
    rows = [_read_row(index, raw) for index, raw in enumerate(raw_rows)]
    codes = {row.values.get("item_code") for row in rows if row.values.get("item_code")}
    items = {item.code: item for item in ApprovalItem.objects.filter(code__in=codes)} if codes else {}
    first_of: dict[str, int] = {}
    problems: list[RowProblem] = []
    for row in rows:
        code = row.values.get("item_code")
        if code and code not in items:
            row.errors.append(("item_code", _("No item with this code in the catalogue.")))
        external_id = row.values.get("external_id")
        if external_id:
            if external_id in first_of:
                row.errors.append(
                    (
                        "external_id",
                        _("Already in row %(row)s of this batch: each record may appear only once.")
                        % {"row": first_of[external_id]},
                    )
                )
            else:
                first_of[external_id] = row.index
        problems.extend(RowProblem(row.index, field, message) for field, message in row.errors)
    return rows, problems, items


def records_ingest(rows: list[dict], *, actor, now: dt.datetime | None = None) -> IngestResult:
    """Create or update the approval records of one batch (at most APPROVAL_BATCH_MAX rows),
    all or nothing; raises ``IngestRejected`` (a ValidationError) with every row's problems."""
    if not isinstance(rows, list):
        raise IngestRejected([RowProblem(None, "", _("Send the records as a list."))])
    if len(rows) > settings.APPROVAL_BATCH_MAX:
        raise IngestRejected(
            [
                RowProblem(
                    None,
                    "",
                    _("A batch holds at most %(max)s records (this one has %(count)s): split it.")
                    % {"max": settings.APPROVAL_BATCH_MAX, "count": len(rows)},
                )
            ]
        )
    return records_write(rows, actor=actor, now=now)


def records_write(raw_rows: list, *, actor, now: dt.datetime | None = None) -> IngestResult:
    """records_ingest without the batch limit (the staff's file import: one transaction)."""
    now = now or timezone.now()
    checked, problems, items = records_check(raw_rows)
    if problems:
        raise IngestRejected(problems)
    result = IngestResult()
    if not checked:
        return result
    with transaction.atomic():
        result = _write(checked, items, now=now)
    logger.info(
        "approval records ingested by %s: %s created, %s updated, %s unchanged, %s signals",
        getattr(actor, "pk", None),
        result.created,
        result.updated,
        result.unchanged,
        result.signals,
    )
    return result


def _write(rows: list[_Row], items: dict[str, ApprovalItem], *, now: dt.datetime) -> IngestResult:
    result = IngestResult()
    item_ids = {item.pk for item in items.values()}
    catalogue_steps = {
        (step.item_id, step.position): step for step in ApprovalStep.objects.filter(item_id__in=item_ids)
    }
    catalogue_fees = {
        (fee.item_id, fee.code): fee.pk for fee in ApprovalFee.objects.filter(item_id__in=item_ids)
    }
    credit_codes = {
        row.values["applicant_credit_code"] for row in rows if row.values["applicant_credit_code"]
    }
    enterprises = (
        dict(Enterprise.objects.filter(credit_code__in=credit_codes).values_list("credit_code", "pk"))
        if credit_codes
        else {}
    )
    existing = {
        record.external_id: record
        for record in ApprovalRecord.objects.select_for_update()
        .filter(external_id__in=[row.values["external_id"] for row in rows])
        .only("pk", "external_id", *_COMPARED)
    }
    existing_ids = [record.pk for record in existing.values()]
    old_steps: dict[int, list[tuple]] = {}
    old_fees: dict[int, list[tuple]] = {}
    if existing_ids:
        for values in ApprovalStepEvent.objects.filter(record_id__in=existing_ids).values_list(
            "record_id",
            "position",
            "name",
            "started_at",
            "finished_at",
            "officer",
            "step_id",
            "working_days_taken",
        ):
            old_steps.setdefault(values[0], []).append(values[1:])
        for values in ApprovalFeeCharge.objects.filter(record_id__in=existing_ids).values_list(
            "record_id", "code", "name", "amount", "fee_id"
        ):
            old_fees.setdefault(values[0], []).append(values[1:])

    # One snapshot of the calendar for the whole batch: its exceptions in two queries.
    calendar = WorkingCalendar()
    days = [row.accepted_on for row in rows]
    longest = max(item.promised_days for item in items.values())
    last = max([*days, *(row.decided_on for row in rows if row.decided_on)])
    calendar.load(min(days), max(last, max(days) + dt.timedelta(days=longest * 7 // 5 + _SLACK_DAYS)))

    upserts: list[ApprovalRecord] = []
    children: list[tuple[ApprovalRecord, list, list]] = []
    for row in rows:
        values = row.values
        item = items[values["item_code"]]
        old = existing.get(values["external_id"])
        if old is not None and old.item_id == item.pk and old.accepted_at == values["accepted_at"]:
            due_on = old.due_on  # fixed when the record first arrived
        else:
            due_on = _add_working_days(calendar, row.accepted_on, item.promised_days)
        record = (
            item.pk,
            item.department_id,
            values["applicant_credit_code"],
            values["applicant_name"],
            enterprises.get(values["applicant_credit_code"]),
            values["accepted_at"],
            values["accepted_where"],
            due_on,
            values["decision"],
            values["decided_at"],
            row.decided_on,
            values["decided_where"],
            values["refusal_reason"],
            _working_days_between(calendar, row.accepted_on, row.decided_on) if row.decided_on else None,
        )
        steps = []
        for step in sorted(row.steps, key=lambda step: step["position"]):
            catalogue = catalogue_steps.get((item.pk, step["position"]))
            started_on = shanghai_day(step["started_at"])
            finished = step["finished_at"]
            steps.append(
                (
                    step["position"],
                    step["name"] or (catalogue.name if catalogue else ""),
                    step["started_at"],
                    finished,
                    step["officer"],
                    catalogue.pk if catalogue else None,
                    _working_days_between(calendar, started_on, shanghai_day(finished)) if finished else None,
                )
            )
        fees = sorted(
            (
                (fee["code"], fee["name"], fee["amount"], catalogue_fees.get((item.pk, fee["code"])))
                for fee in row.fees
            ),
            key=_fee_order,
        )
        if old is not None and _same(old, record, steps, fees, old_steps, old_fees):
            result.unchanged += 1
            continue
        if old is None:
            result.created += 1
        else:
            result.updated += 1
        upserts.append((values["external_id"], *record))
        children.append((values["external_id"], steps, fees))

    if not upserts:
        return result
    # New and changed records in one statement; their ids come back (RETURNING).
    id_of = _records_upsert(upserts, now=now)
    changed_ids = list(id_of.values())
    if existing_ids:
        ApprovalStepEvent.objects.filter(record_id__in=changed_ids).delete()
        ApprovalFeeCharge.objects.filter(record_id__in=changed_ids).delete()
    if connection.vendor == "postgresql":
        _insert_unnest(
            ApprovalStepEvent,
            [
                "record_id",
                "position",
                "name",
                "started_at",
                "finished_at",
                "officer",
                "step_id",
                "working_days_taken",
            ],
            [(id_of[external_id], *step) for external_id, steps, _fees in children for step in steps],
        )
        _insert_unnest(
            ApprovalFeeCharge,
            ["record_id", "code", "name", "amount", "fee_id"],
            [(id_of[external_id], *fee) for external_id, _steps, fees in children for fee in fees],
        )
        result.signals = signals_evaluate(changed_ids, now=now)
        return result
    step_events = [
        ApprovalStepEvent(
            record_id=id_of[external_id],
            position=position,
            name=name,
            started_at=started,
            finished_at=finished,
            officer=officer,
            step_id=step_id,
            working_days_taken=taken,
        )
        for external_id, steps, _fees in children
        for position, name, started, finished, officer, step_id, taken in steps
    ]
    fee_charges = [
        ApprovalFeeCharge(record_id=id_of[external_id], code=code, name=name, amount=amount, fee_id=fee_id)
        for external_id, _steps, fees in children
        for code, name, amount, fee_id in fees
    ]
    if step_events:
        ApprovalStepEvent.objects.bulk_create(step_events, batch_size=2000)
    if fee_charges:
        ApprovalFeeCharge.objects.bulk_create(fee_charges, batch_size=2000)
    result.signals = signals_evaluate(changed_ids, now=now)
    return result


# --- Set-based writes ------------------------------------------------------------------------------

_ARRAY_TYPES = {
    "CharField": "varchar[]",
    "TextField": "text[]",
    "ForeignKey": "bigint[]",
    "DateTimeField": "timestamptz[]",
    "DateField": "date[]",
    "PositiveSmallIntegerField": "integer[]",
    "DecimalField": "numeric[]",
}


def _array(column: tuple) -> list:
    """A column's values for an array parameter: dates and times as ISO text (the array's cast
    reads them), which the driver sends several times faster than its own literals."""
    return [value.isoformat() if isinstance(value, dt.date) else value for value in column]


def _unnest_sql(model, attnames: list[str]) -> tuple[str, str]:
    """The quoted column list and ``unnest(%s::type[], …)`` for these fields of ``model``."""
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    fields = [by_attname[name] for name in attnames]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    arrays = ", ".join(f"%s::{_ARRAY_TYPES[field.get_internal_type()]}" for field in fields)
    return columns, f"unnest({arrays})"


def _insert_unnest(model, attnames: list[str], rows: list[tuple]) -> None:
    """One INSERT of every row, its columns sent as arrays (PostgreSQL)."""
    if not rows:
        return
    columns, unnest = _unnest_sql(model, attnames)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        sql = f"INSERT INTO {table} ({columns}) SELECT * FROM {unnest}"  # noqa: S608 - names from the model
        cursor.execute(sql, [_array(column) for column in zip(*rows, strict=True)])


def _records_upsert(rows: list[tuple], *, now: dt.datetime) -> dict[str, int]:
    """Insert or update (by external id) these records, in the column order external_id then
    ``_COMPARED``; the id of each external id. One ``INSERT … ON CONFLICT DO UPDATE`` on
    PostgreSQL; Django's bulk_create with update_conflicts elsewhere (the SQLite of `make run`)."""
    attnames = ["external_id", *_COMPARED]
    if connection.vendor == "postgresql":
        columns, unnest = _unnest_sql(ApprovalRecord, attnames)
        table = connection.ops.quote_name(ApprovalRecord._meta.db_table)
        quote = connection.ops.quote_name
        stamps = ", ".join(
            quote(ApprovalRecord._meta.get_field(name).column) for name in ("received_at", "updated_at")
        )
        updates = ", ".join(
            f"{column} = EXCLUDED.{column}"
            for column in [
                quote(ApprovalRecord._meta.get_field(name).column) for name in [*RECORD_FIELDS, "updated_at"]
            ]
        )
        sql = (
            f"INSERT INTO {table} ({columns}, {stamps}) SELECT u.*, %s, %s FROM {unnest} AS u "  # noqa: S608
            f"ON CONFLICT ({quote('external_id')}) DO UPDATE SET {updates} "
            f"RETURNING {quote('external_id')}, {quote('id')}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [now, now, *(_array(column) for column in zip(*rows, strict=True))])
            return dict(cursor.fetchall())
    records = [ApprovalRecord(**dict(zip(attnames, row, strict=True))) for row in rows]
    ApprovalRecord.objects.bulk_create(
        records,
        update_conflicts=True,
        unique_fields=["external_id"],
        update_fields=[*RECORD_FIELDS, "updated_at"],
        batch_size=500,
    )
    return {record.external_id: record.pk for record in records}


def _same(old, new: tuple, steps, fees, old_steps, old_fees) -> bool:
    if tuple(getattr(old, name) for name in _COMPARED) != new:
        return False
    if sorted(old_steps.get(old.pk, []), key=lambda step: step[0]) != steps:
        return False
    return sorted(old_fees.get(old.pk, []), key=_fee_order) == fees


def _fee_order(fee: tuple) -> tuple:
    code, name, amount, fee_id = fee
    return (code, name, amount, fee_id or 0)


def record_ids_of(external_ids: Iterable[str]) -> list[int]:
    """The ids of the records with these external ids (for tests and the bench)."""
    return list(
        ApprovalRecord.objects.filter(external_id__in=list(external_ids)).values_list("pk", flat=True)
    )
