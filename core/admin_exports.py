"""The staff member's own exports in the admin: state, progress, when the link expires, and the
download, which checks again that the file is the user's, still valid, and that the user still
holds the export's permission. The list refreshes itself while an export is under way."""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.exports import export_any_permitted, export_job_file, export_kinds
from core.models import ExportJob

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REFRESH_SECONDS = 3


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    change_list_template = "admin/core/exportjob/change_list.html"
    list_display = [
        "export",
        "description",
        "state_shown",
        "progress",
        "created_at",
        "expires_at",
        "download",
    ]
    list_display_links = None
    list_filter = ["state"]
    actions = None

    def get_queryset(self, request):
        # Everyone sees their own exports only, superusers included: a file is its owner's.
        return super().get_queryset(request).filter(owner_id=request.user.pk)

    # Whoever may ask for an export has a list of their exports; nobody sees another's.
    def has_module_permission(self, request):
        return export_any_permitted(request.user)

    def has_view_permission(self, request, obj=None):
        return export_any_permitted(request.user) and (obj is None or obj.owner_id == request.user.pk)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="core_exportjob_download",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        under_way = self.get_queryset(request).filter(
            state__in=[ExportJob.State.QUEUED, ExportJob.State.RUNNING]
        )
        extra_context = {
            **(extra_context or {}),
            "refresh_seconds": REFRESH_SECONDS if under_way.exists() else 0,
            "export_link_hours": settings.EXPORT_LINK_HOURS,
        }
        return super().changelist_view(request, extra_context)

    def download_view(self, request, pk: int):
        try:
            handle, filename = export_job_file(job_id=pk, user=request.user)
        except ExportJob.DoesNotExist:
            raise Http404(gettext("This export does not exist or its link has expired.")) from None
        except PermissionDenied:
            raise
        return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)

    @admin.display(description=_("export"), ordering="kind")
    def export(self, obj: ExportJob) -> str:
        return export_kinds.label(obj.kind)

    @admin.display(description=_("state"), ordering="state")
    def state_shown(self, obj: ExportJob):
        if obj.state == ExportJob.State.FAILED and obj.error:
            return format_html(
                '<span class="badge overdue" data-export-state="{}">{}</span> {}',
                obj.state,
                obj.get_state_display(),
                obj.error,
            )
        return format_html(
            '<span class="badge" data-export-state="{}">{}</span>', obj.state, obj.get_state_display()
        )

    @admin.display(description=_("progress"))
    def progress(self, obj: ExportJob):
        if obj.rows_total is None:
            return format_html("<span data-export-progress>{}</span>", f"{obj.rows_done:,}")
        total = max(obj.rows_total, 1)
        return format_html(
            '<progress max="{}" value="{}"></progress> <span data-export-progress>{} / {}</span>',
            total,
            min(obj.rows_done, total),
            f"{obj.rows_done:,}",
            f"{obj.rows_total:,}",
        )

    @admin.display(description=_("download"))
    def download(self, obj: ExportJob):
        if obj.state != ExportJob.State.DONE or not obj.expires_at or obj.expires_at <= timezone.now():
            return "—"
        return format_html(
            '<a href="{}" data-export-download>{}</a>',
            reverse("admin:core_exportjob_download", args=[obj.pk]),
            obj.filename,
        )
