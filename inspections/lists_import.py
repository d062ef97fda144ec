"""Import of the departments' inspection item lists (检查事项清单) from Excel, with the
directory's machinery (liaison.imports): columns matched by header in Chinese or English, all or
nothing, every error with its row, column and value, rows saved in bulk in one transaction and
put on the import record.

A row is identified by its department (by name or short name) and its item code: an item with
that code in that department is updated, otherwise a new one is created."""

import logging
import re
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inspections.models import InspectionItem
from liaison.imports import (
    KEEP,
    Column,
    DirectorySpec,
    ImportResult,
    RowError,
    _folded,
    cell_display,
    departments_by_name,
    file_error,
    parse_boolean,
    read_checked,
    spec_template,
)
from liaison.models import DirectoryImport
from liaison.services import directory_import_record

logger = logging.getLogger(__name__)

# The import record's kind (DirectoryImport.kind stores it; not among its choices, see the
# liaison import for why).
ITEMS_KIND = "inspection_items"

_SEPARATORS = re.compile(r"[,，、;；\n]+")


def parse_industries(value: Any) -> list[str]:
    """Comma-separated (，、; too): the industries as the registry writes them."""
    seen: list[str] = []
    for part in _SEPARATORS.split(cell_display(value)):
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return seen


ITEMS_SPEC = DirectorySpec(
    model=InspectionItem,
    key="code",
    sheet_title="检查事项 inspection items",
    max_rows=20_000,
    columns=(
        Column(
            "department",
            "部门",
            "department",
            gettext_lazy("The department's full name or short name, as in the directory."),
            required=True,
        ),
        Column(
            "code",
            "事项编码",
            "code",
            gettext_lazy(
                "The item's code in the department's list. With the department it identifies the "
                "row: that item is updated, otherwise a new one is created."
            ),
            required=True,
        ),
        Column("name", "事项名称", "name", gettext_lazy("What is inspected."), required=True),
        Column(
            "legal_basis",
            "检查依据",
            "legal basis",
            gettext_lazy("The law or regulation that allows the inspection."),
            required=True,
        ),
        Column(
            "industries",
            "适用行业",
            "industries",
            gettext_lazy(
                "The industries it applies to, separated by commas, as the registry writes them. "
                "Empty: every industry."
            ),
            parse_industries,
            empty=[],
        ),
        Column(
            "is_active",
            "有效",
            "active",
            gettext_lazy("是/否, yes/no or 1/0. Empty: unchanged, yes for a new item."),
            parse_boolean,
            empty=KEEP,
        ),
    ),
)

_FIELDS = ["code", "name", "legal_basis", "industries", "is_active"]


def items_template() -> bytes:
    return spec_template(ITEMS_SPEC)


def inspection_items_import(
    *, content: bytes, actor, dry_run: bool = False, file_name: str = "", source: str = ""
) -> ImportResult:
    """Create or update inspection items from the first worksheet of an xlsx file. All or
    nothing; ``dry_run`` checks and counts only. A saved import is recorded with the rows."""
    source = source or DirectoryImport.Source.WORKPLACE
    result = ImportResult(dry_run=dry_run)
    checked = read_checked(ITEMS_SPEC, content, result)
    if checked is None:
        return result
    rows, header = checked
    departments = departments_by_name()
    first_row_of: dict[tuple[int, str], int] = {}
    keyed = []
    for row in rows:
        name = row.values.get("department")
        department = departments.get(_folded(name)) if name else None
        if name and department is None:
            result.errors.append(
                RowError(
                    row.number,
                    header["department"],
                    name,
                    _("No department of this name in the directory: use its full name or short name."),
                )
            )
        code = row.values.get("code")
        if department is None or not code:
            continue
        key = (department.pk, code)
        if key in first_row_of:
            message = _("Already on row %(row)s: each one may appear only once.") % {"row": first_row_of[key]}
            result.errors.append(RowError(row.number, header["code"], code, message))
            continue
        first_row_of[key] = row.number
        keyed.append((row, department, key))

    try:
        with transaction.atomic():
            existing = {
                (item.department_id, item.code): item
                for item in InspectionItem.objects.select_for_update().filter(
                    department__in={department.pk for _row, department, _key in keyed}
                )
            }
            to_create, to_update = [], []
            for row, department, key in keyed:
                instance = existing.get(key) or InspectionItem(department=department)
                changed = False
                for name in _FIELDS:
                    value = row.values.get(name, KEEP)
                    if value is KEEP:
                        continue
                    if getattr(instance, name) != value:
                        setattr(instance, name, value)
                        changed = True
                try:
                    instance.full_clean(
                        exclude={"department"}, validate_unique=False, validate_constraints=False
                    )
                except ValidationError as error:
                    for name, messages in error.message_dict.items():
                        column = header.get(name, "") if name != NON_FIELD_ERRORS else ""
                        value = cell_display(row.raw.get(name)) if name in row.raw else ""
                        result.errors.extend(RowError(row.number, column, value, m) for m in messages)
                    continue
                if instance.pk is None:
                    to_create.append(instance)
                elif changed:
                    to_update.append(instance)
                else:
                    result.unchanged += 1
            if result.errors or dry_run:
                if not result.errors:
                    result.created, result.updated = len(to_create), len(to_update)
                else:
                    result.unchanged = 0
                transaction.set_rollback(True)
            else:
                InspectionItem.objects.bulk_create(to_create, batch_size=1000)
                now = timezone.now()
                for instance in to_update:
                    instance.updated_at = now
                InspectionItem.objects.bulk_update(to_update, [*_FIELDS, "updated_at"], batch_size=500)
                result.created, result.updated = len(to_create), len(to_update)
                directory_import_record(
                    kind=ITEMS_KIND,
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
                _("The lists changed while the file was being imported; nothing was saved. Try again.")
            )
        )
    order = {column.header: i for i, column in enumerate(ITEMS_SPEC.columns)}
    result.errors.sort(key=lambda error: (error.row or 0, order.get(error.column, 99)))
    if result.ok and not dry_run:
        logger.info(
            "inspection items import by %s: %s created, %s updated",
            getattr(actor, "pk", None),
            result.created,
            result.updated,
        )
    return result
