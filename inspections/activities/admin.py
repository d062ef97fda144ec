"""The staff workplace for trainings and award activities: the filings (read-only; each decided by
a small form: approve, approve without fee, refuse), the cancelled items (added, never changed or
deleted: they stay cancelled), the complaints from the public list (confirmed into flags) and the
flags (reported by staff, dismissed, or turned into cases). Every action page calls one service."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from complaints.models import Category
from core.admin import ReadOnlyAdmin
from core.admin_lists import ChoicesOfSmallTableFilter
from core.errors import InvalidTransition, form_add_service_error
from core.forms import PlainErrorsMixin
from inspections.activities.services import (
    CASE_PERMISSIONS,
    DECIDE_PERMISSION,
    DECISIONS,
    activity_case_open,
    activity_decide,
    activity_flag_dismiss,
    activity_flag_from_complaint,
    activity_flag_raise,
    cancelled_activity_record,
)
from inspections.models import (
    ActivityComplaint,
    ActivityFiling,
    ActivityFlag,
    ActivityKind,
    CancelledActivity,
)
from liaison.models import Department

ACTION_TEMPLATE = "admin/inspections/activities/action.html"


class NoteForm(PlainErrorsMixin, forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note to the department"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required to refuse: the department reads it."),
    )


class DismissForm(PlainErrorsMixin, forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Why is the flag dismissed?"), max_length=2000, widget=forms.Textarea
    )


class CaseForm(PlainErrorsMixin, forms.Form):
    category = forms.ChoiceField(
        label=gettext_lazy("Category"), choices=Category.choices, initial=Category.TRAINING
    )
    description = forms.CharField(
        label=gettext_lazy("What the case is about"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
    )


class FlagReportForm(PlainErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What was wrong"), choices=ActivityFlag.Kind.choices)
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.order_by("name"),
        required=False,
        help_text=gettext_lazy("Taken from the filing or cancelled item when left empty."),
    )
    title = forms.CharField(label=gettext_lazy("Activity"), max_length=200, required=False)
    held_on = forms.DateField(
        label=gettext_lazy("Held on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    filing = forms.ModelChoiceField(
        label=gettext_lazy("Filing"),
        queryset=ActivityFiling.objects.select_related("department").order_by("-starts_on"),
        required=False,
        help_text=gettext_lazy("For a fee charged although approved without fee."),
    )
    cancelled_item = forms.ModelChoiceField(
        label=gettext_lazy("Cancelled item"),
        queryset=CancelledActivity.objects.order_by("name"),
        required=False,
    )
    explanation = forms.CharField(
        label=gettext_lazy("What happened"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class ConfirmForm(PlainErrorsMixin, forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Activity"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Its name as it was held (for an activity not in the list)."),
    )
    held_on = forms.DateField(
        label=gettext_lazy("Held on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    explanation = forms.CharField(
        label=gettext_lazy("What was confirmed"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("In your words, naming nobody who complained: it may reach the department."),
    )


class CancelledForm(PlainErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ActivityKind.choices)
    name = forms.CharField(label=pgettext_lazy("cancelled activity", "Name"), max_length=200)
    department = forms.ModelChoiceField(
        label=gettext_lazy("Organising department"),
        queryset=Department.objects.order_by("name"),
        required=False,
    )
    cancelled_on = forms.DateField(
        label=gettext_lazy("Cancelled on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    document = forms.CharField(label=gettext_lazy("Cancelling document"), max_length=200, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000, widget=forms.Textarea)


class _ActionPages:
    """One small page per action: a form that calls one service, the evidence beside it."""

    def _page(self, request, *, form, title, back_url, evidence=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": title,
            "back_url": back_url,
            "evidence": evidence or {},
        }
        return TemplateResponse(request, ACTION_TEMPLATE, context)

    def _run(self, request, form, call, *, done, success_url, title, back_url, evidence=None):
        if request.method == "POST" and form.is_valid():
            try:
                result = call(form.cleaned_data)
            except (InvalidTransition, ValidationError) as error:
                form_add_service_error(form, error)
            else:
                self.message_user(request, done(result))
                return redirect(success_url(result))
        return self._page(request, form=form, title=title, back_url=back_url, evidence=evidence)


# --- Filings ---------------------------------------------------------------------------------


@admin.register(ActivityFiling)
class ActivityFilingAdmin(_ActionPages, ReadOnlyAdmin):
    list_display = ["title", "kind", "department", "starts_on", "fee", "voluntary", "status", "decide_links"]
    list_filter = ["status", "kind", "voluntary", ("department", ChoicesOfSmallTableFilter)]
    search_fields = ["title", "organiser"]
    ordering = ["-starts_on", "-id"]
    list_select_related = ["department"]
    date_hierarchy = "starts_on"
    fields = [
        "department",
        "kind",
        "title",
        "organiser",
        "audience",
        "starts_on",
        "ends_on",
        "fee",
        "fee_basis",
        "voluntary",
        "description",
        "status",
        "filed_by",
        "created_at",
        "decided_at",
        "decided_by",
        "decision_note",
        "decide_links",
    ]
    readonly_fields = fields

    def get_urls(self):
        view = self.admin_site.admin_view
        decisions = [
            path(
                f"<int:pk>/{decision}/",
                view(self.decide_view),
                {"decision": decision},
                name=f"inspections_activityfiling_{decision}",
            )
            for decision in DECISIONS
        ]
        return [*decisions, *super().get_urls()]

    @admin.display(description=gettext_lazy("decide"))
    def decide_links(self, obj):
        if obj is None or obj.status != ActivityFiling.Status.FILED:
            return "—"
        links = [
            (reverse(f"admin:inspections_activityfiling_{key}", args=[obj.pk]), key, label)
            for key, (_status, label) in DECISIONS.items()
        ]
        return format_html_join(" · ", '<a href="{}" data-decide="{}">{}</a>', links)

    def decide_view(self, request, pk: int, decision: str):
        if decision not in DECISIONS or not request.user.has_perm(DECIDE_PERMISSION):
            raise PermissionDenied
        filing = get_object_or_404(ActivityFiling.objects.select_related("department"), pk=pk)
        change_url = reverse("admin:inspections_activityfiling_change", args=[filing.pk])
        return self._run(
            request,
            NoteForm(request.POST or None),
            lambda data: activity_decide(
                filing=filing, decision=decision, note=data["note"], actor=request.user
            ),
            done=lambda _result: _("Done: %(action)s.") % {"action": DECISIONS[decision][1]},
            success_url=lambda _result: change_url,
            title=DECISIONS[decision][1],
            back_url=change_url,
            evidence={"filing": filing},
        )


# --- Cancelled items -------------------------------------------------------------------------


@admin.register(CancelledActivity)
class CancelledActivityAdmin(_ActionPages, admin.ModelAdmin):
    list_display = ["name", "kind", "department", "cancelled_on", "document"]
    list_filter = ["kind", ("department", ChoicesOfSmallTableFilter)]
    search_fields = ["name", "document"]
    ordering = ["-cancelled_on", "name"]
    list_select_related = ["department"]
    fields = ["kind", "name", "department", "cancelled_on", "document", "note", "created_at"]
    readonly_fields = fields

    # Kept so that they stay cancelled: recorded through the service, never changed or deleted.
    def has_add_permission(self, request):
        return request.user.has_perm(DECIDE_PERMISSION)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        changelist = reverse("admin:inspections_cancelledactivity_changelist")
        return self._run(
            request,
            CancelledForm(request.POST or None),
            lambda data: cancelled_activity_record(**data, actor=request.user),
            done=lambda item: _("“%(name)s” is on the list of cancelled items.") % {"name": item.name},
            success_url=lambda _item: changelist,
            title=_("Record a cancelled item"),
            back_url=changelist,
        )


# --- Complaints from the public list ---------------------------------------------------------


@admin.register(ActivityComplaint)
class ActivityComplaintAdmin(_ActionPages, ReadOnlyAdmin):
    list_display = ["complaint_link", "subject", "department_shown", "created_at", "flag_shown"]
    list_filter = [("complaint__department", ChoicesOfSmallTableFilter)]
    search_fields = ["=complaint__reference", "filing__title", "cancelled_item__name"]
    ordering = ["-created_at", "-id"]
    list_select_related = ["complaint__department", "filing", "cancelled_item", "flag"]
    fields = ["complaint_link", "subject", "department_shown", "created_at", "flag_shown"]
    readonly_fields = fields

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/confirm/", view(self.confirm_view), name="inspections_activitycomplaint_confirm"),
            *super().get_urls(),
        ]

    @admin.display(description=gettext_lazy("complaint"), ordering="complaint__reference")
    def complaint_link(self, obj):
        url = reverse("admin:complaints_complaint_change", args=[obj.complaint_id])
        return format_html('<a href="{}">{}</a>', url, obj.complaint.reference)

    @admin.display(description=gettext_lazy("about"))
    def subject(self, obj):
        if obj.filing_id:
            return obj.filing.title
        if obj.cancelled_item_id:
            return _("Cancelled item: %(name)s") % {"name": obj.cancelled_item.name}
        return _("Not in the list")

    @admin.display(description=gettext_lazy("department"))
    def department_shown(self, obj):
        return obj.complaint.department.name if obj.complaint.department_id else "—"

    @admin.display(description=gettext_lazy("flag"))
    def flag_shown(self, obj):
        flag = getattr(obj, "flag", None)
        if flag is not None:
            url = reverse("admin:inspections_activityflag_change", args=[flag.pk])
            return format_html('<a href="{}">{}</a>', url, flag.get_status_display())
        url = reverse("admin:inspections_activitycomplaint_confirm", args=[obj.pk])
        return format_html('<a href="{}" data-confirm>{}</a>', url, _("Confirm: raise a flag"))

    def confirm_view(self, request, pk: int):
        if not request.user.has_perm(DECIDE_PERMISSION):
            raise PermissionDenied
        link = get_object_or_404(
            ActivityComplaint.objects.select_related("complaint__department", "filing", "cancelled_item"),
            pk=pk,
        )
        back = reverse("admin:inspections_activitycomplaint_change", args=[link.pk])
        initial = {
            "title": link.filing.title
            if link.filing_id
            else (link.cancelled_item.name if link.cancelled_item_id else "")
        }
        return self._run(
            request,
            ConfirmForm(request.POST or None, initial=initial),
            lambda data: activity_flag_from_complaint(link=link, **data, actor=request.user),
            done=lambda flag: _("Flag raised: %(flag)s.") % {"flag": flag},
            success_url=lambda flag: reverse("admin:inspections_activityflag_change", args=[flag.pk]),
            title=_("Confirm: raise a flag"),
            back_url=back,
            evidence={"link": link},
        )


# --- Flags -----------------------------------------------------------------------------------


@admin.register(ActivityFlag)
class ActivityFlagAdmin(_ActionPages, ReadOnlyAdmin):
    list_display = [
        "kind",
        "title",
        "department",
        "held_on",
        "status",
        "created_at",
        "case_link",
        "action_links",
    ]
    list_filter = ["status", "kind", ("department", ChoicesOfSmallTableFilter)]
    search_fields = ["title"]
    ordering = ["-created_at", "-id"]
    list_select_related = ["department", "case"]
    fields = [
        "kind",
        "title",
        "department",
        "held_on",
        "filing",
        "cancelled_item",
        "complaint_link",
        "explanation",
        "status",
        "created_at",
        "raised_by",
        "decided_at",
        "decided_by",
        "decision_note",
        "case_link",
        "action_links",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return request.user.has_perm(DECIDE_PERMISSION)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/dismiss/", view(self.dismiss_view), name="inspections_activityflag_dismiss"),
            path("<int:pk>/open-case/", view(self.open_case_view), name="inspections_activityflag_open_case"),
            *super().get_urls(),
        ]

    @admin.display(description=gettext_lazy("case"))
    def case_link(self, obj):
        if obj is None or not obj.case_id:
            return "—"
        url = reverse("admin:casework_case_change", args=[obj.case_id])
        return format_html('<a href="{}">{}</a>', url, obj.case.reference)

    @admin.display(description=gettext_lazy("decide"))
    def action_links(self, obj):
        if obj is None or obj.status != ActivityFlag.Status.OPEN:
            return "—"
        links = [
            (reverse("admin:inspections_activityflag_open_case", args=[obj.pk]), "case", _("Open a case")),
            (
                reverse("admin:inspections_activityflag_dismiss", args=[obj.pk]),
                "dismiss",
                _("Dismiss the flag"),
            ),
        ]
        return format_html_join(" · ", '<a href="{}" data-action="{}">{}</a>', links)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        changelist = reverse("admin:inspections_activityflag_changelist")
        return self._run(
            request,
            FlagReportForm(request.POST or None),
            lambda data: activity_flag_raise(**data, actor=request.user),
            done=lambda flag: _("Flag raised: %(flag)s.") % {"flag": flag},
            success_url=lambda flag: reverse("admin:inspections_activityflag_change", args=[flag.pk]),
            title=_("Report an activity"),
            back_url=changelist,
        )

    def _flag(self, pk):
        return get_object_or_404(ActivityFlag.objects.select_related("department"), pk=pk)

    def dismiss_view(self, request, pk: int):
        if not request.user.has_perm(DECIDE_PERMISSION):
            raise PermissionDenied
        flag = self._flag(pk)
        back = reverse("admin:inspections_activityflag_change", args=[flag.pk])
        return self._run(
            request,
            DismissForm(request.POST or None),
            lambda data: activity_flag_dismiss(flag=flag, note=data["note"], actor=request.user),
            done=lambda _flag: _("Done: %(action)s.") % {"action": _("Dismiss the flag")},
            success_url=lambda _flag: back,
            title=_("Dismiss the flag"),
            back_url=back,
            evidence={"flag": flag},
        )

    def open_case_view(self, request, pk: int):
        if not all(request.user.has_perm(permission) for permission in CASE_PERMISSIONS):
            raise PermissionDenied
        flag = self._flag(pk)
        back = reverse("admin:inspections_activityflag_change", args=[flag.pk])
        return self._run(
            request,
            CaseForm(request.POST or None, initial={"description": flag.explanation}),
            lambda data: activity_case_open(flag=flag, **data, actor=request.user),
            done=lambda case: _("Case %(reference)s opened.") % {"reference": case.reference},
            success_url=lambda case: reverse("admin:casework_case_change", args=[case.pk]),
            title=_("Open a case"),
            back_url=back,
            evidence={"flag": flag},
        )


__all__ = ["ActivityComplaintAdmin", "ActivityFilingAdmin", "ActivityFlagAdmin", "CancelledActivityAdmin"]
