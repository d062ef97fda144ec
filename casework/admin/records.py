"""The workplace's other records: referrals, recommendations and the timeline (read-only: the
workflow writes them), accountability talks and unannounced visits (written through the
services), identity-access requests (decided by an office head) and the referral periods."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework import services
from casework.admin.mixins import ServiceSaveMixin
from casework.figures import ReferralFigureFilter
from casework.forms import VisitCaseForm
from casework.models import (
    AccountabilityTalk,
    CaseEvent,
    IdentityAccessRequest,
    Recommendation,
    Referral,
    ReferralPeriod,
    UnannouncedVisit,
)
from core.admin import ReadOnlyAdmin


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "status", "round", "sent_at", "due_date", "acknowledged_at"]
    list_filter = [
        ReferralFigureFilter,  # the efficiency assessment's drill-down
        "status",
        "kind",
        ("department", admin.RelatedOnlyFieldListFilter),
        "sent_at",
    ]
    search_fields = ["released_text", "department__name"]
    list_select_related = ["case", "department"]
    date_hierarchy = "sent_at"
    readonly_fields = [f.name for f in Referral._meta.concrete_fields]


@admin.register(Recommendation)
class RecommendationAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "department", "status", "due_date", "issued_at", "replied_at"]
    list_filter = ["kind", "status", ("department", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["content", "reply", "department__name"]
    list_select_related = ["case", "department"]
    readonly_fields = [f.name for f in Recommendation._meta.concrete_fields]


@admin.register(AccountabilityTalk)
class AccountabilityTalkAdmin(ServiceSaveMixin, admin.ModelAdmin):
    list_display = ["department", "held_on", "place", "follow_up_on"]
    list_filter = [("department", admin.RelatedOnlyFieldListFilter), "held_on"]
    search_fields = ["heads", "record", "commitments", "department__name"]
    autocomplete_fields = ["cases"]
    date_hierarchy = "held_on"
    list_select_related = ["department"]
    exclude = ["recorded_by"]
    service_relations = ("cases",)

    def service_create(self, request, *, data):
        return services.talk_record(
            department=data["department"],
            heads=data["heads"],
            held_on=data["held_on"],
            place=data["place"],
            record=data["record"],
            cases=list(data["cases"]),
            commitments=data["commitments"],
            follow_up_on=data["follow_up_on"],
            action_against_responsible=data["action_against_responsible"],
            actor=request.user,
        )

    def service_update(self, request, obj, *, changes, data):
        # A correction leaves a trace on each case the talk concerns, before or after.
        services.talk_update(talk=obj, changes=changes, cases=list(data["cases"]), actor=request.user)

    def service_delete(self, request, obj):
        services.talk_delete(talk=obj, actor=request.user)


@admin.register(UnannouncedVisit)
class UnannouncedVisitAdmin(ServiceSaveMixin, admin.ModelAdmin):
    list_display = ["department", "visited_on", "team"]
    list_filter = [("department", admin.RelatedOnlyFieldListFilter), "visited_on"]
    search_fields = ["findings", "team", "department__name"]
    date_hierarchy = "visited_on"
    list_select_related = ["department"]
    exclude = ["recorded_by"]
    change_form_template = "admin/casework/visit_change_form.html"

    def service_create(self, request, *, data):
        return services.visit_record(
            visited_on=data["visited_on"],
            department=data["department"],
            team=data["team"],
            findings=data["findings"],
            actor=request.user,
        )

    def service_update(self, request, obj, *, changes, data):
        # A correction leaves a trace on each case opened from the visit's findings.
        services.visit_update(visit=obj, changes=changes, actor=request.user)

    def service_delete(self, request, obj):
        services.visit_delete(visit=obj, actor=request.user)

    def get_urls(self):
        return [
            path(
                "<int:pk>/open-case/",
                self.admin_site.admin_view(self.open_case_view),
                name="casework_unannouncedvisit_open_case",
            ),
            *super().get_urls(),
        ]

    def open_case_view(self, request, pk: int):
        visit = get_object_or_404(UnannouncedVisit, pk=pk)
        if not request.user.has_perm("casework.handle_case"):
            raise PermissionDenied
        form = VisitCaseForm(request.POST or None, initial={"description": visit.findings})
        if request.method == "POST" and form.is_valid():
            case = services.visit_open_case(
                visit=visit,
                category=form.cleaned_data["category"],
                description=form.cleaned_data["description"],
                actor=request.user,
            )
            self.message_user(request, _("Case %(reference)s opened.") % {"reference": case.reference})
            return redirect("admin:casework_case_change", case.pk)
        return TemplateResponse(
            request,
            "admin/casework/action.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "form": form,
                "object": visit,
                "title": _("Open a case from this finding"),
                "change_url": reverse("admin:casework_unannouncedvisit_change", args=[visit.pk]),
            },
        )


@admin.register(IdentityAccessRequest)
class IdentityAccessRequestAdmin(ReadOnlyAdmin):
    """Read-only: an office head decides with the actions, each through the service."""

    list_display = ["complaint", "requested_by", "requested_at", "status", "decided_by", "decided_at"]
    list_filter = ["status", "requested_at"]
    list_select_related = ["complaint", "requested_by", "decided_by"]
    readonly_fields = [
        "complaint",
        "requested_by",
        "reason",
        "requested_at",
        "status",
        "decided_by",
        "decided_at",
        "decision_note",
    ]
    actions = ["approve", "refuse"]

    def _decide(self, request, queryset, approve: bool):
        done = 0
        for item in queryset.filter(status=IdentityAccessRequest.Status.PENDING):
            try:
                services.identity_access_decide(request=item, approve=approve, actor=request.user)
                done += 1
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
        self.message_user(request, _("%(count)s requests decided.") % {"count": done})

    @admin.action(description=gettext_lazy("Approve the selected requests"), permissions=["approve"])
    def approve(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description=gettext_lazy("Refuse the selected requests"), permissions=["approve"])
    def refuse(self, request, queryset):
        self._decide(request, queryset, False)

    def has_approve_permission(self, request):
        return request.user.has_perm("casework.approve_identity_access")


@admin.register(ReferralPeriod)
class ReferralPeriodAdmin(admin.ModelAdmin):
    list_display = ["kind", "priority", "working_days"]
    list_editable = ["working_days"]
    list_filter = ["kind"]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    """The timeline across cases, read-only."""

    list_display = ["at", "case", "action", "actor", "note"]
    list_filter = ["action", "at"]
    search_fields = ["note"]
    list_select_related = ["case", "actor"]
    date_hierarchy = "at"
