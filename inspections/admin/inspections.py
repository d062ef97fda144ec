"""The staff workplace for filings: the inspections (read-only: departments file them, the rules
flag them) and the flags, open ones first, each decided by a small form that calls one service
(approve, refuse, order a joint inspection, dismiss, open a case). Every row links on to its
inspection, its enterprise and its case: no dead ends.

A low rating opens a case through the same page: ``admin:inspections_inspectionrating_open_case``
(with the rating's id) is the link the rating admin shows."""

import datetime as dt
import functools

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, get_script_prefix, path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import Category
from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.admin_lists import BigTableAdminMixin, ChoicesOfSmallTableFilter
from core.errors import InvalidTransition, form_add_service_error
from core.forms import PlainErrorsMixin
from inspections.admin.filters import JointFilter
from inspections.models import Inspection, InspectionFlag, InspectionRating
from inspections.services.cases import CASE_PERMISSIONS, inspection_case_open
from inspections.services.flags import DECIDE_PERMISSION, DECISIONS, flag_decide

OPEN = InspectionFlag.Status.OPEN
# A flag raised by an enterprise's rating tells which enterprise rated: like the ratings, it is
# for staff allowed to see who rated (and each such look is on the record in the ratings' admin).
IDENTITY_PERMISSION = "complaints.view_complainant_identity"


def flags_seen_by(user, flags):
    """The flags ``user`` may see: without the identity permission, none raised by a rating."""
    if user.has_perm(IDENTITY_PERMISSION):
        return flags
    return flags.exclude(kind__in=InspectionFlag.HIDDEN_FROM_DEPARTMENTS)


YEARS_BACK = 4


_PK_MARK = "918273645"


@functools.lru_cache(maxsize=64)
def _url_pattern(viewname: str, prefix: str) -> str:
    return reverse(viewname, args=[_PK_MARK])


def _admin_url(viewname: str, pk) -> str:
    """reverse(viewname, args=[pk]) for a URL with one integer id: reversed once per name and
    filled in per row (a list page links every row several times; reverse() is the bulk of it)."""
    return _url_pattern(viewname, get_script_prefix()).replace(_PK_MARK, str(int(pk)), 1)


@functools.lru_cache(maxsize=64)
def _decide_links_markup(blocking: bool, language: str, prefix: str) -> str:
    """A flag's decision links with the id left as ``_PK_MARK``: built and escaped once per
    language, filled in per row (each open row of the list carries five)."""
    links = [
        (_url_pattern(f"admin:inspections_inspectionflag_{key}", prefix), key, label)
        for key, (_status, label) in DECISIONS.items()
        if not (key == "dismiss" and blocking)
    ]
    links.append(
        (_url_pattern("admin:inspections_inspectionflag_open_case", prefix), "case", _("Open a case"))
    )
    return str(format_html_join(" · ", '<a href="{}" data-decide="{}">{}</a>', links))


def _admin_link(viewname: str, pk, text) -> str:
    try:
        url = _admin_url(viewname, pk)
    except NoReverseMatch:
        return str(text)
    return format_html('<a href="{}">{}</a>', url, text)


class FlagDecisionForm(PlainErrorsMixin, forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note to the department"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required to refuse or to order a joint inspection: the department reads it."),
    )


class InspectionCaseForm(PlainErrorsMixin, forms.Form):
    category = forms.ChoiceField(
        label=gettext_lazy("Category"), choices=Category.choices, initial=Category.INSPECTIONS
    )
    description = forms.CharField(
        label=gettext_lazy("What the case is about"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
    )


# --- Inspections ---------------------------------------------------------------------------------


class FlaggedFilter(admin.SimpleListFilter):
    title = gettext_lazy("flags")
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [
            ("open", gettext_lazy("With an open flag")),
            ("any", gettext_lazy("Ever flagged")),
            ("none", gettext_lazy("Never flagged")),
        ]

    def queryset(self, request, queryset):
        flags = flags_seen_by(request.user, InspectionFlag.objects.filter(inspection=OuterRef("pk")))
        if self.value() == "open":
            return queryset.filter(Exists(flags.filter(status=OPEN)))
        if self.value() == "any":
            return queryset.filter(Exists(flags))
        if self.value() == "none":
            return queryset.filter(~Exists(flags))
        return queryset


class YearFilter(admin.SimpleListFilter):
    """Years of the planned date, as a fixed range (no DISTINCT over every inspection)."""

    title = gettext_lazy("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        this_year = timezone.localdate().year
        return [(str(year), str(year)) for year in range(this_year + 1, this_year - YEARS_BACK - 1, -1)]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            year = int(self.value())
            return queryset.filter(planned_on__range=(dt.date(year, 1, 1), dt.date(year, 12, 31)))
        return queryset


class FlagInline(ReadOnlyInline):
    model = InspectionFlag
    fields = ["kind", "blocking", "status", "explanation", "decision_note", "case_link", "decide"]
    readonly_fields = fields

    def get_queryset(self, request):
        return flags_seen_by(request.user, super().get_queryset(request).select_related("case"))

    @admin.display(description=gettext_lazy("case"))
    def case_link(self, obj):
        if not obj.case_id:
            return "—"
        return _admin_link("admin:casework_case_change", obj.case_id, obj.case.reference)

    @admin.display(description=gettext_lazy("decide"))
    def decide(self, obj):
        return _admin_link("admin:inspections_inspectionflag_change", obj.pk, _("Open the flag"))


def open_flag_count(user):
    open_flags = (
        flags_seen_by(user, InspectionFlag.objects.filter(inspection=OuterRef("pk"), status=OPEN))
        .order_by()
        .values("inspection")
        .annotate(count=Count("pk"))
        .values("count")
    )
    # A scalar subquery: evaluated for the rows of the page, not grouped over every inspection.
    return Coalesce(Subquery(open_flags, output_field=IntegerField()), Value(0))


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    # Filters list every department (a few dozen rows), not the distinct departments of a million
    # inspections; the full count is not taken either.
    list_display = ["planned_on", "enterprise_link", "department", "kind", "status", "open_flags_shown"]
    list_filter = [
        "status",
        "department",
        "kind",
        FlaggedFilter,
        JointFilter,
        YearFilter,
    ]
    search_fields = ["enterprise__name", "=enterprise__credit_code"]
    list_select_related = ["department", "enterprise"]
    show_full_result_count = False
    inlines = [FlagInline]
    fields = [
        "department",
        "unit",
        "enterprise_link",
        "kind",
        "status",
        "planned_on",
        "items_shown",
        "legal_basis",
        "officers_shown",
        "filed_at",
        "filed_by",
        "joint_with_link",
        "entered_at",
        "emergency_reason",
        "outcome",
        "outcome_note",
        "outcome_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(open_flags=open_flag_count(request.user))

    @admin.display(description=gettext_lazy("enterprise"), ordering="enterprise__name")
    def enterprise_link(self, obj):
        return format_html(
            "{} <small>{}</small>",
            _admin_link("admin:liaison_enterprise_change", obj.enterprise_id, obj.enterprise.name),
            obj.enterprise.credit_code,
        )

    @admin.display(description=gettext_lazy("open flags"), ordering="open_flags")
    def open_flags_shown(self, obj):
        if not obj.open_flags:
            return "—"
        url = reverse("admin:inspections_inspectionflag_changelist") + f"?inspection__id__exact={obj.pk}"
        return format_html('<a href="{}" data-open-flags>{}</a>', url, obj.open_flags)

    @admin.display(description=gettext_lazy("items"))
    def items_shown(self, obj):
        return format_html_join(
            ", ", "{} {}", ((item.code, item.name) for item in obj.items.order_by("code"))
        )

    @admin.display(description=gettext_lazy("officers"))
    def officers_shown(self, obj):
        return format_html_join(
            ", ", "{} ({})", ((row.get("name", ""), row.get("certificate", "")) for row in obj.officers or [])
        )

    @admin.display(description=gettext_lazy("joint inspection with"))
    def joint_with_link(self, obj):
        if not obj.joint_with_id:
            return "—"
        return _admin_link("admin:inspections_inspection_change", obj.joint_with_id, obj.joint_with)


# --- Flags -----------------------------------------------------------------------------------------


class FlagStatusFilter(admin.SimpleListFilter):
    """Open flags unless asked otherwise: what awaits a decision comes first."""

    title = gettext_lazy("status")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("decided", gettext_lazy("Decided")), ("all", gettext_lazy("All, open first"))]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Open"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "decided":
            return queryset.exclude(status=OPEN)
        if self.value() == "all":
            return queryset.order_by(
                SqlCase(When(status=OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()),
                "-created_at",
                "-id",
            )
        return queryset.filter(status=OPEN)


@admin.register(InspectionFlag)
class InspectionFlagAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    # A million inspections carry tens of thousands of open flags: the count stops at 10,000
    # (the pagination says "more than"), and the kind links each row without reversing and
    # resolving a URL per row.
    list_link_field = "kind_shown"
    list_display = [
        "kind_shown",
        "inspection_link",
        "enterprise_link",
        "department_shown",
        "blocking",
        "status_shown",
        "created_at",
        "case_link",
        "decide_links",
    ]
    list_filter = [
        FlagStatusFilter,
        "kind",
        "blocking",
        ("inspection__department", ChoicesOfSmallTableFilter),
    ]
    search_fields = ["inspection__enterprise__name", "=inspection__enterprise__credit_code"]
    list_select_related = ["inspection__department", "inspection__enterprise", "case"]
    show_full_result_count = False

    def get_queryset(self, request):
        return flags_seen_by(request.user, super().get_queryset(request))

    list_per_page = 25  # as the case list: each row carries five decision links
    change_form_template = "admin/inspections/inspectionflag/change_form.html"
    fields = [
        "inspection_link",
        "enterprise_link",
        "department_shown",
        "kind",
        "blocking",
        "explanation",
        "status",
        "created_at",
        "decided_at",
        "decided_by",
        "decision_note",
        "case_link",
    ]
    readonly_fields = fields

    def get_urls(self):
        view = self.admin_site.admin_view
        # One path per decision (no free-form segment): the IDOR matrix probes each with an id.
        decisions = [
            path(
                f"<int:pk>/{decision}/",
                view(self.decide_view),
                {"decision": decision},
                name=f"inspections_inspectionflag_{decision}",
            )
            for decision in DECISIONS
        ]
        return [
            *decisions,
            path(
                "<int:pk>/open-case/", view(self.open_case_view), name="inspections_inspectionflag_open_case"
            ),
            path(
                "rating/<int:pk>/open-case/",
                view(self.rating_open_case_view),
                name="inspections_inspectionrating_open_case",
            ),
            *super().get_urls(),
        ]

    # Columns ------------------------------------------------------------------------------------
    # The choice columns read their label from the choices' enum: the admin's own display
    # rebuilds the field's choice map for every cell.

    @admin.display(description=gettext_lazy("kind"), ordering="kind")
    def kind_shown(self, obj):
        return InspectionFlag.Kind(obj.kind).label

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_shown(self, obj):
        return InspectionFlag.Status(obj.status).label

    @admin.display(description=gettext_lazy("inspection"), ordering="inspection__planned_on")
    def inspection_link(self, obj):
        inspection = obj.inspection
        # The status's label straight from its choices (get_status_display rebuilds the
        # field's choice map for every row).
        status = Inspection.Status(inspection.status).label if inspection.status else ""
        return _admin_link(
            "admin:inspections_inspection_change",
            inspection.pk,
            f"{inspection.planned_on.isoformat()} · {status}",
        )

    @admin.display(description=gettext_lazy("enterprise"))
    def enterprise_link(self, obj):
        enterprise = obj.inspection.enterprise
        return _admin_link("admin:liaison_enterprise_change", enterprise.pk, enterprise.name)

    @admin.display(description=gettext_lazy("department"))
    def department_shown(self, obj):
        return obj.inspection.department.name

    @admin.display(description=gettext_lazy("case"))
    def case_link(self, obj):
        if not obj.case_id:
            return "—"
        return _admin_link("admin:casework_case_change", obj.case_id, obj.case.reference)

    @admin.display(description=gettext_lazy("decide"))
    def decide_links(self, obj):
        if obj.status != OPEN:
            return "—"
        links = _decide_links_markup(obj.blocking, translation.get_language(), get_script_prefix())
        # Escaped once per language above; the row adds only its integer id.
        return mark_safe(links.replace(_PK_MARK, str(int(obj.pk))))  # noqa: S308

    def render_change_form(self, request, context, *args, **kwargs):
        obj = context.get("original")
        if obj is not None and obj.status == OPEN and request.user.has_perm(DECIDE_PERMISSION):
            context["flag_actions"] = [
                (_admin_url(f"admin:inspections_inspectionflag_{key}", obj.pk), key, label)
                for key, (_status, label) in DECISIONS.items()
                if not (key == "dismiss" and obj.blocking)
            ]
        if obj is not None and not obj.case_id and all(request.user.has_perm(p) for p in CASE_PERMISSIONS):
            context["open_case_url"] = reverse("admin:inspections_inspectionflag_open_case", args=[obj.pk])
        return super().render_change_form(request, context, *args, **kwargs)

    # Action pages -------------------------------------------------------------------------------

    def _page(self, request, *, form, obj, title, change_url, evidence):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "object": obj,
            "title": title,
            "change_url": change_url,
            "evidence": evidence,
        }
        return TemplateResponse(request, "admin/inspections/inspectionflag/action.html", context)

    def _flag(self, request, pk: int) -> InspectionFlag:
        flags = InspectionFlag.objects.select_related("inspection__department", "inspection__enterprise")
        return get_object_or_404(flags_seen_by(request.user, flags), pk=pk)

    def decide_view(self, request, pk: int, decision: str):
        if decision not in DECISIONS or not request.user.has_perm(DECIDE_PERMISSION):
            raise PermissionDenied
        flag = self._flag(request, pk)
        change_url = reverse("admin:inspections_inspectionflag_change", args=[flag.pk])
        form = FlagDecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                flag_decide(flag=flag, decision=decision, note=form.cleaned_data["note"], actor=request.user)
            except (InvalidTransition, ValidationError) as error:
                form_add_service_error(form, error)
            else:
                self.message_user(request, _("Done: %(action)s.") % {"action": DECISIONS[decision][1]})
                return redirect(change_url)
        return self._page(
            request,
            form=form,
            obj=flag,
            title=DECISIONS[decision][1],
            change_url=change_url,
            evidence={"flag": flag, "inspection": flag.inspection},
        )

    def _open_case(self, request, *, inspection, flag=None, rating=None, initial, change_url, evidence):
        if not all(request.user.has_perm(permission) for permission in CASE_PERMISSIONS):
            raise PermissionDenied
        form = InspectionCaseForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                case = inspection_case_open(
                    inspection=inspection,
                    flag=flag,
                    rating=rating,
                    category=form.cleaned_data["category"],
                    description=form.cleaned_data["description"],
                    actor=request.user,
                )
            except (InvalidTransition, ValidationError) as error:
                form_add_service_error(form, error)
            else:
                self.message_user(request, _("Case %(reference)s opened.") % {"reference": case.reference})
                return redirect("admin:casework_case_change", case.pk)
        return self._page(
            request,
            form=form,
            obj=flag or rating,
            title=_("Open a case"),
            change_url=change_url,
            evidence={**evidence, "inspection": inspection},
        )

    def open_case_view(self, request, pk: int):
        flag = self._flag(request, pk)
        return self._open_case(
            request,
            inspection=flag.inspection,
            flag=flag,
            initial={"description": flag.explanation},
            change_url=reverse("admin:inspections_inspectionflag_change", args=[flag.pk]),
            evidence={"flag": flag},
        )

    def rating_open_case_view(self, request, pk: int):
        if not request.user.has_perm("inspections.view_inspectionrating") and not request.user.has_perm(
            DECIDE_PERMISSION
        ):
            raise PermissionDenied
        rating = get_object_or_404(
            InspectionRating.objects.select_related("inspection__department", "inspection__enterprise"), pk=pk
        )
        inspection = rating.inspection
        try:
            change_url = reverse("admin:inspections_inspectionrating_change", args=[rating.pk])
        except NoReverseMatch:
            change_url = reverse("admin:inspections_inspection_change", args=[inspection.pk])
        initial = {
            "description": _("The inspection of %(date)s by %(department)s was rated %(score)s of 5.")
            % {
                "date": inspection.planned_on.isoformat(),
                "department": inspection.department,
                "score": rating.score,
            }
        }
        return self._open_case(
            request,
            inspection=inspection,
            rating=rating,
            initial=initial,
            change_url=change_url,
            evidence={"rating": rating},
        )


__all__ = ["InspectionAdmin", "InspectionFlagAdmin"]
