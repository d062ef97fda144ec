"""The staff workplace of the complaint notification system (投诉通报).

A run is added by naming its period (the service prepares it); its page is the preview of
exactly what each department will receive — the e-mail as rendered in the department's
language and the workbook's rows — with the texts editable while the run is a draft, and
the Approve and Send buttons. Replies show on the same page and in the reports list.
Permissions: add/change/view notification run, and ``reports.approve_notificationrun`` to
approve and send.
"""

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.decorators import csp
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin

from core.admin import ReadOnlyAdmin
from core.errors import InvalidTransition, error_messages
from core.export_requests import export_start
from core.periods import MONTH, QUARTER
from reports.models import (
    NotificationItem,
    NotificationReport,
    NotificationRun,
)
from reports.notifications import services
from reports.notifications.exports import NOTIFICATION_RUN_EXPORT
from reports.notifications.forms import PeriodForm
from reports.notifications.selectors import (
    can_see_notification_runs,
    notification_report_staff_list,
    notification_run_list,
)

APPROVE_PERMISSION = "reports.approve_notificationrun"

# The policy of a notification e-mail shown in the preview's sandboxed frame: the e-mail's own
# inline styles (mail clients need them), images from us or data: URIs, and nothing else — no
# script, no form, no plugin, no base, framed only by our own pages.
EMAIL_FRAME_POLICY = {
    "default-src": [NONE],
    "style-src": [UNSAFE_INLINE],
    "img-src": [SELF, "data:"],
    "base-uri": [NONE],
    "form-action": [NONE],
    "frame-ancestors": [SELF],
    "sandbox": True,
}


class PeriodKindFilter(admin.SimpleListFilter):
    title = gettext_lazy("period")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(MONTH, gettext_lazy("Months")), (QUARTER, gettext_lazy("Quarters"))]

    def queryset(self, request, queryset):
        if self.value() == MONTH:
            return queryset.filter(period__contains="-")
        if self.value() == QUARTER:
            return queryset.filter(period__contains="Q")
        return queryset


@admin.register(NotificationRun)
class NotificationRunAdmin(admin.ModelAdmin):
    list_display = [
        "period",
        "period_start",
        "period_end",
        "status",
        "departments",
        "complaints",
        "replies",
        "created_by",
        "approved_by",
        "sent_at",
    ]
    list_filter = ["status", PeriodKindFilter]
    date_hierarchy = "period_start"
    search_fields = ["period", "reports__department__name", "reports__department__short_name"]
    search_help_text = gettext_lazy("Search by period (2026-10, 2026Q3) or by department.")
    ordering = ["-period_start", "-id"]
    actions = None
    preview_template = "admin/reports/notificationrun/preview.html"
    add_template = "admin/reports/notificationrun/add.html"

    def get_queryset(self, request):
        return notification_run_list(viewer=request.user)

    # --- Permissions -------------------------------------------------------------------

    def has_view_permission(self, request, obj=None):
        return can_see_notification_runs(request.user)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.status == NotificationRun.Status.DRAFT)

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm(APPROVE_PERMISSION)

    # --- List columns ------------------------------------------------------------------

    @admin.display(description=gettext_lazy("departments"), ordering="department_count")
    def departments(self, obj):
        return obj.department_count

    @admin.display(description=gettext_lazy("complaints"), ordering="complaint_total")
    def complaints(self, obj):
        return obj.complaint_total or 0

    @admin.display(description=gettext_lazy("replies"))
    def replies(self, obj):
        if obj.status != NotificationRun.Status.SENT:
            return "—"
        return f"{obj.replied_count} / {obj.department_count}"

    # --- Add: ask for the period, prepare ------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PeriodForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            period = form.cleaned_data["period"]
            existed = NotificationRun.objects.filter(period=period).exists()
            try:
                run = services.notification_run_prepare(period=period, actor=request.user)
            except (ValidationError, InvalidTransition) as error:
                form.add_error("period", error_messages(error))
            else:
                if existed:
                    self.message_user(
                        request,
                        _("Notification %(period)s was already prepared; here it is.")
                        % {"period": run.period},
                        messages.WARNING,
                    )
                else:
                    self.message_user(
                        request,
                        _("Notification %(period)s prepared. Check what each department will receive.")
                        % {"period": run.period},
                        messages.SUCCESS,
                    )
                return HttpResponseRedirect(reverse("admin:reports_notificationrun_change", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": _("Prepare a complaint notification"),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.add_template, context)

    # --- The preview ---------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        if run is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, run):
            raise PermissionDenied
        return TemplateResponse(request, self.preview_template, self._preview_context(request, run))

    def _preview_context(self, request, run: NotificationRun) -> dict:
        draft = run.status == NotificationRun.Status.DRAFT
        grouped = services.items_by_report(run, with_identity=True)
        # One calendar read for the whole page: every unsent report would be due the same day.
        unsent_deadline = services.reply_deadline_preview(timezone.localdate())
        blocked = False
        sections = []
        for report in run.reports.select_related("department", "run", "deadline", "replied_by").order_by(
            "department__name", "pk"
        ):
            items = grouped[report.pk]
            for item in items:
                # Labels only ("the complainant's phone number"): the preview never repeats a value.
                item.identity_found = services.item_identity_findings(item)
                blocked = blocked or bool(item.identity_found)
            rendered = services.notification_report_render(
                report=report,
                items=items,
                deadline=report.deadline if report.deadline_id else unsent_deadline,
            )
            sections.append({"report": report, "items": items, "rendered": rendered})
        unassigned = NotificationItem.objects.filter(run=run, report__isnull=True).order_by(
            "received_at", "pk"
        )
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": run,
            "run": run,
            "title": str(run),
            "sections": sections,
            "unassigned": unassigned,
            "blocked": blocked,
            "can_edit": draft and self.has_change_permission(request, run),
            "can_approve": draft and self.has_approve_permission(request),
            "can_send": run.status == NotificationRun.Status.APPROVED
            and self.has_approve_permission(request),
            "can_delete": self.has_delete_permission(request, run),
            "can_see_complaints": request.user.has_perm("complaints.view_complaint"),
            "draft": draft,
            "has_view_permission": True,
        }

    # --- Buttons: save texts, approve, send ----------------------------------------------

    def get_urls(self):
        return [
            path(
                "<int:pk>/texts/",
                self.admin_site.admin_view(self.texts_view),
                name="reports_notificationrun_texts",
            ),
            path(
                "<int:pk>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="reports_notificationrun_approve",
            ),
            path(
                "<int:pk>/send/",
                self.admin_site.admin_view(self.send_view),
                name="reports_notificationrun_send",
            ),
            path(
                "<int:pk>/export/",
                self.admin_site.admin_view(self.export_view),
                name="reports_notificationrun_export",
            ),
            path(
                "<int:pk>/email/<int:report_pk>/",
                self.admin_site.admin_view(self.email_view),
                name="reports_notificationrun_email",
            ),
            *super().get_urls(),
        ]

    @method_decorator(csp(EMAIL_FRAME_POLICY))
    @method_decorator(xframe_options_sameorigin)
    def email_view(self, request, pk: int, report_pk: int):
        """One department's e-mail as HTML, for the preview's frame, exactly as a mail client
        receives it (inline styles and all).

        A document of its own rather than the page's ``srcdoc``: a frame's srcdoc inherits the
        page's policy, which refuses the e-mail's inline styles, and pasting a whole document
        into an attribute is one missed escape away from running it in the page. This response
        gets a policy of its own instead: no script of any kind, a sandbox, framed only by our
        own pages.
        """
        run = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_or_change_permission(request, run):
            raise PermissionDenied
        report = get_object_or_404(run.reports.select_related("department", "run", "deadline"), pk=report_pk)
        rendered = services.notification_report_render(
            report=report,
            items=list(services.released_items(run).filter(report=report)),
            deadline=report.deadline if report.deadline_id else None,
        )
        return HttpResponse(rendered.html, content_type="text/html; charset=utf-8")

    def _run_for_post(self, request, pk: int) -> NotificationRun:
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def _back(self, run: NotificationRun) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:reports_notificationrun_change", args=[run.pk]))

    def texts_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        run = self._run_for_post(request, pk)
        if not self.has_change_permission(request, run):
            raise PermissionDenied
        changed, errors = 0, []
        for item in NotificationItem.objects.filter(run=run, report__isnull=False).select_related("run"):
            text = request.POST.get(f"text-{item.pk}")
            if text is None or text.strip() == item.text:
                continue
            try:
                services.notification_item_edit(item=item, text=text, actor=request.user)
            except (ValidationError, InvalidTransition) as error:
                errors.extend(error_messages(error))
            else:
                changed += 1
        for message in errors:
            self.message_user(request, message, messages.ERROR)
        self.message_user(request, _("%(count)s texts saved.") % {"count": changed}, messages.SUCCESS)
        return self._back(run)

    def export_view(self, request, pk: int):
        """The run as one workbook, written in the background (core.exports)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        run = self._run_for_post(request, pk)
        return export_start(
            request, kind=NOTIFICATION_RUN_EXPORT, filters={"run": run.pk}, description=run.period
        )

    def approve_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        run = self._run_for_post(request, pk)
        if not self.has_approve_permission(request):
            raise PermissionDenied
        try:
            services.notification_run_approve(run=run, actor=request.user)
        except (ValidationError, InvalidTransition) as error:
            for message in error_messages(error):
                self.message_user(request, message, messages.ERROR)
        else:
            self.message_user(
                request,
                _("Notification %(period)s approved. It can now be sent.") % {"period": run.period},
                messages.SUCCESS,
            )
        return self._back(run)

    def send_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        run = self._run_for_post(request, pk)
        if not self.has_approve_permission(request):
            raise PermissionDenied
        try:
            run = services.notification_run_send(run=run, actor=request.user)
        except (ValidationError, InvalidTransition) as error:
            for message in error_messages(error):
                self.message_user(request, message, messages.ERROR)
        else:
            count = run.reports.count()
            self.message_user(
                request,
                _("Notification %(period)s sent: %(count)s e-mails queued.")
                % {"period": run.period, "count": count},
                messages.SUCCESS,
            )
        return self._back(run)

    def get_deleted_objects(self, objs, request):
        # A draft's reports and items go with it; they have no delete permission of their own.
        to_delete, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return to_delete, model_count, set(), protected

    def delete_model(self, request, obj):
        services.notification_run_discard(run=obj, actor=request.user)


@admin.register(NotificationReport)
class NotificationReportAdmin(ReadOnlyAdmin):
    """Each department's report and its reply, for following up the replies."""

    list_display = ["run_link", "department", "complaint_count", "status", "due_badge", "replied_at"]
    list_filter = ["status", ("run", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["department__name", "department__short_name", "run__period"]
    ordering = ["-run__period_start", "department__name"]
    actions = None
    fields = [
        "run",
        "department",
        "complaint_count",
        "counts_by_category",
        "status",
        "sent_at",
        "due_date",
        "reply",
        "replied_at",
        "replied_by",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return notification_report_staff_list(viewer=request.user)

    def has_view_permission(self, request, obj=None):
        return can_see_notification_runs(request.user)

    @admin.display(description=gettext_lazy("run"), ordering="run__period_start")
    def run_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:reports_notificationrun_change", args=[obj.run_id]),
            obj.run.period,
        )

    @admin.display(description=gettext_lazy("reply due"), ordering="due_date")
    def due_badge(self, obj):
        if obj.due_date is None:
            return "—"
        if obj.is_awaiting_reply and obj.due_date < timezone.localdate():
            return format_html(
                '<span class="badge overdue" title="{}">⚠ {}</span>', _("Overdue"), obj.due_date
            )
        return format_html('<span class="badge">{}</span>', obj.due_date)
