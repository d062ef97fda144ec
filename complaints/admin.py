"""The intake part of the staff workplace: record what arrives by any channel, read it,
see possibly related complaints. A filed complaint is read-only here.

``ComplaintAdmin`` is registered once, by casework (``casework.admin.triage``), which adds the
triage buttons: the intake sits below casework and does not know it."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

import complaints.mailbox.admin  # noqa: F401  (registers the complaint mailbox's record)
from complaints.forms import StaffComplaintForm
from complaints.hotline import HotlineCallForm
from complaints.models import Complaint, Message, PublicUpdate, Rating, Supplement, reference_to_pk
from complaints.search import search_without_identity
from complaints.selectors import (
    complaint_identity,
    complaint_similar,
    complaint_text_for_viewer,
    identity_permitted,
    text_for_viewer,
)
from complaints.services import complaint_identity_view_record, complaint_submit
from complaints.views import receipt_keep, receipt_take
from core.admin import ReadOnlyInline
from core.admin_lists import BigTableAdminMixin, ChoicesOfSmallTableFilter
from core.masking import identity_for_viewer


class ComplaintTextInline(ReadOnlyInline):
    """Rows of a complaint whose free text is shown as the viewer may read it: the complaint
    admin hands each instance the complaint and whether this viewer may see who complained."""

    complaint = None
    viewer_sees_identity = False

    def for_viewer(self, text: str) -> str:
        identity = complaint_identity(self.complaint) if self.complaint is not None else None
        return text_for_viewer(text, identity=identity, can_see=self.viewer_sees_identity)


class SupplementInline(ComplaintTextInline):
    model = Supplement
    fields = ["created_at", "from_complainant", "text_for_viewer"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("text"))
    def text_for_viewer(self, obj):
        return self.for_viewer(obj.text)


class MessageInline(ComplaintTextInline):
    """The thread with the complainant through the tracking code, as this viewer may read it.
    Written from the case (its "Message the complainant" button) and on the tracking page."""

    model = Message
    fields = ["created_at", "direction", "text_for_viewer", "files", "read_at"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("messages with the complainant (tracking page)")

    def has_view_permission(self, request, obj=None):
        # Whoever may read the complaint reads its thread (no separate message permission).
        return request.user.has_perm("complaints.view_complaint")

    @admin.display(description=pgettext_lazy("message direction", "from"))
    def direction(self, obj):
        return _("the complainant") if obj.from_complainant else _("the complaint centre")

    @admin.display(description=gettext_lazy("text"))
    def text_for_viewer(self, obj):
        return self.for_viewer(obj.text)

    @admin.display(description=pgettext_lazy("message attachments", "files"))
    def files(self, obj):
        return ", ".join(attachment.display_name for attachment in obj.attachments.all()) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("attachments")


class PublicUpdateInline(ComplaintTextInline):
    model = PublicUpdate
    fields = ["created_at", "status", "text_for_viewer"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("public timeline (what the complainant sees)")

    @admin.display(description=gettext_lazy("text for the complainant"))
    def text_for_viewer(self, obj):
        return self.for_viewer(obj.text)


class RatingInline(ComplaintTextInline):
    model = Rating
    fields = ["created_at", "level", "comment_for_viewer"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("comment"))
    def comment_for_viewer(self, obj):
        return self.for_viewer(obj.comment)


class ComplaintAdmin(BigTableAdminMixin, admin.ModelAdmin):
    list_display = ["reference", "received_at", "channel", "category", "unit", "status", "is_anonymous"]
    list_link_field = "reference"
    list_display_links = ["reference"]
    list_filter = [
        "status",
        "channel",
        "category",
        "is_anonymous",
        ("department", ChoicesOfSmallTableFilter),
        ("association", ChoicesOfSmallTableFilter),
        "received_at",
    ]
    search_fields = ["description", "department_text", "department__name", "occurred_place"]
    search_help_text = gettext_lazy("Search by reference (TS2026-000123), text or unit.")
    list_select_related = ["department"]
    ordering = ["-received_at", "-id"]
    list_per_page = 50
    inlines = [PublicUpdateInline, MessageInline, SupplementInline, RatingInline]
    change_form_template = "admin/complaints/complaint/change_form.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "status",
                    "channel",
                    "source",
                    "received_at",
                    "filed_by",
                    "liaison_point",
                    "supervisor",
                ]
            },
        ),
        (
            gettext_lazy("The complaint as filed"),
            {
                "fields": [
                    "complainant_type",
                    "is_anonymous",
                    "department",
                    "department_text",
                    "association_and_supervisor",
                    "category",
                    "occurred_on",
                    "occurred_place_for_viewer",
                    "description_for_viewer",
                    "desired_outcome_for_viewer",
                ]
            },
        ),
    ]

    @admin.display(description=gettext_lazy("reference"), ordering="id")
    def reference(self, obj):
        return obj.reference

    @admin.display(description=gettext_lazy("association or intermediary"))
    def association_and_supervisor(self, obj):
        if obj.association_id is None:
            return "—"
        association = obj.association
        return _("%(association)s (supervised by %(department)s)") % {
            "association": association,
            "department": association.supervising_department,
        }

    @admin.display(description=gettext_lazy("unit complained about"), ordering="department__name")
    def unit(self, obj):
        return obj.unit_display

    def get_object(self, request, object_id, from_field=None):
        complaint = super().get_object(request, object_id, from_field)
        if complaint is not None:
            complaint.viewer_sees_identity = self.can_see_identity(request, complaint)
        return complaint

    def _for_viewer(self, obj, field: str) -> str:
        # Free text can name the complainant too (an anonymous one as well): redacted for staff
        # who may not know who it is.
        return complaint_text_for_viewer(obj, field, can_see=getattr(obj, "viewer_sees_identity", False))

    @admin.display(description=gettext_lazy("where it happened"))
    def occurred_place_for_viewer(self, obj):
        return self._for_viewer(obj, "occurred_place")

    @admin.display(description=gettext_lazy("what happened"))
    def description_for_viewer(self, obj):
        return self._for_viewer(obj, "description")

    @admin.display(description=gettext_lazy("outcome wanted"))
    def desired_outcome_for_viewer(self, obj):
        return self._for_viewer(obj, "desired_outcome")

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        for inline in inlines:
            if isinstance(inline, ComplaintTextInline):
                inline.complaint = obj
                inline.viewer_sees_identity = getattr(obj, "viewer_sees_identity", False)
        return inlines

    def get_readonly_fields(self, request, obj=None):
        # What a complainant said is evidence: nothing of a filed complaint is edited here.
        return [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]

    def has_delete_permission(self, request, obj=None):
        return False

    # For staff who may not see who complained: what complainants wrote, masked, and the unit.
    masked_search_fields = ["masked_text", "department_text", "department__name"]

    def get_search_results(self, request, queryset, search_term):
        pk = reference_to_pk(search_term) if search_term.upper().startswith("TS") else None
        if pk is not None:
            return queryset.filter(pk=pk), False
        if identity_permitted(request.user):
            return super().get_search_results(request, queryset, search_term)
        return search_without_identity(queryset, search_term=search_term, fields=self.masked_search_fields)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        complaint = self.get_object(request, object_id)
        extra = {}
        if complaint is not None:
            identity = getattr(complaint, "identity", None) if not complaint.is_anonymous else None
            can_see = identity is not None and self.can_see_identity(request, complaint)
            if can_see:
                # Every look at who complained is on the record (the privacy notice promises it).
                complaint_identity_view_record(complaint=complaint, viewer=request.user)
            # Other complaints' text, each masked for its own complainant: an approved request
            # to see this complaint's complainant does not extend to theirs.
            sees_all = identity_permitted(request.user)
            similar = [
                (other, score, complaint_text_for_viewer(other, "description", can_see=sees_all))
                for other, score in complaint_similar(complaint)
            ]
            extra = {
                "identity": identity_for_viewer(identity, can_see=can_see),
                "identity_views": list(complaint.identity_views.select_related("viewer")[:50]),
                "attachments": list(complaint.attachments.all()),
                "similar": similar,
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def get_urls(self):
        return [
            path(
                "hotline/",
                self.admin_site.admin_view(self.hotline_view),
                name="complaints_complaint_hotline",
            ),
            path(
                "<int:pk>/recorded/",
                self.admin_site.admin_view(self.recorded_view),
                name="complaints_complaint_recorded",
            ),
            *super().get_urls(),
        ]

    def recorded_view(self, request, pk: int):
        complaint = get_object_or_404(Complaint, pk=pk)
        receipt = receipt_take(request)
        if receipt is None or receipt["reference"] != complaint.reference:
            return redirect("admin:complaints_complaint_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "complaint": complaint,
            "tracking_code": receipt["code"],
            "title": _("Complaint recorded"),
        }
        return TemplateResponse(request, "admin/complaints/complaint/recorded.html", context)

    def can_see_identity(self, request, complaint) -> bool:
        return identity_permitted(request.user)

    def changelist_view(self, request, extra_context=None):
        extra = {"can_log_hotline_call": self.has_add_permission(request)}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def hotline_view(self, request):
        """The conduct hotline's short form: a call becomes a complaint (channel CONDUCT_HOTLINE)
        through the same service and triage as any other; the caller hears the tracking code."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = HotlineCallForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            submitted = form.submit(actor=request.user)
            self.log_addition(request, submitted.complaint, [{"added": {}}])
            return receipt_keep(
                redirect("admin:complaints_complaint_recorded", submitted.complaint.pk),
                submitted,
                emailed=False,
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": _("Log a conduct hotline call"),
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/complaints/complaint/hotline.html", context)

    def add_view(self, request, form_url="", extra_context=None):
        """Staff record a complaint that came by phone, letter, visit, e-mail, … through the same service."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StaffComplaintForm(request.POST or None, request.FILES or None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": _("Record a complaint"),
            "has_view_permission": True,
        }
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            submitted = complaint_submit(
                data=form.complaint_data(),
                identity=form.identity_data(),
                uploads=data["uploads"],
                channel=data["channel"],
                source=data["source"],
                actor=request.user,
                liaison_point=data.get("liaison_point"),
                supervisor=data.get("supervisor"),
                received_at=data["received_at"],
            )
            self.log_addition(request, submitted.complaint, [{"added": {}}])
            # The code goes to the next page in an encrypted short-lived cookie: never in a URL.
            return receipt_keep(
                redirect("admin:complaints_complaint_recorded", submitted.complaint.pk),
                submitted,
                emailed=False,
            )
        return TemplateResponse(request, "admin/complaints/complaint/record.html", context)
