"""Extension requests (延期申请) in the staff workplace: the pending ones first, each decided on
a small page (approve with the granted date, or refuse with a reason) that calls
casework.extensions.extension_decide. Nothing is edited directly; every row links to its case."""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from casework.extensions import STAFF_PERMISSION, extension_can_request, extension_decide
from casework.models import ExtensionRequest
from core.admin import ReadOnlyAdmin
from core.admin_lists import ChoicesOfSmallTableFilter
from core.errors import InvalidTransition, form_add_service_error
from core.forms import PlainErrorsMixin

APPROVE, REFUSE = "approve", "refuse"


class ExtensionDecisionForm(PlainErrorsMixin, forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            (APPROVE, pgettext_lazy("extension request", "Approve: move the due date")),
            (REFUSE, pgettext_lazy("extension request", "Refuse: the due date stays")),
        ],
        widget=forms.RadioSelect,
    )
    granted_date = forms.DateField(
        label=gettext_lazy("New due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("For an approval: the date the department proposed, or another working day."),
    )
    decision_note = forms.CharField(
        label=gettext_lazy("Note to the department"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Needed when you refuse. The department reads it in its e-mail and on its portal: "
            "nothing that identifies the complainant."
        ),
    )

    def __init__(self, *args, extension: ExtensionRequest, **kwargs):
        kwargs.setdefault("initial", {"granted_date": extension.proposed_date})
        super().__init__(*args, **kwargs)
        due = extension.referral.due_date
        if due:
            self.fields["granted_date"].widget.attrs["min"] = (due + dt.timedelta(days=1)).isoformat()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == REFUSE and not cleaned.get("decision_note", "").strip():
            self.add_error(
                "decision_note",
                ValidationError(
                    _("Say why the request is refused; the department will read it."), code="required"
                ),
            )
        return cleaned


class DepartmentFilter(ChoicesOfSmallTableFilter):
    """The unit asking, from the small table of departments."""


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    # Few, short columns: the list fits beside the navigation at 1280 px; the rest is one click away.
    list_display = ["case_link", "decision", "department", "dates", "requested"]
    list_display_links = None  # the case and decide columns are the links
    list_filter = ["status", ("referral__department", DepartmentFilter), "requested_at"]
    search_fields = ["referral__department__name"]
    search_help_text = gettext_lazy("Search by case reference (AJ2026-000123) or department.")
    list_select_related = ["referral__case", "referral__department", "decided_by"]
    list_per_page = 50
    change_form_template = "admin/casework/extensionrequest/change_form.html"
    fields = [
        "case_link",
        "department",
        "referral_status",
        "status_badge",
        "due_date_before",
        "current_due_date",
        "proposed_date",
        "reason",
        "requested_by",
        "requested_at",
        "granted_date",
        "decided_by",
        "decided_at",
        "decision_note",
    ]
    readonly_fields = fields

    # Handlers decide: the permission to handle cases is the permission to see these.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(STAFF_PERMISSION) or super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        return request.user.has_perm(STAFF_PERMISSION) or super().has_module_permission(request)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("referral__case", "referral__department", "requested_by", "decided_by")
        )

    def get_ordering(self, request):
        # Pending first, newest first within each group.
        waiting = SqlCase(
            When(status=ExtensionRequest.Status.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return [waiting.asc(), "-requested_at", "-id"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().upper()
        if term.startswith("AJ") and "-" in term:
            number = term.rsplit("-", 1)[-1]
            if number.isdigit():
                return queryset.filter(referral__case_id=int(number)), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=gettext_lazy("case"), ordering="referral__case_id")
    def case_link(self, obj):
        url = reverse("admin:casework_case_change", args=[obj.referral.case_id])
        return format_html('<a href="{}" data-case-link>{}</a>', url, obj.referral.case.reference)

    @admin.display(description=gettext_lazy("department"), ordering="referral__department__name")
    def department(self, obj):
        return obj.referral.department

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, obj):
        return format_html(
            '<span class="badge" data-extension-status="{}">{}</span>', obj.status, obj.get_status_display()
        )

    @admin.display(description=gettext_lazy("due date → asked for"))
    def dates(self, obj):
        granted = ""
        if obj.granted_date and obj.granted_date != obj.proposed_date:
            granted = format_html(" ({})", obj.granted_date.isoformat())
        before = obj.due_date_before.isoformat() if obj.due_date_before else "—"
        return format_html(
            '{}<span class="arrow">→</span>{}{}', before, obj.proposed_date.isoformat(), granted
        )

    @admin.display(description=gettext_lazy("referral status"))
    def referral_status(self, obj):
        return obj.referral.get_status_display()

    @admin.display(description=gettext_lazy("current due date"))
    def current_due_date(self, obj):
        due = obj.referral.due_date
        return formats.date_format(due, "DATE_FORMAT") if due else "—"

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def decision(self, obj):
        """Pending: the button to decide. Decided: the status, linking to the record."""
        badge = self.status_badge(obj)
        if obj.status != ExtensionRequest.Status.PENDING:
            url = reverse("admin:casework_extensionrequest_change", args=[obj.pk])
            return format_html('<a href="{}">{}</a>', url, badge)
        url = reverse("admin:casework_extensionrequest_decide", args=[obj.pk])
        return format_html(
            '{} <a class="button" href="{}" data-decide>{}</a>',
            badge,
            url,
            pgettext("extension request", "Decide"),
        )

    @admin.display(description=gettext_lazy("requested at"), ordering="requested_at")
    def requested(self, obj):
        return timezone.localtime(obj.requested_at).strftime("%Y-%m-%d %H:%M")

    def get_urls(self):
        return [
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="casework_extensionrequest_decide",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extension = self.get_object(request, object_id)
        context = {
            "can_decide": extension is not None
            and extension.status == ExtensionRequest.Status.PENDING
            and request.user.has_perm(STAFF_PERMISSION),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def decide_view(self, request, pk: int):
        if not request.user.has_perm(STAFF_PERMISSION):
            raise PermissionDenied
        extension = get_object_or_404(self.get_queryset(request), pk=pk)
        change_url = reverse("admin:casework_extensionrequest_change", args=[extension.pk])
        if extension.status != ExtensionRequest.Status.PENDING:
            self.message_user(request, _("This request has already been decided."), messages.WARNING)
            return redirect(change_url)
        form = ExtensionDecisionForm(request.POST or None, extension=extension)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                extension_decide(
                    extension=extension,
                    approve=data["decision"] == APPROVE,
                    actor=request.user,
                    note=data["decision_note"],
                    granted_date=data["granted_date"],
                )
            except (InvalidTransition, ValidationError) as error:
                form_add_service_error(form, error)
            else:
                extension.refresh_from_db()
                if extension.status == ExtensionRequest.Status.APPROVED:
                    text = _(
                        "Extension approved: %(reference)s is now due %(due)s. The department is told."
                    ) % {
                        "reference": extension.referral.case.reference,
                        "due": extension.granted_date.isoformat(),
                    }
                else:
                    text = _("Extension refused for %(reference)s. The department is told.") % {
                        "reference": extension.referral.case.reference
                    }
                self.message_user(request, text, messages.SUCCESS)
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Decide on the extension request for %(reference)s")
            % {"reference": extension.referral.case.reference},
            "extension": extension,
            "referral": extension.referral,
            "can_extend": extension_can_request(extension.referral),
            "form": form,
            "change_url": change_url,
            "case_url": reverse("admin:casework_case_change", args=[extension.referral.case_id]),
        }
        return TemplateResponse(request, "admin/casework/extensionrequest/decide.html", context)
