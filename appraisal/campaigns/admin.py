"""The staff workplace for democratic appraisal campaigns: the questionnaire, the departments,
opening and closing, invitations (from the directory, or enterprises of the registry with the
e-mail staff hold for them) and, once closed, the results with every free text.

Who answered what is shown to nobody: the invitations' list has no "used" column nor filter,
and results appear only once the campaign is closed, so that no one can watch answers arrive
beside the invitations being used."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisal.campaigns.selectors import campaign_participation, campaign_results, staff_free_texts
from appraisal.campaigns.services import (
    Respondent,
    campaign_close,
    campaign_open,
    invitations_issue,
    respondents_from_directory,
)
from appraisal.models import Campaign, Invitation, Question
from core.admin_lists import ChoicesOfSmallTableFilter
from core.forms import PlainErrorsMixin
from liaison.models import Enterprise


class DepartmentFilter(ChoicesOfSmallTableFilter):
    """The department appraised, from the small table of departments."""


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["order", "kind", "text_zh", "text_en"]
    extra = 0

    # The questionnaire is fixed once the campaign is open: answers refer to its questions.
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (
            obj is None or obj.status == Campaign.Status.DRAFT
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or obj.status == Campaign.Status.DRAFT
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.status == Campaign.Status.DRAFT
        )


class EnterpriseInvitationForm(PlainErrorsMixin, forms.Form):
    lines = forms.CharField(
        label=gettext_lazy("Enterprises to invite"),
        widget=forms.Textarea(attrs={"rows": 10, "cols": 70}),
        help_text=gettext_lazy(
            "One per line: the unified social credit code of an enterprise in the registry, then its e-mail, "
            "separated by a space or a comma."
        ),
    )

    def clean_lines(self) -> list[Respondent]:
        rows, problems = [], []
        for number, line in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            parts = [p for p in line.replace("，", ",").replace(",", " ").split() if p]
            if not parts:
                continue
            if len(parts) != 2:
                problems.append(_("Line %(n)s: give a credit code and an e-mail.") % {"n": number})
                continue
            rows.append((number, parts[0].upper(), parts[1]))
        names = dict(
            Enterprise.objects.filter(
                credit_code__in=[code for _, code, _ in rows], is_active=True
            ).values_list("credit_code", "name")
        )
        respondents = []
        for number, code, email in rows:
            if code not in names:
                problems.append(
                    _("Line %(n)s: no active enterprise has the credit code %(code)s.")
                    % {"n": number, "code": code}
                )
                continue
            try:
                validate_email(email)
            except ValidationError:
                problems.append(
                    _("Line %(n)s: %(email)s is not an e-mail address.") % {"n": number, "email": email}
                )
                continue
            respondents.append(Respondent(kind=Invitation.Kind.ENTERPRISE, email=email, name=names[code]))
        if problems:
            raise ValidationError(problems)
        if not respondents:
            raise ValidationError(_("Give at least one enterprise."))
        return respondents


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "title_zh",
        "starts_on",
        "closes_on",
        "status",
        "invited",
        "answered",
        "public_link_enabled",
    ]
    list_filter = ["status", ("departments", DepartmentFilter), "closes_on", "public_link_enabled"]
    search_fields = ["title_zh", "title_en"]
    ordering = ["-starts_on", "-id"]
    date_hierarchy = "starts_on"
    filter_horizontal = ["departments"]
    inlines = [QuestionInline]
    readonly_fields = ["status", "public_link", "participation", "results"]
    fieldsets = [
        (
            None,
            {"fields": ["title_zh", "title_en", "intro_zh", "intro_en", "starts_on", "closes_on", "status"]},
        ),
        (gettext_lazy("Departments appraised"), {"fields": ["departments"]}),
        (
            gettext_lazy("Respondents"),
            {"fields": ["public_link_enabled", "public_link", "reminder_working_days", "participation"]},
        ),
        (gettext_lazy("Results"), {"fields": ["results"]}),
    ]
    actions = [
        "open_campaigns",
        "close_campaigns",
        "invite_liaison_points",
        "invite_supervisors",
        "invite_complainants",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                invited_count=Count("invitations", distinct=True),
                answered_count=Count("invitations", filter=Q(invitations__used=True), distinct=True),
            )
        )

    @admin.display(description=gettext_lazy("invited"), ordering="invited_count")
    def invited(self, obj):
        return obj.invited_count

    @admin.display(description=gettext_lazy("answered"), ordering="answered_count")
    def answered(self, obj):
        return obj.answered_count

    @admin.display(description=gettext_lazy("public link"))
    def public_link(self, obj):
        if not obj.pk or not obj.public_link_enabled:
            return "—"
        url = reverse("appraisal:public_answer", kwargs={"key": obj.public_key})
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.display(description=gettext_lazy("participation"))
    def participation(self, obj):
        if not obj.pk:
            return "—"
        counts = campaign_participation(campaign=obj)
        return (
            _("%(invited)s invited, %(answered)s answered (which of them answered is recorded nowhere)")
            % counts
        )

    @admin.display(description=gettext_lazy("results"))
    def results(self, obj):
        if not obj.pk or obj.status != Campaign.Status.CLOSED:
            return _("Results are shown once the campaign is closed.")
        rows = [
            (result, staff_free_texts(campaign=obj, department_id=result.department_id))
            for result in campaign_results(campaign=obj)
        ]
        # An autoescaped template: every answer's text is escaped.
        return render_to_string("appraisal/campaign/admin_results.html", {"rows": rows})

    def _each(self, request, queryset, service, done: str):
        count = 0
        for campaign in queryset:
            try:
                service(campaign=campaign, actor=request.user)
            except ValidationError as error:
                self.message_user(request, f"{campaign}: {' '.join(error.messages)}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Open the selected campaigns"), permissions=["change"])
    def open_campaigns(self, request, queryset):
        self._each(request, queryset, campaign_open, _("%(count)s campaign(s) opened."))

    @admin.action(description=gettext_lazy("Close the selected campaigns now"), permissions=["change"])
    def close_campaigns(self, request, queryset):
        self._each(request, queryset, campaign_close, _("%(count)s campaign(s) closed."))

    def _invite(self, request, queryset, kind: str):
        respondents = respondents_from_directory(kinds=[kind])
        for campaign in queryset:
            try:
                count = invitations_issue(campaign=campaign, respondents=respondents, actor=request.user)
            except ValidationError as error:
                self.message_user(request, f"{campaign}: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(campaign)s: %(count)s invitation(s) queued for e-mail.")
                    % {"campaign": campaign, "count": count},
                    messages.SUCCESS,
                )

    @admin.action(description=gettext_lazy("Invite the liaison points"), permissions=["invite"])
    def invite_liaison_points(self, request, queryset):
        self._invite(request, queryset, Invitation.Kind.LIAISON_POINT)

    @admin.action(description=gettext_lazy("Invite the supervisors"), permissions=["invite"])
    def invite_supervisors(self, request, queryset):
        self._invite(request, queryset, Invitation.Kind.SUPERVISOR)

    @admin.action(
        description=gettext_lazy("Invite the complainants of closed cases who agreed"), permissions=["invite"]
    )
    def invite_complainants(self, request, queryset):
        self._invite(request, queryset, Invitation.Kind.COMPLAINANT)

    def has_invite_permission(self, request) -> bool:
        return request.user.has_perm("appraisal.add_invitation")

    def get_urls(self):
        return [
            path(
                "<int:pk>/invite-enterprises/",
                self.admin_site.admin_view(self.invite_enterprises_view),
                name="appraisal_campaign_invite_enterprises",
            ),
            *super().get_urls(),
        ]

    def invite_enterprises_view(self, request, pk: int):
        """Invite enterprises of the registry: credit code and e-mail, one per line."""
        if not self.has_invite_permission(request):
            raise PermissionDenied
        campaign = get_object_or_404(Campaign, pk=pk)
        form = EnterpriseInvitationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                count = invitations_issue(
                    campaign=campaign, respondents=form.cleaned_data["lines"], actor=request.user
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(
                    request,
                    _("%(count)s invitation(s) queued for e-mail.") % {"count": count},
                    messages.SUCCESS,
                )
                return redirect("admin:appraisal_campaign_change", campaign.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "campaign": campaign,
            "form": form,
            "title": _("Invite enterprises"),
        }
        return TemplateResponse(request, "appraisal/campaign/admin_invite_enterprises.html", context)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Who was invited, and when; never whether nor when each one answered."""

    list_display = ["email", "name", "kind", "campaign", "invited_on"]
    list_filter = ["kind", "invited_on"]
    search_fields = ["email", "name"]
    ordering = ["campaign", "kind", "email"]
    list_select_related = ["campaign"]
    fields = ["campaign", "kind", "name", "email", "language", "invited_on"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # through the campaign's actions, which send the e-mail

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
