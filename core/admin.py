"""The staff workplace for the shared mechanisms: the calendar (editable), deadlines (read-only),
the record of access changes (read-only) and API tokens (issued here, shown once)."""

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.validators import MaxValueValidator
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken, get_digest_token
from knox.settings import CONSTANTS as KNOX_CONSTANTS

from core.calendar import (
    calendar_day_delete,
    calendar_day_set,
    calendar_days_delete,
    calendar_warnings,
    calendar_year_set,
)
from core.deadlines import deadline_explain
from core.models import (
    AccessChange,
    CalendarDay,
    CalendarYear,
    Deadline,
    DeadlineChange,
    OutboundEmail,
    PurgeRun,
)
from core.outbox import outbox_retry

CALENDAR_CHANGE_LIST = "admin/core/calendar_change_list.html"

# Django admin's own words that its zh_Hans catalogue leaves in English: the screen-reader
# headers of the model tables on the front page and in the navigation sidebar, the hidden
# "Error:" before each error, two lines of the login and user pages. Named here so that
# makemessages puts them in our catalogue (LOCALE_PATHS is read before Django's own).
DJANGO_ADMIN_WORDS_TRANSLATED_HERE = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("Error:"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop("In case you’ve forgotten, you are:"),
)


class CalendarWarningMixin:
    """Shows on the changelist which years around today have no complete calendar data."""

    change_list_template = CALENDAR_CHANGE_LIST

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "calendar_warnings": calendar_warnings()}
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ["date", "weekday", "is_working_day", "name", "updated_at", "updated_by"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
    search_fields = ["name", "note"]
    ordering = ["date"]
    fields = ["date", "is_working_day", "name", "note", "updated_by", "created_at", "updated_at"]
    list_select_related = ["updated_by"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return date_format(obj.date, "l")

    def get_readonly_fields(self, request, obj=None):
        # A day is moved by deleting it and adding another, so each edit has one clear reason.
        readonly = ["updated_by", "created_at", "updated_at"]
        return ["date", *readonly] if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        saved = calendar_day_set(
            date=obj.date, is_working_day=obj.is_working_day, name=obj.name, note=obj.note, actor=request.user
        )
        obj.pk, obj.updated_by, obj.created_at, obj.updated_at = (
            saved.pk,
            saved.updated_by,
            saved.created_at,
            saved.updated_at,
        )

    def delete_model(self, request, obj):
        calendar_day_delete(day=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        calendar_days_delete(days=queryset, actor=request.user)


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ["year", "complete", "source", "loaded_at"]
    list_filter = ["complete", "source"]
    ordering = ["-year"]
    fields = ["year", "complete", "source", "loaded_at"]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["source", "loaded_at"]
        return ["year", *readonly] if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        saved = calendar_year_set(year=obj.year, complete=obj.complete, actor=request.user)
        obj.pk, obj.source, obj.loaded_at = saved.pk, saved.source, saved.loaded_at

    def has_delete_permission(self, request, obj=None):
        # Untick "complete" instead: deadlines then fall back to weekends and are recomputed.
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their parent as a record: nothing added, changed or deleted there."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DeadlineChangeInline(ReadOnlyInline):
    model = DeadlineChange
    fields = ["changed_at", "old_due_date", "new_due_date", "reason"]
    readonly_fields = fields


@admin.register(Deadline)
class DeadlineAdmin(CalendarWarningMixin, ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "subject_link",
        "start_date",
        "working_days",
        "due_date",
        "status",
        "fallback",
        "round",
        "ladder_step",
    ]
    list_filter = ["kind", "status", "due_date", "fallback"]
    date_hierarchy = "due_date"
    search_fields = ["=object_id", "kind"]
    list_select_related = ["content_type"]
    fields = [
        "kind",
        "content_type",
        "object_id",
        "start_date",
        "working_days",
        "due_date",
        "due_at",
        "explanation",
        "fallback",
        "status",
        "met_at",
        "round",
        "ladder_step",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [DeadlineChangeInline]

    @admin.display(description=pgettext_lazy("what a deadline is for", "subject"))
    def subject_link(self, obj: Deadline) -> str:
        return format_html("{} #{}", obj.content_type.name, obj.object_id)

    @admin.display(description=_("how it was counted"))
    def explanation(self, obj: Deadline) -> str:
        return deadline_explain(obj)


@admin.register(DeadlineChange)
class DeadlineChangeAdmin(ReadOnlyAdmin):
    list_display = ["changed_at", "deadline", "deadline_kind", "old_due_date", "new_due_date", "reason"]
    list_filter = ["deadline__kind", "changed_at", "new_due_date"]
    date_hierarchy = "changed_at"
    search_fields = ["reason"]
    list_select_related = ["deadline"]
    fields = ["deadline", "old_due_date", "new_due_date", "reason", "changed_at"]
    readonly_fields = fields

    @admin.display(description=_("kind"), ordering="deadline__kind")
    def deadline_kind(self, obj: DeadlineChange) -> str:
        return obj.deadline.kind


class SentTwiceFilter(admin.SimpleListFilter):
    """The e-mails whose send was interrupted after the SMTP transaction had started and which
    were therefore sent again (core.outbox): the recipient may have two copies."""

    title = _("delivery")
    parameter_name = "sent_twice"

    def lookups(self, request, model_admin):
        return [("maybe", _("may have been sent twice")), ("no", _("sent at most once"))]

    def queryset(self, request, queryset):
        if self.value() == "maybe":
            return queryset.filter(interrupted_sends__gt=0)
        if self.value() == "no":
            return queryset.filter(interrupted_sends=0)
        return queryset


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """Every e-mail the portal sends, traceable: status, attempts, last error, "send again", and
    whether it may have been sent twice."""

    list_display = [
        "created_at",
        "kind",
        "subject",
        "recipients",
        "status",
        "attempts",
        "sent_twice",
        "sent_at",
        "related",
    ]
    list_filter = ["status", SentTwiceFilter, "kind", "created_at"]
    search_fields = ["subject", "related", "key", "message_id"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "key",
        "kind",
        "to",
        "subject",
        "body_text",
        "body_html",
        "language",
        "related",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
        "created_at",
        "attachment_names",
        "message_id",
        "sent_twice",
        "interrupted_sends",
        "claimed_at",
        "smtp_started_at",
        "lease_expires_at",
    ]
    exclude = ["scrub_after_sending"]
    actions = ["send_again"]
    show_full_result_count = False

    @admin.display(description=_("to"))
    def recipients(self, obj):
        return ", ".join(obj.to) or _("— no address —")

    @admin.display(description=_("may have been sent twice"), boolean=True, ordering="interrupted_sends")
    def sent_twice(self, obj: OutboundEmail) -> bool:
        return obj.may_have_been_sent_twice

    @admin.display(description=_("attachments"))
    def attachment_names(self, obj):
        return ", ".join(obj.attachments.values_list("filename", flat=True)) or "—"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send again"), permissions=["change"])
    def send_again(self, request, queryset):
        for email in queryset:
            outbox_retry(email=email, actor=request.user)
        self.message_user(request, _("%(count)s e-mails queued again.") % {"count": queryset.count()})


# --- Who was given which role or permission ------------------------------------------------


@admin.register(AccessChange)
class AccessChangeAdmin(ReadOnlyAdmin):
    """The record of grants and revocations, for administrators: read-only, by date, filterable
    to the changes that open complainants' identities."""

    list_display = ["at", "action", "kind", "subject_label", "item_label", "identity", "changed_by"]
    list_filter = ["identity", "action", "kind", "at", "group"]
    date_hierarchy = "at"
    search_fields = ["subject", "item", "actor_name"]
    search_help_text = _(
        "Search by user or role, role or permission (e.g. view_complainant_identity), or who changed it."
    )
    list_select_related = ["actor", "group"]
    fields = [
        "at",
        "action",
        "kind",
        "subject",
        "user",
        "group",
        "item",
        "permission",
        "identity",
        "changed_by",
    ]
    readonly_fields = fields

    # A role is stored under its stable key (the group's name); shown as the group reads, which is
    # the role's label in the reader's language.
    @admin.display(description=_("given to"), ordering="subject")
    def subject_label(self, obj: AccessChange) -> str:
        if obj.group_id and obj.kind == AccessChange.Kind.GROUP_PERMISSION:
            return str(obj.group)
        return obj.subject

    @admin.display(description=_("role or permission"), ordering="item")
    def item_label(self, obj: AccessChange) -> str:
        if obj.group_id and obj.kind == AccessChange.Kind.ROLE:
            return str(obj.group)
        return obj.item

    @admin.display(description=_("changed by"), ordering="actor_name")
    def changed_by(self, obj: AccessChange) -> str:
        return obj.actor_name or gettext("system (code, command or migration)")


# --- API tokens (django-rest-knox) ---------------------------------------------------------


class AuthTokenIssueForm(forms.ModelForm):
    """Issue a token for a user (a service system's account, usually). The token itself is made
    here, shown once on the next page, and only its digest is stored."""

    hours = forms.IntegerField(
        label=_("valid for (hours)"),
        min_value=1,
        help_text=_("At most the configured lifetime (API_TOKEN_TTL_HOURS)."),
    )

    class Meta:
        model = AuthToken
        fields = ["user"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hours"].initial = settings.API_TOKEN_TTL_HOURS
        self.fields["hours"].max_value = settings.API_TOKEN_TTL_HOURS
        self.fields["hours"].validators.append(MaxValueValidator(settings.API_TOKEN_TTL_HOURS))
        self.token = ""

    def save(self, commit=True):
        token = super().save(commit=False)
        token.digest, self.token = get_digest_token()
        token.token_key = self.token[: KNOX_CONSTANTS.TOKEN_KEY_LENGTH]
        token.expiry = timezone.now() + dt.timedelta(hours=self.cleaned_data["hours"])
        if commit:
            token.save()
        return token


admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class AuthTokenAdmin(admin.ModelAdmin):
    """API tokens: issued here (or with `manage.py api_token_create`), never edited, deleted to
    revoke. The list shows the first characters of each token, never the token."""

    form = AuthTokenIssueForm
    list_display = ["token_key", "user", "created", "expiry", "expired"]
    list_filter = ["expiry", "created"]
    search_fields = ["user__username", "token_key"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:  # shown, never edited
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["user", "hours"] if obj is None else ["token_key", "user", "created", "expiry"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["token_key", "user", "created", "expiry"]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("expired"), boolean=True)
    def expired(self, obj: AuthToken) -> bool:
        return obj.expiry is not None and obj.expiry <= timezone.now()

    def response_add(self, request, obj, post_url_continue=None):
        form = getattr(request, "_token_form", None)
        return TemplateResponse(
            request,
            "accounts/api_token_created.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("API token issued"),
                "token": form.token if form else "",
                "object": obj,
                "opts": self.opts,
            },
        )

    def save_model(self, request, obj, form, change):
        request._token_form = form
        super().save_model(request, obj, form, change)


# --- Purges of personal data (retention) ----------------------------------------------------


@admin.register(PurgeRun)
class PurgeRunAdmin(ReadOnlyAdmin):
    """What each purge of personal data did (``manage.py purge_personal_data`` and the monthly
    beat job): read-only, counts per kind, never an identity."""

    list_display = ["started_at", "finished_at", "dry_run", "forced", "run_by", "summary"]
    list_filter = ["dry_run", "forced", "started_at"]
    date_hierarchy = "started_at"
    fields = ["started_at", "finished_at", "dry_run", "forced", "run_by", "details"]
    readonly_fields = fields

    @admin.display(description=_("run by"), ordering="actor_name")
    def run_by(self, obj: PurgeRun) -> str:
        if obj.actor_id:
            return obj.actor.get_username()
        return obj.actor_name

    @admin.display(description=_("records per kind"))
    def summary(self, obj: PurgeRun) -> str:
        return ", ".join(f"{kind}: {values.get('records', 0)}" for kind, values in (obj.counts or {}).items())

    @admin.display(description=_("counts per kind"))
    def details(self, obj: PurgeRun) -> str:
        lines = []
        for kind, values in (obj.counts or {}).items():
            parts = ", ".join(f"{key} = {value}" for key, value in values.items())
            lines.append(f"{kind}: {parts}")
        return format_html("<pre>{}</pre>", "\n".join(lines))


# The staff member's own background exports (core.exports).
from core import admin_exports  # noqa: E402, F401
