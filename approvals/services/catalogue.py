"""Import of the approval item catalogue (事项目录) from Excel, with the directory's machinery
(liaison.imports): columns matched by header in Chinese or English, all or nothing, every error
with its row, column and value, everything written in bulk in one transaction and put on the
import record.

One worksheet, one line per step or fee: the lines of one item share its item code. The item's
own columns (department, name, limits …) are read from its first line; on its other lines they
are left empty or repeat the same values. A line may also carry one step (position, name, limit)
and one fee (code, name, legal basis, amount). When the file lists steps for an item, they
become the item's steps (a position not in the file is removed); likewise its fees, by fee code.
An item whose lines carry no step (or no fee) keeps the ones it has."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.models import ApprovalFee, ApprovalItem, ApprovalStep
from liaison.imports import (
    KEEP,
    Column,
    DirectorySpec,
    ImportResult,
    RowError,
    _folded,
    cell_display,
    choice_parser,
    departments_by_name,
    file_error,
    parse_boolean,
    read_checked,
    spec_template,
)
from liaison.models import DirectoryImport
from liaison.services import directory_import_record

logger = logging.getLogger(__name__)

CATALOGUE_KIND = "approval_items"


def parse_days(value: Any) -> int:
    """A whole number of working days, 1 to 999."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = cell_display(value)
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 999:
        raise ValidationError(_("Enter a whole number of working days from 1 to 999."))
    return int(text)


def parse_amount(value: Any) -> Decimal:
    try:
        amount = Decimal(cell_display(value).replace(",", "").replace("，", ""))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount >= 10**10:
        raise ValidationError(_("Enter an amount in yuan, not negative, with at most two decimals."))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(_("Enter an amount in yuan, not negative, with at most two decimals."))
    return amount.quantize(Decimal("0.01"))


_KIND_WORDS = {
    "许可": ApprovalItem.Kind.LICENCE,
    "行政许可": ApprovalItem.Kind.LICENCE,
    "非许可": ApprovalItem.Kind.NON_LICENCE,
    "非许可审批": ApprovalItem.Kind.NON_LICENCE,
    "备案": ApprovalItem.Kind.FILING,
    "服务": ApprovalItem.Kind.SERVICE,
    "公共服务": ApprovalItem.Kind.SERVICE,
}
_kind_choice = choice_parser(ApprovalItem.Kind)


def parse_kind(value: Any) -> str:
    """许可, 非许可, 备案 or 服务 as the catalogue writes them, or a code or label."""
    word = _KIND_WORDS.get(_folded(cell_display(value)))
    return word.value if word else _kind_choice(value)


ITEM_FIELDS = [
    "department",
    "name",
    "kind",
    "statutory_days",
    "promised_days",
    "in_hall",
    "window_authorised",
    "is_active",
]
STEP_FIELDS = ["step_position", "step_name", "step_limit_days"]
FEE_FIELDS = ["fee_code", "fee_name", "fee_legal_basis", "fee_amount"]

CATALOGUE_SPEC = DirectorySpec(
    model=ApprovalItem,
    key="code",
    sheet_title="事项目录 catalogue",
    max_rows=20_000,
    columns=(
        Column(
            "code",
            "事项编码",
            "item code",
            gettext_lazy(
                "The item's code in the government service catalogue: the key the halls' systems send. "
                "An item with this code is updated, otherwise a new one is created. Repeat it on each "
                "line of the item's steps and fees."
            ),
            required=True,
        ),
        Column(
            "department",
            "部门",
            "department",
            gettext_lazy(
                "The department's full name or short name, as in the directory (required for a new item)."
            ),
        ),
        Column("name", "事项名称", "name", gettext_lazy("The item's name (required for a new item).")),
        Column(
            "kind",
            "事项类型",
            "kind",
            gettext_lazy("许可, 非许可, 备案 or 服务 (or the codes licence, non_licence, filing, service)."),
            parse_kind,
            empty=KEEP,
        ),
        Column(
            "statutory_days",
            "法定时限",
            "statutory limit",
            gettext_lazy("The limit set by law, in working days."),
            parse_days,
            empty=KEEP,
        ),
        Column(
            "promised_days",
            "承诺时限",
            "promised limit",
            gettext_lazy(
                "The limit the department promises, in working days: not more than the statutory limit."
            ),
            parse_days,
            empty=KEEP,
        ),
        Column(
            "in_hall",
            "进驻大厅",
            "in the hall",
            gettext_lazy(
                "是/否: the item must be handled in the service hall. Empty: unchanged, yes for a new item."
            ),
            parse_boolean,
            empty=KEEP,
        ),
        Column(
            "window_authorised",
            "授权到位",
            "window authorised",
            gettext_lazy(
                "是/否: the hall window holds the authority to decide. Empty: unchanged, yes for a new item."
            ),
            parse_boolean,
            empty=KEEP,
        ),
        Column(
            "is_active",
            "有效",
            "active",
            gettext_lazy("是/否. Empty: unchanged, yes for a new item."),
            parse_boolean,
            empty=KEEP,
        ),
        Column(
            "step_position",
            "环节序号",
            "step position",
            gettext_lazy("Optional, one step per line: its position (1, 2, 3 …)."),
            parse_days,
            empty=None,
        ),
        Column("step_name", "环节名称", "step name", gettext_lazy("The step's name, e.g. 受理, 审查, 决定.")),
        Column(
            "step_limit_days",
            "环节时限",
            "step limit",
            gettext_lazy("The step's own limit in working days."),
            parse_days,
            empty=None,
        ),
        Column("fee_code", "收费编码", "fee code", gettext_lazy("Optional, one fee per line: its code.")),
        Column("fee_name", "收费名称", "fee name", gettext_lazy("The fee's name.")),
        Column(
            "fee_legal_basis",
            "收费依据",
            "fee legal basis",
            gettext_lazy("The document that allows the fee."),
        ),
        Column(
            "fee_amount",
            "收费标准",
            "fee amount",
            gettext_lazy("The approved amount in yuan."),
            parse_amount,
            empty=None,
        ),
    ),
)


def catalogue_template() -> bytes:
    return spec_template(CATALOGUE_SPEC)


def _row_error(row, header: dict[str, str], name: str, message: str) -> RowError:
    return RowError(row.number, header.get(name, ""), cell_display(row.raw.get(name)), message)


def catalogue_import(
    *, content: bytes, actor, dry_run: bool = False, file_name: str = "", source: str = ""
) -> ImportResult:
    """Create or update catalogue items with their steps and fees from the first worksheet of an
    xlsx file. All or nothing; ``dry_run`` checks and counts only (the counts are of items). A
    saved import is recorded with its rows."""
    source = source or DirectoryImport.Source.WORKPLACE
    result = ImportResult(dry_run=dry_run)
    checked = read_checked(CATALOGUE_SPEC, content, result)
    if checked is None:
        return result
    rows, header = checked
    departments = departments_by_name()

    # The lines of each item, in file order.
    lines: dict[str, list] = {}
    for row in rows:
        code = row.values.get("code")
        if code:
            lines.setdefault(code, []).append(row)

    try:
        with transaction.atomic():
            existing = {
                item.code: item
                for item in ApprovalItem.objects.select_for_update().filter(code__in=list(lines))
            }
            to_create, to_update, plans = [], [], []
            for code, item_rows in lines.items():
                instance = existing.get(code) or ApprovalItem(code=code)
                changed = _apply_item(instance, item_rows, header, departments, result)
                steps, fees = _children(item_rows, header, result)
                if instance.pk is None and not instance.department_id:
                    result.errors.append(
                        _row_error(item_rows[0], header, "department", _("A new item needs its department."))
                    )
                    continue
                try:
                    instance.full_clean(
                        exclude={"department"}, validate_unique=False, validate_constraints=False
                    )
                except ValidationError as error:
                    for name, messages in error.message_dict.items():
                        name = "" if name == NON_FIELD_ERRORS else name
                        result.errors.extend(_row_error(item_rows[0], header, name, m) for m in messages)
                    continue
                if (
                    instance.promised_days
                    and instance.statutory_days
                    and instance.promised_days > instance.statutory_days
                ):
                    result.errors.append(
                        _row_error(
                            item_rows[0],
                            header,
                            "promised_days",
                            _("The promised limit cannot be longer than the statutory limit."),
                        )
                    )
                    continue
                if instance.pk is None:
                    to_create.append(instance)
                elif changed:
                    to_update.append(instance)
                plans.append((instance, steps, fees))
            created, updated = len(to_create), len(to_update)
            if result.errors or dry_run:
                transaction.set_rollback(True)
                if not result.errors:
                    result.created, result.updated = created, updated
                    result.unchanged = len(lines) - created - updated
            else:
                ApprovalItem.objects.bulk_create(to_create, batch_size=1000)
                now = timezone.now()
                for instance in to_update:
                    instance.updated_at = now
                ApprovalItem.objects.bulk_update(to_update, [*ITEM_FIELDS, "updated_at"], batch_size=500)
                children_changed = _write_children(plans)
                result.created = created
                result.updated = len(
                    {*(i.pk for i in to_update), *children_changed} - {i.pk for i in to_create}
                )
                result.unchanged = len(lines) - result.created - result.updated
                directory_import_record(
                    kind=CATALOGUE_KIND,
                    source=source,
                    file_name=file_name,
                    rows=result.rows,
                    created=result.created,
                    updated=result.updated,
                    unchanged=result.unchanged,
                    actor=actor,
                )
    except IntegrityError:
        result.created = result.updated = result.unchanged = 0
        result.errors.append(
            file_error(
                _("The catalogue changed while the file was being imported; nothing was saved. Try again.")
            )
        )
    order = {column.header: i for i, column in enumerate(CATALOGUE_SPEC.columns)}
    result.errors.sort(key=lambda error: (error.row or 0, order.get(error.column, 99)))
    if result.errors:
        result.created = result.updated = result.unchanged = 0
    elif not dry_run:
        logger.info(
            "approval catalogue import by %s: %s created, %s updated",
            getattr(actor, "pk", None),
            result.created,
            result.updated,
        )
    return result


def _apply_item(instance, item_rows, header, departments, result) -> bool:
    """Set the item's fields from its first line; later lines must agree. True if it changed."""
    first = item_rows[0]
    changed = False
    for name in ITEM_FIELDS:
        value = first.values.get(name, KEEP)
        for later in item_rows[1:]:
            other = later.values.get(name, KEEP)
            if other not in (KEEP, "", None) and other != value:
                message = _(
                    "Differs from the item's first line (row %(row)s): leave it empty or repeat it."
                ) % {"row": first.number}
                result.errors.append(_row_error(later, header, name, message))
        if value is KEEP or (name in ("name", "department") and value in ("", None)):
            continue
        if name == "department":
            department = departments.get(_folded(value))
            if department is None:
                result.errors.append(
                    _row_error(
                        first,
                        header,
                        name,
                        _("No department of this name in the directory: use its full name or short name."),
                    )
                )
                continue
            if instance.department_id != department.pk:
                instance.department = department
                changed = True
            continue
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def _children(item_rows, header, result) -> tuple[dict | None, dict | None]:
    """The steps (position -> (name, limit)) and fees (code -> (name, basis, amount)) the lines
    list; None when they list none (the item's own are kept)."""
    steps: dict[int, tuple] = {}
    fees: dict[str, tuple] = {}
    for row in item_rows:
        values = row.values
        position, step_name, limit = (
            values.get("step_position"),
            values.get("step_name"),
            values.get("step_limit_days"),
        )
        if position or step_name or limit:
            if not (position and step_name and limit):
                result.errors.append(
                    _row_error(row, header, "step_position", _("A step needs its position, name and limit."))
                )
            elif len(step_name) > 60:
                result.errors.append(_row_error(row, header, "step_name", _("At most 60 characters.")))
            elif position in steps:
                result.errors.append(
                    _row_error(
                        row, header, "step_position", _("This step position is already listed for the item.")
                    )
                )
            else:
                steps[position] = (step_name, limit)
        code, fee_name, basis, amount = (
            values.get("fee_code"),
            values.get("fee_name"),
            values.get("fee_legal_basis"),
            values.get("fee_amount"),
        )
        if code or fee_name or basis or amount is not None:
            if not (code and fee_name and basis and amount is not None):
                result.errors.append(
                    _row_error(
                        row, header, "fee_code", _("A fee needs its code, name, legal basis and amount.")
                    )
                )
            elif code in fees:
                result.errors.append(
                    _row_error(row, header, "fee_code", _("This fee code is already listed for the item."))
                )
            elif len(code) > 40:
                result.errors.append(_row_error(row, header, "fee_code", _("At most 40 characters.")))
            elif len(fee_name) > 120:
                result.errors.append(_row_error(row, header, "fee_name", _("At most 120 characters.")))
            else:
                fees[code] = (fee_name, basis, amount)
    return (steps or None), (fees or None)


def _write_children(plans) -> set[int]:
    """Replace the listed steps and fees in bulk; the ids of the items whose steps or fees changed."""
    item_ids = [item.pk for item, steps, fees in plans if steps is not None or fees is not None]
    old_steps: dict[int, dict[int, ApprovalStep]] = {}
    old_fees: dict[int, dict[str, ApprovalFee]] = {}
    for step in ApprovalStep.objects.filter(item_id__in=item_ids):
        old_steps.setdefault(step.item_id, {})[step.position] = step
    for fee in ApprovalFee.objects.filter(item_id__in=item_ids):
        old_fees.setdefault(fee.item_id, {})[fee.code] = fee
    changed: set[int] = set()
    new_steps, update_steps, drop_steps = [], [], []
    new_fees, update_fees, drop_fees = [], [], []
    for item, steps, fees in plans:
        if steps is not None:
            old = old_steps.get(item.pk, {})
            for position, (name, limit) in steps.items():
                step = old.get(position)
                if step is None:
                    new_steps.append(ApprovalStep(item=item, position=position, name=name, limit_days=limit))
                    changed.add(item.pk)
                elif (step.name, step.limit_days) != (name, limit):
                    step.name, step.limit_days = name, limit
                    update_steps.append(step)
                    changed.add(item.pk)
            gone = [step.pk for position, step in old.items() if position not in steps]
            if gone:
                drop_steps += gone
                changed.add(item.pk)
        if fees is not None:
            old = old_fees.get(item.pk, {})
            for code, (name, basis, amount) in fees.items():
                fee = old.get(code)
                if fee is None:
                    new_fees.append(
                        ApprovalFee(item=item, code=code, name=name, legal_basis=basis, amount=amount)
                    )
                    changed.add(item.pk)
                elif (fee.name, fee.legal_basis, fee.amount) != (name, basis, amount):
                    fee.name, fee.legal_basis, fee.amount = name, basis, amount
                    update_fees.append(fee)
                    changed.add(item.pk)
            gone = [fee.pk for code, fee in old.items() if code not in fees]
            if gone:
                drop_fees += gone
                changed.add(item.pk)
    ApprovalStep.objects.filter(pk__in=drop_steps).delete()
    ApprovalFee.objects.filter(pk__in=drop_fees).delete()
    ApprovalStep.objects.bulk_create(new_steps, batch_size=1000)
    ApprovalStep.objects.bulk_update(update_steps, ["name", "limit_days"], batch_size=500)
    ApprovalFee.objects.bulk_create(new_fees, batch_size=1000)
    ApprovalFee.objects.bulk_update(update_fees, ["name", "legal_basis", "amount"], batch_size=500)
    return changed
