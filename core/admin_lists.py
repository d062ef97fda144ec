"""What keeps a changelist of hundreds of thousands of rows fast: a count that stops counting,
and a row checkbox that is not a rendered form widget.

Used by the admins of the big tables (cases, complaints). Their list filters list choices
from the small tables (departments, offices, staff), never ``DISTINCT`` over the big one, and
they have no ``date_hierarchy`` (it scans the whole table for its years on every page); the
``opened_at``/``received_at`` date filter serves instead.
"""

from __future__ import annotations

from html import escape as html_escape

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.paginator import Paginator
from django.http import QueryDict
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

# Beyond this many rows a list says "more than 10,000": nobody pages through more, they filter.
COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """Counts at most ``COUNT_CAP + 1`` rows: ``SELECT COUNT(*) FROM (… LIMIT 10001)``.

    A full COUNT over a million cases costs more than the page itself. Page links reach the
    first ``COUNT_CAP`` rows; ``capped`` tells the template to say "more than".
    """

    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not hasattr(queryset, "values"):
            return len(queryset)
        # values("pk") leaves annotations out of the inner SELECT; filters on them stay.
        return queryset.order_by().values("pk")[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


class _RowLink:
    """A list_display column linking each row to its change page, with the list's filters kept.

    Django links a row by reversing its URL and then resolving it again to merge the list's
    filters in (``add_preserved_filters``): a URL resolution per row. Here the URL is reversed
    once per page with a placeholder id, and the filters are appended once.
    """

    PLACEHOLDER = "4611686018427387904"  # 2**62: no real id

    def __init__(self, admin, request, field: str) -> None:
        opts = admin.opts
        url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=[self.PLACEHOLDER],
            current_app=admin.admin_site.name,
        )
        preserved = admin.get_preserved_filters(request)
        self.url = f"{url}?{preserved}" if preserved else url
        self.display = getattr(admin, field)
        self.__name__ = field
        self.short_description = getattr(self.display, "short_description", field)
        self.admin_order_field = getattr(self.display, "admin_order_field", None)

    def __call__(self, obj) -> str:
        return format_html(
            '<a href="{}">{}</a>', self.url.replace(self.PLACEHOLDER, str(obj.pk), 1), self.display(obj)
        )

    def __str__(self) -> str:
        return self.__name__


class BigTableAdminMixin:
    """The changelist of a table with hundreds of thousands of rows."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    list_link_field = ""  # the list_display entry that links to the change page
    list_rows_planned = True  # the rows rendered by core.admin_rows

    def get_list_display(self, request):
        fields = list(super().get_list_display(request))
        if self.list_link_field in fields:
            fields[fields.index(self.list_link_field)] = _RowLink(self, request, self.list_link_field)
        return fields

    def get_list_display_links(self, request, list_display):
        if self.list_link_field:
            return None  # the _RowLink column is the link
        return super().get_list_display_links(request, list_display)

    def action_checkbox(self, obj):
        # Django renders a CheckboxInput through the template engine for every row: a third of
        # the list's time. The same markup, formatted directly.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            _("Select this object for an action - {}").format(obj),
        )


class ChoicesOfSmallTableFilter(admin.RelatedFieldListFilter):
    """A drop-down of the related table's rows (departments, offices, staff).

    Not ``RelatedOnlyFieldListFilter``, which runs a ``DISTINCT`` over the big table on every
    page; and not a list of links: five hundred departments as links cost five hundred query
    strings and template loops per page. One ``<select>`` in a GET form that keeps the list's
    other filters, its options formatted in one pass.
    """

    template = "admin/select_filter.html"
    label_field = "name"
    limit_choices_to: dict = {}

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin) or (self.label_field,)
        rows = field.related_model._default_manager.complex_filter(self.limit_choices_to).order_by(*ordering)
        return list(rows.values_list("pk", self.label_field))

    EMPTY = "__none"  # the option "no department": one <select>, so it is a value, not a parameter

    def queryset(self, request, queryset):
        if self.used_parameters.get(self.lookup_kwarg) in (self.EMPTY, [self.EMPTY]):
            return queryset.filter(**{f"{self.field_path}__isnull": True})
        return super().queryset(request, queryset)

    def choices(self, changelist):
        if not hasattr(self, "_choices"):
            self._choices = self._select(changelist)
        yield self._choices

    def _select(self, changelist) -> dict:
        selected = self.lookup_val[0] if self.lookup_val else ""
        if self.lookup_val_isnull:
            selected = self.EMPTY
        options = [("", _("All"))]
        options += [(str(pk), label) for pk, label in self.lookup_choices]
        if self.include_empty_choice:
            options.append((self.EMPTY, self.empty_value_display))
        remaining = changelist.get_query_string(remove=[self.lookup_kwarg, self.lookup_kwarg_isnull, "p"])
        # Hundreds of options: escaped and joined in one pass rather than a format_html each, with
        # the standard library's escape (what django.utils.html.escape calls, without its
        # lazy-string wrapper around every call).
        html = "".join(
            f'<option value="{html_escape(str(value))}"{mark}>{html_escape(str(label))}</option>'
            for value, label in options
            for mark in [" selected" if value == selected else ""]
        )
        return {
            "parameter": self.lookup_kwarg,
            "hidden": list(QueryDict(remaining.removeprefix("?")).lists()),
            "options": mark_safe(html),  # noqa: S308 - every value and label is escaped above
        }


class StaffChoicesFilter(ChoicesOfSmallTableFilter):
    """Users who can be a case's handler: staff, not the departments' and enterprises' logins."""

    label_field = "username"
    limit_choices_to = {"is_staff": True, "is_active": True}
