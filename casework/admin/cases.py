"""The case list with the filters staff triage by, and the workflow as buttons with small
forms that call the services."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case as SqlCase
from django.db.models import Value, When
from django.http import FileResponse, Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from casework import services
from casework.admin.case_export import CASE_EXPORT
from casework.admin.mixins import case_complaints_for_viewer, run_action_view
from casework.extensions import extension_pending_for_case
from casework.figures import FigureFilter
from casework.forms import (
    AssignForm,
    CloseForm,
    FindingForm,
    NoteForm,
    ReasonForm,
    RecommendationDecisionForm,
    RecommendationForm,
    ReferForm,
    ReviewForm,
    TypicalForm,
    handler_label,
)
from casework.models import (
    Case,
    CaseComplaint,
    CaseEvent,
    HandlingReport,
    Recommendation,
    Referral,
    ReportAttachment,
)
from casework.selectors import (
    DUE_SOON_WORKING_DAYS,
    case_identities,
    case_list,
    due_soon_condition,
    handler_candidates,
    offices_headed_by,
    with_unsatisfied,
)
from complaints.search import search_without_identity
from complaints.selectors import identity_permitted, text_for_viewer
from complaints.services import complaint_identity_confirmation_record
from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.admin_lists import BigTableAdminMixin, ChoicesOfSmallTableFilter
from core.deadlines import deadline_explain
from core.errors import InvalidTransition
from core.export_requests import changelist_query, export_start
from core.ladder import Step, step_label

S = Case.Status


# --- Filters -----------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("deadline")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [
            ("yes", _("Overdue")),
            ("soon", _("Due within %(days)s working days") % {"days": DUE_SOON_WORKING_DAYS}),
            ("no", _("Not overdue")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue=True)
        if self.value() == "soon":
            return queryset.filter(due_soon_condition())
        if self.value() == "no":
            return queryset.filter(overdue=False)
        return queryset


class MineFilter(admin.SimpleListFilter):
    title = gettext_lazy("my cases")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [
            ("1", _("My cases")),
            ("open", _("My open cases")),
            ("office", _("Cases of the offices I head")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(handler=request.user)
        if self.value() == "open":
            return queryset.filter(handler=request.user).exclude(status=S.CONCLUDED)
        if self.value() == "office":
            return queryset.filter(office_id__in=offices_headed_by(request.user))
        return queryset


class HandlerFilter(ChoicesOfSmallTableFilter):
    """The handler picker's people (handler_candidates), by name, office and role."""

    def field_choices(self, field, request, model_admin):
        return [(user.pk, handler_label(user)) for user in handler_candidates()]


class EscalationLevelFilter(admin.SimpleListFilter):
    """The ladder's steps by name, without a DISTINCT over every case for the values."""

    title = gettext_lazy("escalation level")
    parameter_name = "escalation_level"

    def lookups(self, request, model_admin):
        return [("0", _("Not escalated")), *((str(int(step)), step_label(step)) for step in Step)]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(escalation_level=int(value)) if value in {"0", "1", "2", "3"} else queryset


class UnsatisfiedFilter(admin.SimpleListFilter):
    title = gettext_lazy("satisfaction")
    parameter_name = "unsatisfied"

    def lookups(self, request, model_admin):
        return [("1", _("Complainant unsatisfied"))]

    def queryset(self, request, queryset):
        return with_unsatisfied(queryset, True) if self.value() == "1" else queryset


# --- Inlines -----------------------------------------------------------------------


class ComplaintLinkInline(ReadOnlyInline):
    model = CaseComplaint
    fields = ["complaint_link", "is_primary", "linked_at"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("complaints gathered in this case")

    @admin.display(description=gettext_lazy("complaint"))
    def complaint_link(self, obj):
        url = reverse("admin:complaints_complaint_change", args=[obj.complaint_id])
        return format_html('<a href="{}">{}</a>', url, obj.complaint.reference)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("complaint")


class ReferralInline(ReadOnlyInline):
    model = Referral
    fields = [
        "department",
        "kind",
        "status",
        "round",
        "sent_at",
        "due_date",
        "due_explained",
        "acknowledged_at",
    ]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("how the due date was computed"))
    def due_explained(self, obj):
        return deadline_explain(obj.deadline) if obj.deadline_id else "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department", "deadline")


class ReportInline(ReadOnlyInline):
    model = HandlingReport
    fields = ["referral", "round", "finding", "facts", "measures", "submitted_at", "review_decision"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("review"))
    def review_decision(self, obj):
        review = getattr(obj, "review", None)
        if review is None:
            return _("Awaiting review")
        return f"{review.get_decision_display()} {review.reason}".strip()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("referral__department", "review")


class RecommendationInline(ReadOnlyInline):
    model = Recommendation
    fields = ["kind", "department", "status", "due_date", "content", "reply"]
    readonly_fields = fields


def status_label(value: str) -> str:
    """A case status as its translated label; a value no longer in the choices as stored."""
    try:
        return S(value).label
    except ValueError:
        return value


class EventInline(ReadOnlyInline):
    """The timeline: actions and statuses by their names; notes (where complainants' messages and
    rating comments appear) masked for staff without the identity permission; internal notes
    marked as such. ``identities`` and ``can_see`` are set by CaseAdmin for the case shown."""

    model = CaseEvent
    fields = ["at", "actor_name", "action_label", "status_change", "note_for_viewer"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("timeline")
    classes = ["timeline"]
    identities: list = []
    can_see = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=gettext_lazy("by"))
    def actor_name(self, obj):
        if obj.actor is None:
            return "—"
        return obj.actor.get_full_name() or obj.actor.get_username()

    @admin.display(description=gettext_lazy("action"))
    def action_label(self, obj):
        if obj.action == CaseEvent.Action.INTERNAL_NOTE:
            return format_html(
                '<span class="badge internal" data-internal-note>{}</span> {}',
                pgettext("timeline", "Staff only"),
                obj.get_action_display(),
            )
        return obj.get_action_display()

    @admin.display(description=gettext_lazy("status"))
    def status_change(self, obj):
        if not (obj.from_status or obj.to_status):
            return "—"
        if obj.from_status and obj.to_status:
            return f"{status_label(obj.from_status)} → {status_label(obj.to_status)}"
        return status_label(obj.to_status or obj.from_status)

    @admin.display(description=gettext_lazy("note"))
    def note_for_viewer(self, obj):
        return text_for_viewer(obj.note, identity=self.identities, can_see=self.can_see) or "—"


# --- Workflow actions ------------------------------------------------------------------


@dataclass(frozen=True)
class CaseAction:
    label: str
    form: type[forms.Form]
    allowed: Callable[[Case], bool]
    run: Callable[..., object]
    initial: Callable[[Case], dict] = lambda case: {}
    permission: str = "casework.handle_case"


def _latest_report(case: Case) -> HandlingReport | None:
    return (
        HandlingReport.objects.filter(referral__case=case, review__isnull=True)
        .select_related("referral")
        .order_by("-submitted_at")
        .first()
    )


def _run_review(*, case, data, actor):
    report = _latest_report(case)
    if report is None:
        raise InvalidTransition(_("There is no report awaiting review."))
    return services.report_review(
        report=report,
        decision=data["decision"],
        reason=data["reason"] or "",
        working_days=data.get("working_days"),
        actor=actor,
    )


def _run_recommendation_decision(*, case, data, actor):
    return services.recommendation_close(
        recommendation=data["recommendation"], accept=data["accept"], note=data["note"], actor=actor
    )


CASE_ACTIONS: dict[str, CaseAction] = {
    "assign": CaseAction(
        gettext_lazy("Assign office and handler"),
        AssignForm,
        lambda c: c.status != S.CONCLUDED,
        lambda *, case, data, actor: services.case_assign(
            case=case,
            actor=actor,
            office=data["office"],
            handler=data["handler"],
            priority=data["priority"] or None,
        ),
        lambda c: {"office": c.office_id, "handler": c.handler_id, "priority": c.priority},
    ),
    "self_handle": CaseAction(
        gettext_lazy("Handle in the centre (自办)"),
        NoteForm,
        lambda c: c.status == S.ACCEPTED,
        lambda *, case, data, actor: services.case_self_handle(case=case, actor=actor, note=data["note"]),
    ),
    "refer": CaseAction(
        gettext_lazy("Refer to a department"),
        ReferForm,
        lambda c: c.status in (S.ACCEPTED, S.HANDLING),
        lambda *, case, data, actor: services.case_refer(
            case=case,
            department=data["department"],
            kind=data["kind"],
            instructions=data["instructions"],
            released_text=data["released_text"],
            working_days=data["working_days"],
            actor=actor,
        ),
        lambda c: {"department": c.department_id, "released_text": services.case_released_text(case=c)},
    ),
    "review": CaseAction(
        gettext_lazy("Review the report"), ReviewForm, lambda c: c.status == S.REVIEWING, _run_review
    ),
    "take_over": CaseAction(
        gettext_lazy("Take over from the department"),
        ReasonForm,
        lambda c: c.status in (S.REFERRED, S.REVIEWING),
        lambda *, case, data, actor: services.case_take_over(case=case, reason=data["reason"], actor=actor),
    ),
    "finding": CaseAction(
        gettext_lazy("Record the finding"),
        FindingForm,
        lambda c: c.status == S.HANDLING,
        lambda *, case, data, actor: services.case_record_finding(
            case=case,
            finding=data["finding"],
            note=data["note"],
            follow_up_on=data["follow_up_on"],
            actor=actor,
        ),
        lambda c: {"finding": c.finding},
    ),
    "recommend": CaseAction(
        gettext_lazy("Issue a supervision recommendation"),
        RecommendationForm,
        lambda c: c.status != S.CONCLUDED,
        lambda *, case, data, actor: services.recommendation_issue(
            case=case,
            department=data["department"],
            content=data["content"],
            basis=data["basis"],
            working_days=data["working_days"],
            actor=actor,
        ),
        lambda c: {"department": c.department_id},
    ),
    "decide_recommendation": CaseAction(
        gettext_lazy("Decide on a rectification report"),
        RecommendationDecisionForm,
        lambda c: c.recommendations.filter(status=Recommendation.Status.REPLIED).exists(),
        _run_recommendation_decision,
    ),
    "close": CaseAction(
        gettext_lazy("Conclude (办结)"),
        CloseForm,
        lambda c: c.status == S.HANDLING,
        lambda *, case, data, actor: services.case_close(
            case=case, result_summary=data["result_summary"], finding=data["finding"], actor=actor
        ),
    ),
    "reopen": CaseAction(
        gettext_lazy("Reopen"),
        ReasonForm,
        lambda c: c.status == S.CONCLUDED,
        lambda *, case, data, actor: services.case_reopen(case=case, reason=data["reason"], actor=actor),
    ),
    "typical": CaseAction(
        gettext_lazy("Mark as a typical case"),
        TypicalForm,
        lambda c: not c.is_typical,
        lambda *, case, data, actor: services.case_mark_typical(
            case=case, summary=data["summary"], actor=actor
        ),
    ),
}


@admin.register(Case)
class CaseAdmin(BigTableAdminMixin, ReadOnlyAdmin):
    # The essential columns only, so that the list fits 1280 px with its filters beside it:
    # office, priority and dates are filters (and on the case page).
    list_display = [
        "reference",
        "short_title",
        "status",
        "unit",
        "handler_name",
        "due_badge",
        "escalation",
    ]
    list_link_field = "reference"
    list_filter = [
        FigureFilter,  # the dashboard's drill-down: exactly the cases a figure counts
        MineFilter,
        "status",
        OverdueFilter,
        "priority",
        "category",
        "disposition",
        ("department", ChoicesOfSmallTableFilter),
        ("office", ChoicesOfSmallTableFilter),
        ("handler", HandlerFilter),
        "channel",
        EscalationLevelFilter,
        UnsatisfiedFilter,
        "is_typical",
        "opened_at",
        "closed_at",
    ]
    search_fields = ["title", "complaint_links__complaint__description"]
    search_help_text = gettext_lazy(
        "Search by case reference (AJ2026-000123), complaint reference (TS…) or text."
    )
    ordering = ["-opened_at", "-id"]
    list_per_page = 25
    inlines = [ComplaintLinkInline, ReferralInline, RecommendationInline, EventInline]
    change_form_template = "admin/casework/case/change_form.html"
    change_list_template = "admin/casework/case/change_list.html"
    actions = ["bulk_assign", "bulk_refer"]
    readonly_fields = [
        "title",
        "status",
        "priority",
        "category",
        "department",
        "office",
        "handler_name",
        "disposition",
        "channel",
        "opened_at",
        "closed_at",
        "taken_over",
        "finding",
        "finding_note",
        "follow_up_on",
        "result_summary",
        "is_typical",
        "typical_summary",
        "reopened_count",
        "escalation",
    ]

    def get_fields(self, request, obj=None):
        # Only what is shown read-only: no model field may become an input of the case page
        # (handler, escalation level are shown through display methods of their own).
        return list(self.readonly_fields)

    def get_queryset(self, request):
        # due_soon for the badge: the calendar is read once per page, not per row.
        return case_list(viewer=request.user).annotate(
            due_soon=SqlCase(When(due_soon_condition(), then=Value(True)), default=Value(False))
        )

    # Cases open from complaints (accept) or visits and are never deleted (ReadOnlyAdmin); the
    # change page is the workflow's home, its buttons each call a service.
    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("casework.view_case")

    @admin.display(description=gettext_lazy("reference"), ordering="id")
    def reference(self, obj):
        return obj.reference

    @admin.display(description=gettext_lazy("title"), ordering="title")
    def short_title(self, obj):
        # One line cut with an ellipsis (admin-extra.css); the whole title on hover and, being
        # focusable, on keyboard focus, where the CSS lets it wrap.
        priority = ""
        if obj.priority != Case.Priority.NORMAL:
            priority = format_html(
                '<span class="badge priority-{}">{}</span> ', obj.priority, obj.get_priority_display()
            )
        return format_html(
            '{}<span class="case-title" tabindex="0" title="{}">{}</span>', priority, obj.title, obj.title
        )

    @admin.display(description=gettext_lazy("unit"), ordering="department__name")
    def unit(self, obj):
        if obj.department is None:
            return "—"
        return format_html(
            '<span class="unit-name" title="{}">{}</span>',
            obj.department.name,
            obj.department.short_name or obj.department.name,
        )

    @admin.display(description=gettext_lazy("handler"), ordering="handler__first_name")
    def handler_name(self, obj):
        if obj.handler is None:
            return "—"
        return obj.handler.get_full_name() or obj.handler.get_username()

    @admin.display(description=gettext_lazy("escalation"), ordering="escalation_level")
    def escalation(self, obj):
        if not obj.escalation_level:
            return "—"
        return format_html(
            '<span class="badge escalation-{}">{}</span>',
            obj.escalation_level,
            step_label(obj.escalation_level),
        )

    @admin.display(description=gettext_lazy("due"), ordering="due_date")
    def due_badge(self, obj):
        if obj.due_date is None:
            return "—"
        if obj.overdue:
            return format_html(
                '<span class="badge overdue">⚠ {} <span class="badge-note">{}</span></span>',
                obj.due_date,
                _("Overdue"),
            )
        if getattr(obj, "due_soon", False):
            return format_html(
                '<span class="badge due-soon">{} <span class="badge-note">{}</span></span>',
                obj.due_date,
                pgettext("due date", "Soon"),
            )
        return format_html('<span class="badge">{}</span>', obj.due_date)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().upper()
        if term.startswith(("AJ", "TS")) and "-" in term:
            number = term.rsplit("-", 1)[-1]
            if number.isdigit():
                if term.startswith("AJ"):
                    return queryset.filter(pk=int(number)), False
                return queryset.filter(complaint_links__complaint_id=int(number)), False
        if not request.user.has_perm("complaints.view_complainant_identity"):
            # Titles are redacted at acceptance; descriptions are searched as such staff read them.
            return search_without_identity(
                queryset, search_term=search_term, fields=["title", "complaint_links__complaint__masked_text"]
            )
        return super().get_search_results(request, queryset, search_term)

    def get_urls(self):
        return [
            path("export/", self.admin_site.admin_view(self.export_view), name="casework_case_export"),
            path(
                "<int:pk>/act/<str:action>/",
                self.admin_site.admin_view(self.action_view),
                name="casework_case_action",
            ),
            path(
                "<int:pk>/report-file/<int:file_pk>/",
                self.admin_site.admin_view(self.report_attachment_view),
                name="casework_case_report_attachment",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request):
        """The case list as xlsx, with exactly the filters and search of the changelist it came
        from: a background export (core.exports), so the request returns at once."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:casework_case_changelist"))
        query = changelist_query(request)
        return export_start(request, kind=CASE_EXPORT, filters={"query": query}, description=query)

    def action_view(self, request, pk: int, action: str):
        case = get_object_or_404(self.get_queryset(request), pk=pk)

        def prepare(form):
            if "recommendation" in form.fields:
                form.fields["recommendation"].queryset = case.recommendations.filter(
                    status=Recommendation.Status.REPLIED
                )

        report = _latest_report(case) if action == "review" else None
        return run_action_view(
            self,
            request,
            obj=case,
            actions=CASE_ACTIONS,
            key=action,
            extra_context={
                "report": report,
                "report_attachments": list(report.attachments.all()) if report else [],
                "complaints": case_complaints_for_viewer(case, viewer=request.user),
            },
            change_url=reverse("admin:casework_case_change", args=[case.pk]),
            prepare_form=prepare,
        )

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        if obj is not None:
            can_see = identity_permitted(request.user)
            identities = [] if can_see else case_identities(obj)
            for inline in inlines:
                if isinstance(inline, EventInline):
                    inline.identities, inline.can_see = identities, can_see
        return inlines

    def report_attachment_view(self, request, pk: int, file_pk: int):
        """A handling report's file, streamed to staff who may read the case's reports; only a
        file of a report on this case."""
        case = get_object_or_404(self.get_queryset(request), pk=pk)
        if not request.user.has_perm("casework.view_handlingreport"):
            raise PermissionDenied
        attachment = get_object_or_404(ReportAttachment, pk=file_pk, report__referral__case=case)
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        response = FileResponse(
            handle, as_attachment=True, filename=attachment.display_name, content_type=attachment.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, object_id)
        buttons = []
        if case is not None and request.user.has_perm("casework.handle_case"):
            buttons = [(key, action.label) for key, action in CASE_ACTIONS.items() if action.allowed(case)]
        reports = (
            HandlingReport.objects.filter(referral__case=case)
            .select_related("referral__department", "review")
            .order_by("referral__sent_at", "round")
            if case
            else []
        )
        return super().change_view(
            request,
            object_id,
            form_url,
            # Nothing on the case page is edited directly: every change is a workflow button.
            {
                "workflow_buttons": buttons,
                "reports": reports,
                "pending_extension": extension_pending_for_case(case) if case else None,
                "show_save": False,
                "show_save_and_continue": False,
                "show_save_and_add_another": False,
                **(extra_context or {}),
            },
        )

    @admin.action(
        description=gettext_lazy("Assign the selected cases to an office or handler"), permissions=["handle"]
    )
    def bulk_assign(self, request, queryset):
        form = AssignForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            for case in queryset:
                services.case_assign(
                    case=case,
                    actor=request.user,
                    office=form.cleaned_data["office"],
                    handler=form.cleaned_data["handler"],
                    priority=form.cleaned_data["priority"] or None,
                )
            self.message_user(request, _("%(count)s cases assigned.") % {"count": queryset.count()})
            return None
        return TemplateResponse(
            request,
            "admin/casework/bulk_action.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "form": form,
                "queryset": queryset,
                "action": "bulk_assign",
                "title": _("Assign the selected cases"),
            },
        )

    @admin.action(
        description=gettext_lazy("Refer the selected cases to their departments"), permissions=["handle"]
    )
    def bulk_refer(self, request, queryset):
        class BulkReferForm(forms.Form):
            kind = forms.ChoiceField(label=_("Kind"), choices=Referral.Kind.choices)
            instructions = forms.CharField(label=_("Instructions"), required=False, widget=forms.Textarea)

        form = BulkReferForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done, skipped, identified = 0, [], []
            for case in queryset.select_related("department"):
                if case.department is None or not case.can_move_to(S.REFERRED):
                    skipped.append(case.reference)
                    continue
                try:
                    services.case_refer(
                        case=case,
                        department=case.department,
                        kind=form.cleaned_data["kind"],
                        instructions=form.cleaned_data["instructions"],
                        released_text=services.case_released_text(case=case),
                        actor=request.user,
                    )
                except ValidationError as error:
                    if isinstance(error, services.IdentityInText):
                        complaint_identity_confirmation_record(
                            complaint_ids=error.complaint_ids, actor=request.user
                        )
                    # The service names what it found, never the value itself.
                    identified.append(f"{case.reference}: {' '.join(error.messages)}")
                    continue
                done += 1
            self.message_user(request, _("%(count)s cases referred.") % {"count": done})
            for line in identified:
                self.message_user(
                    request,
                    _("Not referred, edit the text and refer it on its own: %(case)s") % {"case": line},
                    messages.ERROR,
                )
            if skipped:
                self.message_user(
                    request,
                    _("Not referred (no department, or not in a state to refer): %(refs)s")
                    % {"refs": ", ".join(skipped)},
                    messages.WARNING,
                )
            return None
        return TemplateResponse(
            request,
            "admin/casework/bulk_action.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "form": form,
                "queryset": queryset,
                "action": "bulk_refer",
                "title": _("Refer the selected cases"),
            },
        )

    def has_handle_permission(self, request):
        return request.user.has_perm("casework.handle_case")
