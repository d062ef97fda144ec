"""The drill-down filters of the admin's case and complaint lists.

A number on the leaders' dashboard links to the admin list of exactly the rows it counts:
``?figure=…&quarter=2026Q3`` and optionally ``department=<id>|none``, ``category=…``,
``channel=…``. The figures themselves (their conditions, labels and sections) are the
dashboard's, in ``reports.dashboard.figures``, a layer above casework: the dashboard registers
its resolver here when the app is ready (``figure_drilldowns``), so casework never imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

CASE, COMPLAINT, REFERRAL = "case", "complaint", "referral"
NONE = "none"  # the department (or channel) parameter for "not in the directory" / "not recorded"
DIMENSIONS = ("department", "category", "channel")


class Drilldown(Protocol):
    """One dashboard number's rows: the condition a list applies and how the filter names it."""

    def condition(self) -> Q: ...

    def describe(self) -> str: ...


# (kind=, figure=, quarter=, department=, category=, channel=) -> Drilldown; ValidationError on
# anything unknown.
Resolver = Callable[..., Drilldown]


class FigureDrilldowns:
    """Where the dashboard's figures are found by the lists that drill into them."""

    def __init__(self) -> None:
        self._resolver: Resolver | None = None

    def register(self, resolver: Resolver) -> None:
        self._resolver = resolver

    def resolve(self, *, kind: str, figure: str, **parameters: str | None) -> Drilldown:
        if self._resolver is None:
            raise ValidationError(
                _("“%(value)s” is not a dashboard figure.") % {"value": figure}, code="bad_figure"
            )
        return self._resolver(kind=kind, figure=figure, **parameters)


figure_drilldowns = FigureDrilldowns()


class _FigureListFilter(admin.SimpleListFilter):
    """Narrows an admin list to the rows of one dashboard figure: ``?figure=…&quarter=2026Q3`` and
    optionally ``department=<id>|none``, ``category=…``, ``channel=…``. It applies the figure's
    own condition, so the list shows exactly what the dashboard counted."""

    title = pgettext_lazy("dashboard", "dashboard figure")
    parameter_name = "figure"
    model_kind: str

    def __init__(self, request, params, model, model_admin):
        # The other parameters are ours too: taken out before the changelist reads what is left
        # as field lookups ("quarter" is no field).
        taken = {name: params.pop(name)[-1] for name in ("quarter", *DIMENSIONS) if name in params}
        super().__init__(request, params, model, model_admin)
        self.used_parameters.update(taken)

    def expected_parameters(self):
        return [self.parameter_name, "quarter", *DIMENSIONS]

    def drilldown(self) -> Drilldown:
        return figure_drilldowns.resolve(
            kind=self.model_kind,
            figure=self.value(),
            quarter=self.used_parameters.get("quarter"),
            **{name: self.used_parameters.get(name) for name in DIMENSIONS},
        )

    def lookups(self, request, model_admin):
        # Shown only while a figure is chosen: the one choice names it. An unknown figure is still
        # offered, so that queryset() runs and the admin reports the bad parameter.
        if self.value() is None:
            return []
        try:
            label = self.drilldown().describe()
        except ValidationError as error:
            label = "; ".join(error.messages)
        return [(self.value(), label)]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            drilldown = self.drilldown()
        except ValidationError as error:
            # The admin answers with its "bad parameters" page (?e=1) rather than a server error.
            raise IncorrectLookupParameters(error) from error
        return queryset.filter(drilldown.condition())


class FigureFilter(_FigureListFilter):
    """The case list, narrowed to one case figure of the dashboard."""

    model_kind = CASE


class ComplaintFigureFilter(_FigureListFilter):
    """The complaint list, narrowed to one complaint figure of the dashboard."""

    model_kind = COMPLAINT


class ReferralFigureFilter(_FigureListFilter):
    """The referral list, narrowed to one figure of the efficiency assessment (referrals due in
    a period, answered on time)."""

    model_kind = REFERRAL
