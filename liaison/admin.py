"""The directory in the staff workplace: departments, offices, liaison points and supervisors,
the liaison log, and imports of departments and liaison points from Excel with their record."""

import datetime
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.forms import PlainErrorsMixin
from liaison.imports import (
    DEPARTMENTS,
    LIAISON_POINTS,
    MAX_FILE_SIZE,
    MAX_ROWS,
    directory_columns,
    directory_import,
    directory_spec,
    directory_template,
)
from liaison.models import Department, DirectoryImport, LiaisonPoint, LiaisonVisit, Office, Supervisor
from liaison.selectors import ACTIVITY_WINDOW_DAYS, appointment_list_with_activity
from liaison.services import liaison_visit_record, liaison_visit_update

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class HasEmailFilter(admin.SimpleListFilter):
    title = gettext_lazy("referral e-mail")
    parameter_name = "has_email"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Has an e-mail address")), ("no", gettext_lazy("No e-mail address"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(email="")
        if self.value() == "no":
            return queryset.filter(email="")
        return queryset


# --- Imports from Excel -------------------------------------------------------------------


class DirectoryImportForm(PlainErrorsMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Workbook (.xlsx)"),
        help_text=gettext_lazy("At most 5 MB and 5,000 rows; the first worksheet is read."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX_CONTENT_TYPE}),
    )
    check_only = forms.BooleanField(
        label=gettext_lazy("Check only: show what would change and save nothing"), required=False
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Refused before it is read; the content itself is checked by the import service.
        if upload.size > MAX_FILE_SIZE:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": MAX_FILE_SIZE // 2**20}
            )
        return upload


class DirectoryImportMixin:
    """An "Import from Excel" button on the changelist, an upload page that documents the
    columns and shows every error, and the blank template to download."""

    import_kind: str
    change_list_template = "admin/liaison/change_list_import.html"

    def _url_name(self, suffix: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{suffix}"

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name=self._url_name("import")),
            path(
                "import/template/",
                self.admin_site.admin_view(self.import_template_view),
                name=self._url_name("import_template"),
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request) -> bool:
        # An import both creates and updates rows.
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra = {"has_import_permission": self.has_import_permission(request)}
        if extra["has_import_permission"]:
            extra["import_url"] = reverse(f"admin:{self._url_name('import')}")
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = DirectoryImportForm(request.POST or None, request.FILES or None)
        changelist_url = reverse(f"admin:{self._url_name('changelist')}")
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            result = directory_import(
                kind=self.import_kind,
                content=upload.read(),
                actor=request.user,
                dry_run=form.cleaned_data["check_only"],
                file_name=upload.name,
                source=DirectoryImport.Source.WORKPLACE,
            )
            if result.ok and not result.dry_run:
                self.message_user(request, result.summary(), messages.SUCCESS)
                return redirect(changelist_url)
            if result.ok:
                self.message_user(request, result.summary(), messages.INFO)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import %(things)s from Excel") % {"things": self.opts.verbose_name_plural},
            "form": form,
            "result": result,
            "file_errors": [e for e in result.errors if e.row is None] if result else [],
            "row_errors": [e for e in result.errors if e.row is not None] if result else [],
            "columns": directory_columns(self.import_kind),
            "key_header": directory_spec(self.import_kind).key_column.header,
            "template_url": reverse(f"admin:{self._url_name('import_template')}"),
            "changelist_url": changelist_url,
            "max_rows": MAX_ROWS,
            "max_size_mb": MAX_FILE_SIZE // 2**20,
        }
        return TemplateResponse(request, "admin/liaison/import.html", context)

    def import_template_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        response = HttpResponse(directory_template(self.import_kind), content_type=XLSX_CONTENT_TYPE)
        filename = f"{self.import_kind.replace('_', '-')}-template.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


@admin.register(DirectoryImport)
class DirectoryImportAdmin(ReadOnlyAdmin):
    """The record of imports, written by the import itself: read-only."""

    list_display = [
        "imported_at",
        "kind",
        "file_name",
        "source",
        "imported_by",
        "system_user",
        "rows",
        "created",
        "updated",
        "unchanged",
    ]
    list_filter = ["kind", "source", "imported_at"]
    search_fields = ["file_name", "imported_by__username", "system_user"]
    list_select_related = ["imported_by"]
    date_hierarchy = "imported_at"


# --- The liaison log ----------------------------------------------------------------------


class LiaisonVisitInline(ReadOnlyInline):
    """The log entries of one point or supervisor, read-only, newest first, with a link to add."""

    model = LiaisonVisit
    template = "admin/liaison/visit_inline.html"
    fields = ["visited_on", "kind", "summary", "issues_raised", "recorded_by"]
    readonly_fields = fields
    show_change_link = True
    subject_field: str  # the add link pre-selects this field

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


class PointVisitInline(LiaisonVisitInline):
    fk_name = "point"
    subject_field = "point"


class SupervisorVisitInline(LiaisonVisitInline):
    fk_name = "supervisor"
    subject_field = "supervisor"


class ActivityColumnMixin:
    """The "activity" column: log entries of the last 90 days, counted in the page's own query."""

    activity_filter: str  # the LiaisonVisit changelist parameter that selects this subject

    def get_queryset(self, request):
        return appointment_list_with_activity(super().get_queryset(request))

    def get_inline_instances(self, request, obj=None):
        # Nothing to list before the point or supervisor exists.
        return super().get_inline_instances(request, obj) if obj is not None else []

    @admin.display(
        description=gettext_lazy("activity (90 days)"),
        ordering="recent_activity",
    )
    def activity(self, obj):
        count = obj.recent_activity
        if not count:
            return 0
        since = timezone.localdate() - datetime.timedelta(days=ACTIVITY_WINDOW_DAYS - 1)
        query = urlencode({self.activity_filter: obj.pk, "visited_on__gte": since.isoformat()})
        return format_html(
            '<a href="{}?{}">{}</a>', reverse("admin:liaison_liaisonvisit_changelist"), query, count
        )


class LiaisonVisitForm(PlainErrorsMixin, forms.ModelForm):
    class Meta:
        model = LiaisonVisit
        fields = ["point", "supervisor", "visited_on", "kind", "summary", "issues_raised"]


@admin.register(LiaisonVisit)
class LiaisonVisitAdmin(admin.ModelAdmin):
    form = LiaisonVisitForm
    list_display = ["visited_on", "kind", "subject", "summary_short", "issues_short", "recorded_by"]
    list_filter = ["kind", "point", "supervisor"]
    date_hierarchy = "visited_on"
    search_fields = [
        "summary",
        "issues_raised",
        "point__enterprise_name",
        "point__contact_name",
        "supervisor__name",
        "supervisor__enterprise_name",
    ]
    list_select_related = ["point", "supervisor", "recorded_by"]
    autocomplete_fields = ["point", "supervisor"]
    readonly_fields = ["recorded_by", "created_at"]
    fieldsets = [
        (
            None,
            {
                "fields": ["point", "supervisor"],
                "description": gettext_lazy("Choose either a liaison point or a supervisor."),
            },
        ),
        (None, {"fields": ["visited_on", "kind", "summary", "issues_raised"]}),
        (gettext_lazy("Record"), {"fields": ["recorded_by", "created_at"]}),
    ]

    @admin.display(description=gettext_lazy("liaison point or supervisor"))
    def subject(self, obj):
        return obj.point or obj.supervisor

    @admin.display(description=gettext_lazy("summary"))
    def summary_short(self, obj):
        return Truncator(obj.summary).chars(80)

    @admin.display(description=gettext_lazy("issues raised"))
    def issues_short(self, obj):
        return Truncator(obj.issues_raised).chars(80)

    def save_model(self, request, obj, form, change):
        """Through the services: the same rules as anywhere else, and who recorded it."""
        data = {name: form.cleaned_data.get(name) for name in LiaisonVisitForm.Meta.fields}
        data["issues_raised"] = data["issues_raised"] or ""
        if change:
            liaison_visit_update(visit=obj, actor=request.user, **data)
            return
        visit = liaison_visit_record(actor=request.user, **data)
        # The admin goes on with `obj` (change message, redirect): make it the saved row.
        obj.pk, obj.recorded_by, obj.created_at = visit.pk, visit.recorded_by, visit.created_at
        obj._state.adding = False


# --- The directory ------------------------------------------------------------------------


class DirectoryForm(PlainErrorsMixin, forms.ModelForm):
    """The directory's edit forms: errors that name the field in plain words."""


@admin.register(Department)
class DepartmentAdmin(DirectoryImportMixin, admin.ModelAdmin):
    form = DirectoryForm
    import_kind = DEPARTMENTS
    list_display = ["name", "short_name", "system", "is_key", "email", "head_name", "is_active"]
    list_filter = ["system", "is_key", "is_active", HasEmailFilter]
    search_fields = ["name", "short_name", "email", "head_name"]
    filter_horizontal = ["members"]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "system", "is_key", "is_active"]}),
        (
            gettext_lazy("Contacts"),
            {
                "fields": [
                    "email",
                    "phone",
                    "head_name",
                    "head_email",
                    "supervising_leader",
                    "supervising_leader_email",
                    "language",
                ]
            },
        ),
        (gettext_lazy("Portal"), {"fields": ["members"]}),
    ]


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    form = DirectoryForm
    list_display = ["name", "head", "email", "hosts_leading_group"]
    search_fields = ["name"]
    autocomplete_fields = ["head"]
    filter_horizontal = ["members"]
    list_select_related = ["head"]


@admin.register(LiaisonPoint)
class LiaisonPointAdmin(DirectoryImportMixin, ActivityColumnMixin, admin.ModelAdmin):
    form = DirectoryForm
    import_kind = LIAISON_POINTS
    activity_filter = "point__id__exact"
    list_display = [
        "enterprise_name",
        "sector",
        "contact_name",
        "phone",
        "appointed_on",
        "status",
        "activity",
    ]
    list_filter = ["status", "sector"]
    search_fields = ["enterprise_name", "contact_name", "phone", "address"]
    date_hierarchy = "appointed_on"
    autocomplete_fields = ["user"]
    inlines = [PointVisitInline]


@admin.register(Supervisor)
class SupervisorAdmin(ActivityColumnMixin, admin.ModelAdmin):
    form = DirectoryForm
    activity_filter = "supervisor__id__exact"
    list_display = [
        "name",
        "enterprise_name",
        "position",
        "phone",
        "appointed_on",
        "term_ends_on",
        "status",
        "activity",
    ]
    list_filter = ["status"]
    search_fields = ["name", "enterprise_name", "phone"]
    date_hierarchy = "appointed_on"
    autocomplete_fields = ["user"]
    inlines = [SupervisorVisitInline]


from liaison import (  # noqa: E402
    admin_associations,  # noqa: F401 - associations, their fee schedules, the leading group
    admin_enterprises,  # noqa: F401 - the enterprise registry
)
