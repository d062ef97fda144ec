"""The staff workplace for openness checks (政务公开监督检查): campaigns with their checklist and
units, a results page per unit and criterion; findings recorded through one form (with evidence
files, through the project's upload checks) and their rectification accepted or returned; the
demonstration sites. Every write is a small form calling one service; lists have constant
queries (list_select_related)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisal.models import (
    ChecklistItem,
    Criterion,
    DemonstrationSite,
    FindingEvidence,
    OpennessCampaign,
    OpennessFinding,
)
from appraisal.openness.forms import ConfirmForm, DemonstrationSiteForm, FindingRecordForm, ReturnForm
from appraisal.openness.selectors import openness_results
from appraisal.openness.services import (
    AWAITING_UNIT,
    DECIDE_PERMISSION,
    RECORD_PERMISSION,
    demonstration_site_mark,
    demonstration_site_unmark,
    finding_accept,
    finding_record,
    finding_return,
)
from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.deadlines import deadline_explain
from core.errors import InvalidTransition, form_add_service_error

S = OpennessFinding.Status
ACTION_TEMPLATE = "admin/appraisal/openness/action.html"


def _link(viewname: str, pk, text) -> str:
    return format_html('<a href="{}">{}</a>', reverse(viewname, args=[pk]), text)


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 3
    fields = ["order", "criterion", "text"]
    ordering = ["order", "id"]


@admin.register(OpennessCampaign)
class OpennessCampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "method", "starts_on", "ends_on", "unit_count", "finding_count", "results_link"]
    list_filter = ["method", "starts_on"]
    search_fields = ["title"]
    ordering = ["-starts_on", "-id"]
    date_hierarchy = "starts_on"
    filter_horizontal = ["units"]
    fields = ["title", "method", "starts_on", "ends_on", "units", "description"]
    inlines = [ChecklistItemInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                units_count=Count("units", distinct=True), findings_count=Count("findings", distinct=True)
            )
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=gettext_lazy("units"), ordering="units_count")
    def unit_count(self, obj):
        return obj.units_count

    @admin.display(description=gettext_lazy("findings"), ordering="findings_count")
    def finding_count(self, obj):
        return obj.findings_count

    @admin.display(description=gettext_lazy("results"))
    def results_link(self, obj):
        return _link("admin:appraisal_opennesscampaign_results", obj.pk, _("Results"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/results/", view(self.results_view), name="appraisal_opennesscampaign_results"),
            *super().get_urls(),
        ]

    def results_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        campaign = get_object_or_404(OpennessCampaign, pk=pk)
        results = openness_results(campaign=campaign)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Results of %(campaign)s") % {"campaign": campaign.title},
            "campaign": campaign,
            "results": results,
            "criteria": Criterion.choices,
            "rows": [
                (unit, [unit.criteria.get(value) for value, _label in Criterion.choices])
                for unit in results.units
            ],
            "criterion_totals": [results.criteria[value] for value, _label in Criterion.choices],
        }
        return TemplateResponse(request, "admin/appraisal/openness/results.html", context)


class EvidenceInline(ReadOnlyInline):
    model = FindingEvidence
    fields = ["download", "content_type", "size", "uploaded_at"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("file"))
    def download(self, obj):
        url = reverse("admin:appraisal_opennessfinding_evidence", args=[obj.finding_id, obj.pk])
        return format_html('<a href="{}" data-evidence="{}">{}</a>', url, obj.pk, obj.display_name)


@admin.register(OpennessFinding)
class OpennessFindingAdmin(ReadOnlyAdmin):
    list_display = [
        "department_shown",
        "campaign_shown",
        "item_shown",
        "criterion",
        "result",
        "status",
        "rectify_by",
        "case_link",
        "action_links",
    ]
    list_filter = ["campaign", "department", "criterion", "result", "status"]
    search_fields = ["item__text", "department__name", "campaign__title"]
    list_select_related = ["department", "campaign", "item", "deadline", "case"]
    ordering = ["-id"]
    list_per_page = 25
    inlines = [EvidenceInline]
    fields = [
        "campaign",
        "department",
        "item",
        "criterion",
        "result",
        "note",
        "recorded_at",
        "recorded_by",
        "status",
        "rectify_by",
        "rectification",
        "answered_at",
        "answered_by",
        "return_reason",
        "decided_at",
        "decided_by",
        "case_link",
    ]
    readonly_fields = fields
    change_form_template = "admin/appraisal/openness/finding_change_form.html"

    def has_add_permission(self, request):
        return request.user.has_perm(RECORD_PERMISSION)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("record/", view(self.record_view), name="appraisal_opennessfinding_record"),
            path("<int:pk>/accept/", view(self.accept_view), name="appraisal_opennessfinding_accept"),
            path("<int:pk>/return/", view(self.return_view), name="appraisal_opennessfinding_return"),
            path(
                "<int:pk>/evidence/<int:file_pk>/",
                view(self.evidence_view),
                name="appraisal_opennessfinding_evidence",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:appraisal_opennessfinding_record")

    # Columns ------------------------------------------------------------------------------------

    @admin.display(description=gettext_lazy("unit"), ordering="department__name")
    def department_shown(self, obj):
        return obj.department.name

    @admin.display(description=gettext_lazy("campaign"), ordering="campaign__starts_on")
    def campaign_shown(self, obj):
        return obj.campaign.title

    @admin.display(description=gettext_lazy("checklist item"))
    def item_shown(self, obj):
        return obj.item.text

    @admin.display(description=gettext_lazy("rectify by"), ordering="deadline__due_date")
    def rectify_by(self, obj):
        deadline = obj.deadline
        if deadline is None:
            return "—"
        if obj.status in AWAITING_UNIT and deadline.due_date < timezone.localdate():
            return format_html(
                "{} <strong data-overdue>{}</strong>", deadline.due_date.isoformat(), _("overdue")
            )
        return deadline.due_date.isoformat()

    @admin.display(description=gettext_lazy("case"))
    def case_link(self, obj):
        if not obj.case_id:
            return "—"
        return _link("admin:casework_case_change", obj.case_id, obj.case.reference)

    @admin.display(description=gettext_lazy("actions"))
    def action_links(self, obj):
        links = self._actions_for(obj)
        if not links:
            return "—"
        return format_html_join(" · ", '<a href="{}" data-action="{}">{}</a>', links)

    def _actions_for(self, obj) -> list[tuple[str, str, str]]:
        if obj.status != S.ANSWERED:
            return []
        return [
            (reverse("admin:appraisal_opennessfinding_accept", args=[obj.pk]), "accept", _("Accept")),
            (reverse("admin:appraisal_opennessfinding_return", args=[obj.pk]), "return", _("Return")),
        ]

    def render_change_form(self, request, context, *args, **kwargs):
        obj = context.get("original")
        if obj is not None:
            context["finding_actions"] = self._actions_for(obj)
            if obj.deadline_id:
                context["deadline_text"] = deadline_explain(obj.deadline)
        return super().render_change_form(request, context, *args, **kwargs)

    # Action pages -------------------------------------------------------------------------------

    def _page(self, request, *, form, title, submit, obj=None, multipart=False):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "object": obj,
            "title": title,
            "submit": submit,
            "multipart": multipart,
            "back_url": reverse("admin:appraisal_opennessfinding_change", args=[obj.pk])
            if obj
            else reverse("admin:appraisal_opennessfinding_changelist"),
        }
        return TemplateResponse(request, ACTION_TEMPLATE, context)

    def record_view(self, request):
        if not request.user.has_perm(RECORD_PERMISSION):
            raise PermissionDenied
        campaign = None
        chosen = request.POST.get("campaign") or request.GET.get("campaign") or ""
        if chosen.isdigit():
            campaign = OpennessCampaign.objects.filter(pk=int(chosen)).first()
        initial = {"campaign": campaign} if campaign else {}
        if request.method == "POST":
            form = FindingRecordForm(request.POST, request.FILES, campaign=campaign)
        else:
            form = FindingRecordForm(initial=initial, campaign=campaign)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                finding = finding_record(
                    campaign=data["campaign"],
                    department=data["department"],
                    item=data["item"],
                    result=data["result"],
                    note=data["note"],
                    uploads=data["evidence"],
                    actor=request.user,
                )
            except (InvalidTransition, ValidationError) as error:
                form_add_service_error(form, error)
            else:
                text = _("Finding recorded.")
                if finding.case_id:
                    text = _("Finding recorded; case %(reference)s opened.") % {
                        "reference": finding.case.reference
                    }
                self.message_user(request, text)
                return redirect("admin:appraisal_opennessfinding_change", finding.pk)
        return self._page(request, form=form, title=_("Record a finding"), submit=_("Record"), multipart=True)

    def _finding(self, pk: int) -> OpennessFinding:
        return get_object_or_404(
            OpennessFinding.objects.select_related("campaign", "department", "item", "deadline"), pk=pk
        )

    def accept_view(self, request, pk: int):
        if not (self.has_view_permission(request) and request.user.has_perm(DECIDE_PERMISSION)):
            raise PermissionDenied
        finding = self._finding(pk)
        form = ConfirmForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                finding_accept(finding=finding, actor=request.user)
            except (InvalidTransition, ValidationError) as error:
                form_add_service_error(form, error)
            else:
                self.message_user(request, _("Rectification accepted."))
                return redirect("admin:appraisal_opennessfinding_change", finding.pk)
        return self._page(
            request, form=form, obj=finding, title=_("Accept the rectification"), submit=_("Accept")
        )

    def return_view(self, request, pk: int):
        if not (self.has_view_permission(request) and request.user.has_perm(DECIDE_PERMISSION)):
            raise PermissionDenied
        finding = self._finding(pk)
        form = ReturnForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                finding_return(finding=finding, reason=form.cleaned_data["reason"], actor=request.user)
            except (InvalidTransition, ValidationError) as error:
                form_add_service_error(form, error)
            else:
                self.message_user(request, _("Rectification returned to the unit with a new deadline."))
                return redirect("admin:appraisal_opennessfinding_change", finding.pk)
        return self._page(
            request, form=form, obj=finding, title=_("Return the rectification"), submit=_("Return")
        )

    def evidence_view(self, request, pk: int, file_pk: int):
        """An evidence file, streamed to staff who may view findings; only a file of this finding."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        evidence = get_object_or_404(FindingEvidence, pk=file_pk, finding_id=pk)
        try:
            handle = evidence.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        response = FileResponse(
            handle, as_attachment=True, filename=evidence.display_name, content_type=evidence.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


@admin.register(DemonstrationSite)
class DemonstrationSiteAdmin(admin.ModelAdmin):
    list_display = ["department", "campaign", "designated_on", "citation"]
    list_filter = ["campaign", "department"]
    search_fields = ["department__name", "campaign__title", "citation"]
    list_select_related = ["department", "campaign"]
    ordering = ["-designated_on", "-id"]
    readonly_fields = ["campaign", "department", "citation", "designated_on", "designated_by"]
    actions = ["unmark_selected"]

    def has_add_permission(self, request):
        return request.user.has_perm(DECIDE_PERMISSION)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm(DECIDE_PERMISSION):
            actions.pop("unmark_selected", None)
        return actions

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DemonstrationSiteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                site = demonstration_site_mark(actor=request.user, **form.cleaned_data)
            except (InvalidTransition, ValidationError) as error:
                form_add_service_error(form, error)
            else:
                self.message_user(
                    request, _("%(unit)s marked a demonstration site.") % {"unit": site.department}
                )
                return redirect("admin:appraisal_demonstrationsite_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "object": None,
            "title": _("Mark a demonstration site"),
            "submit": _("Mark"),
            "back_url": reverse("admin:appraisal_demonstrationsite_changelist"),
        }
        return TemplateResponse(request, ACTION_TEMPLATE, context)

    @admin.action(description=gettext_lazy("Remove the selected demonstration sites"))
    def unmark_selected(self, request, queryset):
        count = 0
        for site in queryset:
            demonstration_site_unmark(site=site, actor=request.user)
            count += 1
        self.message_user(
            request, _("%(count)s demonstration sites removed.") % {"count": count}, messages.SUCCESS
        )
