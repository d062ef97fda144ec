"""Triage on the complaint: the intake's complaint admin with the buttons that accept, decline
or merge a new complaint, and the request to see who complained. This is where the complaint
admin is registered (complaints.admin defines it; casework, above the intake, extends it)."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy

from casework import services
from casework.admin.mixins import complaints_for_viewer, run_action_view
from casework.figures import ComplaintFigureFilter
from casework.forms import AcceptForm, IdentityRequestForm, MergeForm, NotAcceptForm
from casework.models import CaseComplaint
from casework.selectors import identity_visible_to
from complaints.admin import ComplaintAdmin
from complaints.models import Complaint, PublicStatus


@dataclass(frozen=True)
class ComplaintAction:
    label: str
    form: type[forms.Form]
    run: Callable[..., object]
    permission: str = "casework.handle_case"
    initial: Callable[[Complaint], dict] = lambda complaint: {}


COMPLAINT_ACTIONS = {
    "accept": ComplaintAction(
        gettext_lazy("Accept (open a case)"),
        AcceptForm,
        lambda *, case, data, actor: services.complaint_accept(
            complaint=case,
            actor=actor,
            title=data["title"],
            priority=data["priority"],
            office=data["office"],
            handler=data["handler"],
        ),
    ),
    "not_accept": ComplaintAction(
        gettext_lazy("Do not accept"),
        NotAcceptForm,
        lambda *, case, data, actor: services.complaint_not_accept(
            complaint=case, reason=data["reason"], actor=actor
        ),
    ),
    "merge": ComplaintAction(
        gettext_lazy("Merge into an existing case"),
        MergeForm,
        lambda *, case, data, actor: services.complaint_merge(complaint=case, case=data["case"], actor=actor),
    ),
    "identity": ComplaintAction(
        gettext_lazy("Request to see who complained"),
        IdentityRequestForm,
        lambda *, case, data, actor: services.identity_access_request(
            complaint=case, reason=data["reason"], actor=actor
        ),
        permission="complaints.view_complaint",
    ),
}


@admin.register(Complaint)
class TriageComplaintAdmin(ComplaintAdmin):
    """The intake's complaint admin with triage buttons: accept, do not accept, merge."""

    change_form_template = "admin/casework/complaint_change_form.html"
    list_filter = [ComplaintFigureFilter, *ComplaintAdmin.list_filter]

    def can_see_identity(self, request, complaint) -> bool:
        return identity_visible_to(request.user, complaint)

    def get_urls(self):
        return [
            path(
                "<int:pk>/triage/<str:action>/",
                self.admin_site.admin_view(self.triage_view),
                name="complaints_complaint_triage",
            ),
            *super().get_urls(),
        ]

    def triage_view(self, request, pk: int, action: str):
        complaint = get_object_or_404(Complaint, pk=pk)
        return run_action_view(
            self,
            request,
            obj=complaint,
            actions=COMPLAINT_ACTIONS,
            key=action,
            # What is being triaged, as this viewer may read it, beside the decision.
            extra_context={
                "complaints": complaints_for_viewer(
                    Complaint.objects.filter(pk=complaint.pk), viewer=request.user
                )
            },
            change_url=reverse("admin:complaints_complaint_change", args=[complaint.pk]),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        complaint = self.get_object(request, object_id)
        buttons, case = [], None
        if complaint is not None:
            link = CaseComplaint.objects.filter(complaint=complaint).select_related("case").first()
            case = link.case if link else None
            if (
                complaint.status == PublicStatus.RECEIVED
                and case is None
                and request.user.has_perm("casework.handle_case")
            ):
                buttons = [(k, a.label) for k, a in COMPLAINT_ACTIONS.items() if k != "identity"]
            if not complaint.is_anonymous and not self.can_see_identity(request, complaint):
                buttons.append(("identity", COMPLAINT_ACTIONS["identity"].label))
        return super().change_view(
            request, object_id, form_url, {"triage_buttons": buttons, "case": case, **(extra_context or {})}
        )
