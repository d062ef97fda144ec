"""The staff workplace for approval signals (预警纠错): the list a supervisor works from (colour,
kind, record, department, raised, status, correction due), its filters (department, item,
colour, kind, status, overdue correction, period) and search by application number, and the
three things staff do: accept a department's correction, return it with a reason (a new
deadline), or turn a red signal into a case. Each action is a small form calling one service.

The list's queries are the same few whatever the page holds (list_select_related); the
complaints an applicant filed from a record are not shown here either."""

from __future__ import annotations

import functools

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, get_script_prefix, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.models import ApprovalItem, ApprovalSignal, choice_label
from approvals.services.cases import may_open_case, signal_case_description, signal_case_open
from approvals.services.corrections import (
    AWAITING_DEPARTMENT,
    DECIDE_PERMISSION,
    signal_accept,
    signal_return,
)
from core.admin import ReadOnlyAdmin
from core.admin_lists import BigTableAdminMixin, ChoicesOfSmallTableFilter
from core.deadlines import deadline_explain
from core.errors import InvalidTransition, error_messages, form_add_service_error
from core.forms import PlainErrorsMixin
from core.periods import MONTH, QUARTER, Period

S = ApprovalSignal.Status
_PK_MARK = "918273645"


@functools.lru_cache(maxsize=64)
def _url_pattern(viewname: str, prefix: str) -> str:
    return reverse(viewname, args=[_PK_MARK])


def _admin_url(viewname: str, pk) -> str:
    """reverse() once per name, filled in per row."""
    return _url_pattern(viewname, get_script_prefix()).replace(_PK_MARK, str(int(pk)), 1)


def _admin_link(viewname: str, pk, text) -> str:
    try:
        url = _admin_url(viewname, pk)
    except NoReverseMatch:
        return str(text)
    return format_html('<a href="{}">{}</a>', url, text)


# --- Filters ---------------------------------------------------------------------------------------


class ItemFilter(admin.SimpleListFilter):
    """The catalogue's items of the department chosen (hundreds of items in all would make the
    sidebar unusable); any item by its id in the URL."""

    title = gettext_lazy("item")
    parameter_name = "item"

    def lookups(self, request, model_admin):
        department = request.GET.get("department__id__exact", "")
        chosen = self.value()
        items = ApprovalItem.objects.none()
        if department.isdigit():
            items = ApprovalItem.objects.filter(department_id=department)
        elif chosen and chosen.isdigit():
            items = ApprovalItem.objects.filter(pk=chosen)
        return [(str(pk), f"{code} {name}") for pk, code, name in items.values_list("pk", "code", "name")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(record__item_id=int(value))


class OverdueFilter(admin.SimpleListFilter):
    """Signals awaiting the department whose correction deadline has passed."""

    title = gettext_lazy("correction overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Correction deadline passed")), ("no", gettext_lazy("Not overdue"))]

    def queryset(self, request, queryset):
        late = Q(status__in=AWAITING_DEPARTMENT, deadline__due_date__lt=timezone.localdate())
        if self.value() == "yes":
            return queryset.filter(late)
        if self.value() == "no":
            return queryset.exclude(late)
        return queryset


class PeriodFilter(admin.SimpleListFilter):
    """Raised in a month or a quarter (Shanghai clock); any period by its label in the URL
    (?period=2026-10 or ?period=2026Q3)."""

    title = gettext_lazy("period raised")
    parameter_name = "period"

    def lookups(self, request, model_admin):
        month, quarter = Period.current(kind=MONTH), Period.current(kind=QUARTER)
        choices = [
            (month.label, gettext_lazy("This month")),
            (month.previous().label, gettext_lazy("Last month")),
            (quarter.label, gettext_lazy("This quarter")),
            (quarter.previous().label, gettext_lazy("Last quarter")),
        ]
        value = self.value()
        if value and value not in dict(choices):
            period = self._period()
            if period is not None:
                choices.append((value, period.display))
        return choices

    def _period(self) -> Period | None:
        try:
            return Period.parse(self.value() or "")
        except ValidationError:
            return None

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        period = self._period()
        if period is None:
            return queryset.none()
        return queryset.filter(raised_at__gte=period.start, raised_at__lt=period.end)


# --- Forms -----------------------------------------------------------------------------------------


class ReturnForm(PlainErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why the correction is insufficient"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text=gettext_lazy("E-mailed to the department, which gets a new correction deadline."),
    )


class ConfirmForm(PlainErrorsMixin, forms.Form):
    pass


class SignalCaseForm(PlainErrorsMixin, forms.Form):
    description = forms.CharField(
        label=gettext_lazy("What the case is about"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=gettext_lazy("Written from the approval's facts; edit it if needed. Name no applicant."),
    )


# --- The admin -------------------------------------------------------------------------------------


@admin.register(ApprovalSignal)
class ApprovalSignalAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    list_display = [
        "colour_badge",
        "kind",
        "record_link",
        "department_shown",
        "raised_at",
        "status",
        "correction_due",
        "case_link",
        "action_links",
    ]
    list_filter = [
        ("department", ChoicesOfSmallTableFilter),
        ItemFilter,
        "colour",
        "kind",
        "status",
        OverdueFilter,
        PeriodFilter,
    ]
    search_fields = ["=record__external_id"]
    search_help_text = gettext_lazy("Search by application number (exact).")
    list_select_related = ["record__item", "department", "deadline", "case"]
    # Newest first by id, the primary key's index: signals are inserted as they are raised, so
    # this is the order of raised_at without a sort of the whole table (raised_at has no index
    # of its own; the lists filtered by department use (department, raised_at)).
    ordering = ["-id"]
    list_per_page = 25  # as the case list and the flags

    actions = ["accept_selected", "open_cases"]
    change_form_template = "admin/approvals/approvalsignal/change_form.html"
    fields = [
        "colour_badge",
        "kind",
        "record_link",
        "item_shown",
        "department_shown",
        "explanation",
        "raised_at",
        "status",
        "correction_due",
        "correction",
        "answered_at",
        "answered_by",
        "return_reason",
        "decided_at",
        "decided_by",
        "case_link",
    ]
    readonly_fields = fields

    class Media:
        css = {"all": ["css/approvals.css"]}

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/accept/", view(self.accept_view), name="approvals_approvalsignal_accept"),
            path("<int:pk>/return/", view(self.return_view), name="approvals_approvalsignal_return"),
            path("<int:pk>/open-case/", view(self.open_case_view), name="approvals_approvalsignal_open_case"),
            *super().get_urls(),
        ]

    # Columns ------------------------------------------------------------------------------------

    @admin.display(description=gettext_lazy("colour"), ordering="colour")
    def colour_badge(self, obj):
        return format_html(
            '<span class="signal-badge signal-{}" data-colour="{}">{}</span>',
            obj.colour,
            obj.colour,
            choice_label(ApprovalSignal.Colour, obj.colour),
        )

    @admin.display(description=gettext_lazy("application number"), ordering="record__external_id")
    def record_link(self, obj):
        return _admin_link("admin:approvals_approvalrecord_change", obj.record_id, obj.record.external_id)

    @admin.display(description=gettext_lazy("item"))
    def item_shown(self, obj):
        item = obj.record.item
        return f"{item.code} {item.name}"

    @admin.display(description=gettext_lazy("department"))
    def department_shown(self, obj):
        return obj.department.name

    @admin.display(description=gettext_lazy("correct by"), ordering="deadline__due_date")
    def correction_due(self, obj):
        deadline = obj.deadline
        if deadline is None:
            return "—"
        if obj.status in AWAITING_DEPARTMENT and deadline.due_date < timezone.localdate():
            return format_html(
                '{} <strong class="signal-overdue" data-overdue>{}</strong>',
                deadline.due_date.isoformat(),
                _("overdue"),
            )
        return deadline.due_date.isoformat()

    @admin.display(description=gettext_lazy("case"))
    def case_link(self, obj):
        if not obj.case_id:
            return "—"
        return _admin_link("admin:casework_case_change", obj.case_id, obj.case.reference)

    @admin.display(description=gettext_lazy("actions"))
    def action_links(self, obj):
        links = self._actions_for(obj)
        if not links:
            return "—"
        return format_html_join(" · ", '<a href="{}" data-action="{}">{}</a>', links)

    def _actions_for(self, obj) -> list[tuple[str, str, str]]:
        links = []
        if obj.status == S.ANSWERED:
            links.append((_admin_url("admin:approvals_approvalsignal_accept", obj.pk), "accept", _("Accept")))
            links.append((_admin_url("admin:approvals_approvalsignal_return", obj.pk), "return", _("Return")))
        if (
            obj.colour == ApprovalSignal.Colour.RED
            and not obj.case_id
            and obj.status not in (S.ACCEPTED, S.CLEARED)
        ):
            links.append(
                (_admin_url("admin:approvals_approvalsignal_open_case", obj.pk), "case", _("Open a case"))
            )
        return links

    def render_change_form(self, request, context, *args, **kwargs):
        obj = context.get("original")
        if obj is not None:
            context["signal_actions"] = self._actions_for(obj)
            if obj.deadline_id:
                context["deadline_text"] = deadline_explain(obj.deadline)
        return super().render_change_form(request, context, *args, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("record__item", "department", "deadline", "case")

    # Bulk actions -------------------------------------------------------------------------------

    @admin.action(description=gettext_lazy("Accept the corrections of the selected signals"))
    def accept_selected(self, request, queryset):
        if not request.user.has_perm(DECIDE_PERMISSION):
            raise PermissionDenied
        accepted = 0
        for signal in queryset.filter(status=S.ANSWERED):
            signal_accept(signal=signal, actor=request.user)
            accepted += 1
        if accepted:
            self.message_user(request, _("%(count)s corrections accepted.") % {"count": accepted})
        else:
            self.message_user(request, _("None of the selected signals awaits a review."), messages.WARNING)

    @admin.action(description=gettext_lazy("Open a case from each selected red signal"))
    def open_cases(self, request, queryset):
        if not may_open_case(request.user):
            raise PermissionDenied
        cases = []
        for signal in queryset.filter(colour=ApprovalSignal.Colour.RED, case__isnull=True):
            try:
                cases.append(signal_case_open(signal=signal, actor=request.user))
            except (InvalidTransition, ValidationError) as error:
                self.message_user(request, " ".join(error_messages(error)), messages.WARNING)
        if len(cases) == 1:
            self.message_user(request, _("Case %(reference)s opened.") % {"reference": cases[0].reference})
            return redirect("admin:casework_case_change", cases[0].pk)
        if cases:
            self.message_user(
                request,
                _("%(count)s cases opened: %(references)s.")
                % {"count": len(cases), "references": ", ".join(case.reference for case in cases)},
            )
        else:
            self.message_user(
                request, _("No case opened: select red signals without a case."), messages.WARNING
            )
        return None

    # Action pages -------------------------------------------------------------------------------

    def _signal(self, pk: int) -> ApprovalSignal:
        return get_object_or_404(
            ApprovalSignal.objects.select_related("record__item", "department", "deadline"), pk=pk
        )

    def _page(self, request, *, form, obj, title, submit):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "object": obj,
            "record": obj.record,
            "title": title,
            "submit": submit,
            "change_url": reverse("admin:approvals_approvalsignal_change", args=[obj.pk]),
        }
        return TemplateResponse(request, "admin/approvals/approvalsignal/action.html", context)

    def accept_view(self, request, pk: int):
        if not (self.has_view_permission(request) and request.user.has_perm(DECIDE_PERMISSION)):
            raise PermissionDenied
        signal = self._signal(pk)
        form = ConfirmForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                signal_accept(signal=signal, actor=request.user)
            except (InvalidTransition, ValidationError) as error:
                form_add_service_error(form, error)
            else:
                self.message_user(request, _("Correction accepted."))
                return redirect("admin:approvals_approvalsignal_change", signal.pk)
        return self._page(
            request, form=form, obj=signal, title=_("Accept the correction"), submit=_("Accept")
        )

    def return_view(self, request, pk: int):
        if not (self.has_view_permission(request) and request.user.has_perm(DECIDE_PERMISSION)):
            raise PermissionDenied
        signal = self._signal(pk)
        form = ReturnForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                signal_return(signal=signal, reason=form.cleaned_data["reason"], actor=request.user)
            except (InvalidTransition, ValidationError) as error:
                form_add_service_error(form, error)
            else:
                self.message_user(request, _("Correction returned to the department with a new deadline."))
                return redirect("admin:approvals_approvalsignal_change", signal.pk)
        return self._page(
            request, form=form, obj=signal, title=_("Return the correction"), submit=_("Return")
        )

    def open_case_view(self, request, pk: int):
        if not (self.has_view_permission(request) and may_open_case(request.user)):
            raise PermissionDenied
        signal = self._signal(pk)
        form = SignalCaseForm(request.POST or None, initial={"description": signal_case_description(signal)})
        if request.method == "POST" and form.is_valid():
            try:
                case = signal_case_open(
                    signal=signal, description=form.cleaned_data["description"], actor=request.user
                )
            except (InvalidTransition, ValidationError) as error:
                form_add_service_error(form, error)
            else:
                self.message_user(request, _("Case %(reference)s opened.") % {"reference": case.reference})
                return redirect("admin:casework_case_change", case.pk)
        return self._page(request, form=form, obj=signal, title=_("Open a case"), submit=_("Open a case"))
