"""Associations and intermediaries in the staff workplace, with their filed fee schedules
(staff only: no department or public page shows them), and the leading group."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_lists import ChoicesOfSmallTableFilter
from core.forms import PlainErrorsMixin
from liaison.associations import fee_document_check
from liaison.models import Association, FeeSchedule, LeadingGroupMember


class FeeScheduleForm(PlainErrorsMixin, forms.ModelForm):
    class Meta:
        model = FeeSchedule
        fields = ["item", "amount_min", "amount_max", "legal_basis", "filed_on", "document"]
        # Not the admin's file widget: it links to the file's URL, and private files have none.
        widgets = {"document": forms.FileInput(attrs={"accept": ".pdf,application/pdf"})}

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if upload and hasattr(upload, "content_type"):  # a new upload, not the stored file
            fee_document_check(upload)
        return upload

    def save(self, commit=True):
        upload = self.cleaned_data.get("document")
        if upload and hasattr(upload, "content_type"):
            self.instance.document_name = upload.name[:200]
        return super().save(commit)


class FeeScheduleInline(admin.TabularInline):
    model = FeeSchedule
    form = FeeScheduleForm
    extra = 0
    fields = ["item", "amount_min", "amount_max", "legal_basis", "filed_on", "document", "document_link"]
    readonly_fields = ["document_link"]

    @admin.display(description=gettext_lazy("filed document"))
    def document_link(self, obj):
        if obj is None or not obj.pk or not obj.document:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:liaison_feeschedule_document", args=[obj.pk]),
            obj.document_name or _("document"),
        )


class AssociationForm(PlainErrorsMixin, forms.ModelForm):
    class Meta:
        model = Association
        fields = [
            "kind",
            "name",
            "short_name",
            "credit_code",
            "is_active",
            "supervising_department",
            "registration_department",
            "contact_name",
            "phone",
            "email",
            "address",
        ]


@admin.register(Association)
class AssociationAdmin(admin.ModelAdmin):
    form = AssociationForm
    list_display = [
        "name",
        "short_name",
        "kind",
        "supervising_department",
        "registration_department",
        "fee_items",
        "is_active",
    ]
    list_filter = [
        "kind",
        "is_active",
        ("supervising_department", ChoicesOfSmallTableFilter),
        ("registration_department", ChoicesOfSmallTableFilter),
    ]
    search_fields = ["name", "short_name", "credit_code", "contact_name"]
    search_help_text = gettext_lazy("Search by name, short name, credit code or contact person.")
    list_select_related = ["supervising_department", "registration_department"]
    ordering = ["name"]
    autocomplete_fields = ["supervising_department", "registration_department"]
    inlines = [FeeScheduleInline]
    fieldsets = [
        (None, {"fields": ["kind", "name", "short_name", "credit_code", "is_active"]}),
        (
            gettext_lazy("Supervision"),
            {"fields": ["supervising_department", "registration_department"]},
        ),
        (gettext_lazy("Contact"), {"fields": ["contact_name", "phone", "email", "address"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(fee_count=Count("fees"))

    @admin.display(description=gettext_lazy("fee items"), ordering="fee_count")
    def fee_items(self, obj):
        return obj.fee_count

    def get_urls(self):
        return [
            path(
                "fee/<int:pk>/document/",
                self.admin_site.admin_view(self.fee_document_view),
                name="liaison_feeschedule_document",
            ),
            *super().get_urls(),
        ]

    def fee_document_view(self, request, pk: int):
        """The filed document, to staff who may read the association; never a public URL."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        fee = get_object_or_404(FeeSchedule, pk=pk)
        if not fee.document:
            raise Http404
        return FileResponse(
            fee.document.open("rb"),
            as_attachment=True,
            filename=fee.document_name or "fee-schedule.pdf",
            content_type="application/pdf",
        )


class LeadingGroupMemberForm(PlainErrorsMixin, forms.ModelForm):
    class Meta:
        model = LeadingGroupMember
        fields = ["role", "user", "name", "email", "position", "office", "order", "is_active"]


@admin.register(LeadingGroupMember)
class LeadingGroupMemberAdmin(admin.ModelAdmin):
    """The leading group (领导小组): the head and deputies receive the ladder's top step; every
    member with an address receives the dispatch-meeting pack."""

    form = LeadingGroupMemberForm
    list_display = ["member_name", "role", "position", "office", "member_email", "order", "is_active"]
    list_display_links = ["member_name"]
    list_editable = ["order"]
    list_filter = ["role", "is_active", ("office", ChoicesOfSmallTableFilter)]
    search_fields = ["name", "email", "position", "user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user", "office"]
    ordering = ["order", "id"]
    autocomplete_fields = ["user", "office"]

    @admin.display(description=gettext_lazy("name"), ordering="name")
    def member_name(self, obj):
        return obj.display_name

    @admin.display(description=gettext_lazy("e-mail"))
    def member_email(self, obj):
        return obj.address or "—"
