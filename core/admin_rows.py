"""The rows of a big table's changelist, rendered with what is the same for every row worked
out once per page.

Django's ``items_for_result`` decides, for every cell of every row, what the column is (a model
field, an admin method, a callable), builds the choices dictionary of a field with choices,
reverses the row's change URL and resolves it again to add the list's filters, and asks for the
empty-value text: on a list of 25 rows and ten columns, a third of the page's time. Here each
column is resolved once into a small plan, and a row is the plan applied to one object. The
HTML is Django's, byte for byte (``core/tests/test_admin_rows.py`` compares the two on every
admin that uses it); whatever this module does not plan for (an editable list, a popup, a
column that is a path through relations) is left to Django's own function.

Used through the ``fast_result_list`` tag (``core/templatetags/admin_rows.py``) by the admins
that set ``list_rows_planned = True`` (``BigTableAdminMixin`` does).
"""

from __future__ import annotations

import datetime

from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _coerce_field_name,
    items_for_result,
    result_headers,
    result_hidden_fields,
)
from django.contrib.admin.templatetags.admin_list import result_list as django_result_list
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    quote,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

_PLACEHOLDER = "4611686018427387904"  # 2**62: no real id


class _Column:
    """One column of the list: how to get a row's value and how to show it."""

    __slots__ = ("name", "css", "link", "field", "attr", "getter", "empty", "boolean", "choices", "nowrap")

    def __init__(self) -> None:
        self.field = None
        self.attr = None
        self.getter = None
        self.boolean = False
        self.choices = None
        self.nowrap = False


def _column(cl: ChangeList, index: int, name, empty: str, link: bool) -> _Column | None:
    """The plan of one column, or None when the column is not one this module plans for."""
    column = _Column()
    column.name = name
    column.link = link
    column.css = f"field-{_coerce_field_name(name, index)}"
    column.empty = empty
    admin = cl.model_admin
    try:
        field = _get_non_gfk_field(cl.lookup_opts, name)
    except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
        field = None
    if field is not None and not field.auto_created:
        column.field = field
        if isinstance(field, models.DateField | models.TimeField | models.ForeignKey):
            column.nowrap = True
        if field.flatchoices and not isinstance(field.remote_field, models.ManyToOneRel):
            try:  # display_for_field: the choice's label, or the empty text when it is not one
                column.choices = {value: str(label) for value, label in field.flatchoices}
            except TypeError:  # list-like choices: Django's own way
                column.choices = None
        return column
    if field is not None:  # an automatic field (the implicit id): shown as a value
        column.getter = lambda obj, attname=field.attname: getattr(obj, attname)
    elif callable(name):
        column.attr = name
        column.getter = name
    elif hasattr(admin, name) and name != "__str__":
        column.attr = getattr(admin, name)
        column.getter = column.attr
    else:
        model_attr = getattr(cl.model, name, None)
        if name == "__str__" or callable(model_attr):
            column.attr = model_attr
            column.getter = lambda obj, name=name: getattr(obj, name)()
        else:
            return None  # a property or a path through relations: Django's own lookup
    column.empty = getattr(column.attr, "empty_value_display", empty)
    column.boolean = getattr(column.attr, "boolean", False)
    if name == "action_checkbox":
        column.css = "action-checkbox"
    return column


class RowPlan:
    """Every column of a changelist planned once; ``rows()`` renders the page's objects."""

    def __init__(self, cl: ChangeList) -> None:
        self.cl = cl
        if cl.to_field or cl.is_popup:
            raise _Unplanned("popup")
        empty = cl.model_admin.get_empty_value_display()
        links = cl.list_display_links
        self.columns: list[_Column] = []
        first_link_pending = True
        for index, name in enumerate(cl.list_display):
            if links is None:
                link = False
            elif first_link_pending and not links:
                link = True
            else:
                link = name in links
            if link:
                first_link_pending = False
            column = _column(cl, index, name, empty, link)
            if column is None:
                raise _Unplanned(name)
            self.columns.append(column)
        self.url = self._change_url() if any(column.link for column in self.columns) else None

    def _change_url(self) -> str | None:
        """The change page's URL with a placeholder id, the list's filters appended once."""
        cl = self.cl
        try:
            url = reverse(
                f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change",
                args=(_PLACEHOLDER,),
                current_app=cl.model_admin.admin_site.name,
            )
        except NoReverseMatch:
            return None
        return add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url)

    def rows(self) -> list[ResultList]:
        return [ResultList(None, self.cells(obj)) for obj in self.cl.result_list]

    def cells(self, obj) -> list[SafeString]:
        cells = []
        first = True
        for column in self.columns:
            css = column.css
            try:
                shown, nowrap = _shown(column, obj)
            except ObjectDoesNotExist:
                shown, nowrap = conditional_escape(column.empty), False
            if nowrap or column.nowrap:
                css = f"{css} nowrap"
            if column.link:
                tag = "th" if first else "td"
                first = False
                if self.url is not None:
                    href = escape(self.url.replace(_PLACEHOLDER, str(quote(obj.pk)), 1))
                    shown = f'<a href="{href}">{shown}</a>'
            else:
                tag = "td"
            # Every part is escaped above (or is the admin's own SafeString).
            cells.append(mark_safe(f'<{tag} class="{css}">{shown}</{tag}>'))  # noqa: S308
        return cells


def _shown(column: _Column, obj) -> tuple[str, bool]:
    """The cell's content, escaped, and whether a computed value is a date or a time (Django
    keeps those on one line)."""
    field = column.field
    if field is not None:
        value = getattr(obj, field.name)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        if isinstance(field.remote_field, models.ManyToOneRel):
            return conditional_escape(column.empty if value is None else value), False
        if column.choices is not None:
            return conditional_escape(column.choices.get(value, column.empty)), False
        return conditional_escape(
            display_for_field(value, field, column.empty, avoid_link=column.link)
        ), False
    value = column.getter(obj)
    if isinstance(value, str) and value.strip() == "":
        value = ""
    shown = conditional_escape(display_for_value(value, column.empty, column.boolean))
    return shown, isinstance(value, datetime.date | datetime.time)


class _Unplanned(Exception):
    """A column or a list this module leaves to Django."""


def planned_result_list(cl: ChangeList) -> dict:
    """The context of ``change_list_results.html``: Django's own for an editable list, a popup
    or a column not planned for; else the headers from Django and the rows from the plan."""
    if cl.formset or not getattr(cl.model_admin, "list_rows_planned", False):
        return django_result_list(cl)
    try:
        plan = RowPlan(cl)
    except _Unplanned:
        return django_result_list(cl)
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        "results": plan.rows(),
    }


def django_rows(cl: ChangeList) -> list[list[str]]:
    """Django's own cells of the page, for the tests that compare."""
    return [[str(cell) for cell in items_for_result(cl, obj, None)] for obj in cl.result_list]
