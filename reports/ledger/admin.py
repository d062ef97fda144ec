"""The staff workplace of the work ledger (工作台帐) and the quarterly dispatch meetings (调度会):
every change through ``reports.ledger.services``."""

import datetime as dt

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from casework.admin import OverdueFilter
from core.admin import ReadOnlyInline
from core.errors import InvalidTransition, error_messages
from core.export_requests import changelist_query, export_start
from core.ladder import step_label
from core.models import Deadline
from core.periods import period_parse
from liaison.leading_group import leading_group_pack_recipients
from reports.ledger.exports import LEDGER_EXPORT
from reports.ledger.forms import (
    ActionItemForm,
    DispatchMeetingForm,
    LedgerProgressForm,
    LedgerStatusForm,
    LedgerTaskForm,
    MinutesForm,
    RescheduleForm,
    SendPackForm,
)
from reports.ledger.pack import OVERDUE_CASES_SHOWN, DispatchPack
from reports.ledger.pack_services import dispatch_pack_send
from reports.ledger.selectors import (
    can_see_meetings,
    dispatch_meeting_list,
    ledger_task_list,
)
from reports.ledger.services import (
    dispatch_action_item_add,
    dispatch_meeting_reschedule,
    dispatch_meeting_schedule,
    dispatch_minutes_record,
    ledger_progress_add,
    ledger_task_create,
    ledger_task_edit,
    ledger_task_update_status,
)
from reports.ledger.workbooks import PackWorkbook
from reports.models import (
    LEDGER_PREFIX,
    ActionItem,
    DispatchMeeting,
    LedgerProgress,
    LedgerTask,
)
from reports.xlsx import XLSX_CONTENT_TYPE

# --- The work ledger (工作台帐) ------------------------------------------------------------------
#
# Every change goes through reports.ledger's services: a task is added on a form page (the
# service creates its deadline), edited on its change page (a new due date replaces the
# deadline), moved with the "Change status" button or the list's actions, and progress is
# appended in the inline, whose old notes are read-only. Tasks are cancelled, never deleted.
# Permissions: add/change/view ledger task; add/view progress note.

T = LedgerTask.Status
M = DispatchMeeting.Status


class LedgerProgressInline(admin.TabularInline):
    """New notes only: a note once recorded is part of the record (append-only)."""

    model = LedgerProgress
    form = LedgerProgressForm
    fields = ["noted_on", "percent", "note", "author", "created_at"]
    readonly_fields = ["author", "created_at"]
    extra = 1
    can_delete = False
    ordering = ["noted_on", "id"]
    verbose_name = gettext_lazy("progress note")
    verbose_name_plural = gettext_lazy("progress (add a new note; earlier notes cannot be changed)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return obj is not None and obj.is_open and super().has_add_permission(request, obj)


class DueFilter(admin.SimpleListFilter):
    title = gettext_lazy("due")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [
            ("past", gettext_lazy("Before today")),
            ("30", gettext_lazy("In the next 30 days")),
            ("quarter", gettext_lazy("This quarter")),
            ("year", pgettext_lazy("due-date filter", "This year")),
            ("later", gettext_lazy("After this year")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "past":
            return queryset.filter(due_date__lt=today)
        if self.value() == "30":
            return queryset.filter(due_date__gte=today, due_date__lte=today + dt.timedelta(days=30))
        if self.value() == "quarter":
            first_month = 3 * ((today.month - 1) // 3) + 1
            period = period_parse(f"{today.year}Q{(first_month - 1) // 3 + 1}")
            return queryset.filter(due_date__range=(period.first_day, period.last_day))
        if self.value() == "year":
            return queryset.filter(due_date__year=today.year)
        if self.value() == "later":
            return queryset.filter(due_date__year__gt=today.year)
        return queryset


def _xlsx_response(file, filename: str) -> FileResponse:
    return FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


class SmallFormPageMixin:
    """The small forms behind the ledger's and the meetings' buttons share one page."""

    form_template = "admin/reports/ledger_form.html"

    def _form_page(self, request, *, form, title: str, back: str, obj=None, help_text: str = ""):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": title,
            "object": obj,
            "back_url": back,
            "help_text": help_text,
        }
        return TemplateResponse(request, self.form_template, context)


@admin.register(LedgerTask)
class LedgerTaskAdmin(SmallFormPageMixin, admin.ModelAdmin):
    form = LedgerTaskForm
    list_display = [
        "reference",
        "title",
        "office",
        "responsible",
        "due_badge",
        "status",
        "percent_done",
        "escalation",
        "source",
    ]
    list_display_links = ["reference", "title"]
    list_filter = ["status", "office", "source", OverdueFilter, DueFilter]
    date_hierarchy = "due_date"
    search_fields = [
        "title",
        "goal",
        "office__name",
        "responsible__username",
        "responsible__first_name",
        "responsible__last_name",
    ]
    search_help_text = gettext_lazy("Search by reference (TZ2026-000012), title, goal, office or person.")
    ordering = ["due_date", "id"]
    inlines = [LedgerProgressInline]
    actions = ["mark_in_progress", "mark_done", "export_selected"]
    change_list_template = "admin/reports/ledgertask/change_list.html"
    change_form_template = "admin/reports/ledgertask/change_form.html"

    def get_queryset(self, request):
        return ledger_task_list(viewer=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # cancelled, never deleted: the ledger keeps what was promised

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().upper()
        if term.startswith(LEDGER_PREFIX) and "-" in term:
            number = term.rsplit("-", 1)[1]
            if number.isdigit():
                return queryset.filter(pk=int(number)), False
        return super().get_search_results(request, queryset, search_term)

    def get_fields(self, request, obj=None):
        if obj is None:
            return LedgerTaskForm.Meta.fields
        return [
            "reference",
            "title",
            "goal",
            "source",
            "measure_number",
            "action_item_link",
            "office",
            "responsible",
            "due_date",
            "deadline_state",
            "status",
            "created_by",
            "created_at",
            "done_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        fixed = [
            "reference",
            "source",
            "measure_number",
            "action_item_link",
            "deadline_state",
            "status",
            "created_by",
            "created_at",
            "done_at",
        ]
        if obj is not None and not obj.is_open:
            return [*fixed, "title", "goal", "office", "responsible", "due_date"]
        return fixed

    # --- Columns and read-only fields -------------------------------------------------------

    @admin.display(description=gettext_lazy("reference"), ordering="pk")
    def reference(self, obj):
        return obj.reference

    @admin.display(description=gettext_lazy("due date"), ordering="due_date")
    def due_badge(self, obj):
        if getattr(obj, "overdue", False):
            return format_html(
                '<span class="badge overdue" title="{}" data-overdue>⚠ {}</span>', _("Overdue"), obj.due_date
            )
        return format_html('<span class="badge">{}</span>', obj.due_date)

    @admin.display(description=gettext_lazy("percent done"), ordering="latest_percent")
    def percent_done(self, obj):
        percent = getattr(obj, "latest_percent", None)
        return "—" if percent is None else f"{percent}%"

    @admin.display(description=gettext_lazy("escalation"))
    def escalation(self, obj):
        deadline = obj.deadline
        if deadline is None or not deadline.ladder_step or deadline.status != Deadline.Status.OPEN:
            return "—"
        return step_label(deadline.ladder_step)

    @admin.display(description=gettext_lazy("dispatch meeting"))
    def action_item_link(self, obj):
        item = ActionItem.objects.filter(ledger_task=obj).select_related("meeting").first()
        if item is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:reports_dispatchmeeting_change", args=[item.meeting_id]),
            item.meeting,
        )

    @admin.display(description=gettext_lazy("deadline"))
    def deadline_state(self, obj):
        deadline = obj.deadline
        if deadline is None:
            if obj.is_open:
                return _(
                    "No deadline yet: the task gets one, and joins the escalation ladder, "
                    "once an office is assigned."
                )
            return "—"
        parts = [
            _("Due at the end of %(date)s (Asia/Shanghai); deadline %(status)s.")
            % {"date": deadline.due_date.isoformat(), "status": deadline.get_status_display()}
        ]
        if deadline.skipped:
            parts.append(
                _("Moved off a rest day to the next working day (%(days)s).")
                % {"days": ", ".join(item["date"] for item in deadline.skipped)}
            )
        if deadline.ladder_step:
            parts.append(_("Escalation: %(step)s.") % {"step": step_label(deadline.ladder_step)})
        return " ".join(parts)

    # --- Add: the service creates the task and its deadline ------------------------------------

    def _report_due_date(self, request, asked: dt.date, task: LedgerTask) -> None:
        if task.due_date != asked:
            self.message_user(
                request,
                _("%(asked)s is not a working day: the task is due on the next working day, %(due)s.")
                % {"asked": asked.isoformat(), "due": task.due_date.isoformat()},
                messages.WARNING,
            )

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = LedgerTaskForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                task = ledger_task_create(
                    title=data["title"],
                    goal=data["goal"],
                    source=data["source"],
                    measure_number=data["measure_number"],
                    office=data["office"],
                    responsible=data["responsible"],
                    due_date=data["due_date"],
                    actor=request.user,
                )
            except (ValidationError, InvalidTransition) as error:
                form.add_error(None, error_messages(error))
            else:
                self.message_user(
                    request,
                    _("Ledger task %(reference)s added.") % {"reference": task.reference},
                    messages.SUCCESS,
                )
                self._report_due_date(request, data["due_date"], task)
                return HttpResponseRedirect(reverse("admin:reports_ledgertask_change", args=[task.pk]))
        return self._form_page(
            request,
            form=form,
            title=_("Add a ledger task"),
            back=reverse("admin:reports_ledgertask_changelist"),
        )

    # --- Change: edits and new progress notes go through the services --------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        task = self.get_object(request, object_id)
        can_move = (
            task is not None
            and bool(LedgerTask.TRANSITIONS.get(task.status))
            and self.has_change_permission(request, task)
        )
        context = {
            "can_change_status": can_move,
            "show_save_and_add_another": False,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def save_model(self, request, obj, form, change):
        if not change:  # add_view does not come here; kept for safety
            raise PermissionDenied
        if not form.has_changed():
            return
        data = form.cleaned_data
        try:
            task = ledger_task_edit(
                task=obj,
                title=data.get("title", obj.title),
                goal=data.get("goal", obj.goal),
                office=data.get("office", obj.office),
                responsible=data.get("responsible", obj.responsible),
                due_date=data.get("due_date", obj.due_date),
                actor=request.user,
            )
        except (ValidationError, InvalidTransition) as error:
            for message in error_messages(error):
                self.message_user(request, message, messages.ERROR)
            return
        if "due_date" in data:
            self._report_due_date(request, data["due_date"], task)

    def save_formset(self, request, form, formset, change):
        if formset.model is not LedgerProgress:
            return super().save_formset(request, form, formset, change)
        for note in formset.save(commit=False):
            try:
                ledger_progress_add(
                    task=form.instance,
                    note=note.note,
                    percent=note.percent,
                    noted_on=note.noted_on,
                    actor=request.user,
                )
            except (ValidationError, InvalidTransition) as error:
                for message in error_messages(error):
                    self.message_user(request, message, messages.ERROR)

    # --- Status: a button on the task, and actions on the list ---------------------------------

    def get_urls(self):
        return [
            path(
                "<int:pk>/status/",
                self.admin_site.admin_view(self.status_view),
                name="reports_ledgertask_status",
            ),
            path("export/", self.admin_site.admin_view(self.export_view), name="reports_ledgertask_export"),
            *super().get_urls(),
        ]

    def status_view(self, request, pk: int):
        task = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, task):
            raise PermissionDenied
        change_url = reverse("admin:reports_ledgertask_change", args=[task.pk])
        form = LedgerStatusForm(request.POST or None, task=task)
        if request.method == "POST" and form.is_valid():
            try:
                ledger_task_update_status(
                    task=task,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                )
            except (ValidationError, InvalidTransition) as error:
                form.add_error(None, error_messages(error))
            else:
                self.message_user(
                    request,
                    _("Ledger task %(reference)s is now “%(status)s”.")
                    % {"reference": task.reference, "status": T(form.cleaned_data["status"]).label},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        return self._form_page(request, form=form, title=_("Change the status"), back=change_url, obj=task)

    def _bulk_status(self, request, queryset, status: str) -> None:
        moved, errors = 0, []
        for task in queryset:
            if task.status == status:
                continue
            try:
                ledger_task_update_status(task=task, status=status, actor=request.user)
            except (ValidationError, InvalidTransition) as error:
                errors.extend(error_messages(error))
            else:
                moved += 1
        for message in errors:
            self.message_user(request, message, messages.ERROR)
        self.message_user(
            request,
            _("%(count)s tasks now “%(status)s”.") % {"count": moved, "status": T(status).label},
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Mark the selected tasks as in progress"), permissions=["change"])
    def mark_in_progress(self, request, queryset):
        self._bulk_status(request, queryset, T.IN_PROGRESS)

    @admin.action(description=gettext_lazy("Mark the selected tasks as done"), permissions=["change"])
    def mark_done(self, request, queryset):
        self._bulk_status(request, queryset, T.DONE)

    # --- Export -------------------------------------------------------------------------------

    @admin.action(description=gettext_lazy("Export the selected tasks (xlsx)"), permissions=["view"])
    def export_selected(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        description = _("%(count)s selected tasks") % {"count": len(ids)}
        return export_start(request, kind=LEDGER_EXPORT, filters={"ids": ids}, description=description)

    def export_view(self, request):
        """The ledger as the list shows it (same filters and search), as a workbook written in the
        background (core.exports): the request returns at once."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:reports_ledgertask_changelist"))
        query = changelist_query(request)
        return export_start(request, kind=LEDGER_EXPORT, filters={"query": query}, description=query)


# --- The dispatch meeting (调度会) ----------------------------------------------------------------
#
# Scheduled on a form page; its page is read-only, with buttons that call the services: record
# the minutes, reschedule, add an action item (which becomes a ledger task), and the meeting
# pack as a printable page and as a workbook. Permissions: add/change/view dispatch meeting;
# add action item.


class ActionItemInline(ReadOnlyInline):
    """Read-only here: an action item is added with the button, through the service."""

    model = ActionItem
    fields = ["office", "owner", "description", "due_date", "task_link", "task_status"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("action items (each is a ledger task)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("office", "owner", "ledger_task")

    def has_view_permission(self, request, obj=None):
        return can_see_meetings(request.user)

    @admin.display(description=gettext_lazy("ledger task"))
    def task_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:reports_ledgertask_change", args=[obj.ledger_task_id]),
            obj.ledger_task.reference,
        )

    @admin.display(description=gettext_lazy("status"))
    def task_status(self, obj):
        return obj.ledger_task.get_status_display()


@admin.register(DispatchMeeting)
class DispatchMeetingAdmin(SmallFormPageMixin, admin.ModelAdmin):
    list_display = ["quarter", "scheduled_on", "place", "status", "action_items", "pack_links"]
    list_filter = ["status"]
    search_fields = ["quarter", "place", "minutes"]
    ordering = ["-quarter"]
    actions = None
    inlines = [ActionItemInline]
    fields = [
        "quarter",
        "scheduled_on",
        "place",
        "status",
        "pack_links",
        "minutes",
        "created_by",
        "created_at",
        "minutes_recorded_by",
        "minutes_recorded_at",
    ]
    readonly_fields = fields
    change_form_template = "admin/reports/dispatchmeeting/change_form.html"
    pack_template = "reports/ledger/pack.html"

    def get_queryset(self, request):
        return dispatch_meeting_list(viewer=request.user)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or (obj.status == M.PLANNED and not obj.action_items.exists()))

    @admin.display(description=gettext_lazy("action items"), ordering="action_item_count")
    def action_items(self, obj):
        return getattr(obj, "action_item_count", None)

    @admin.display(description=gettext_lazy("meeting pack"))
    def pack_links(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}" data-pack>{}</a> · <a href="{}" data-pack-xlsx>{}</a>',
            reverse("admin:reports_dispatchmeeting_pack", args=[obj.pk]),
            _("Meeting pack"),
            reverse("admin:reports_dispatchmeeting_pack_xlsx", args=[obj.pk]),
            _("xlsx"),
        )

    def _change_url(self, meeting) -> str:
        return reverse("admin:reports_dispatchmeeting_change", args=[meeting.pk])

    def _meeting(self, request, pk: int) -> DispatchMeeting:
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DispatchMeetingForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                meeting = dispatch_meeting_schedule(**form.cleaned_data, actor=request.user)
            except (ValidationError, InvalidTransition) as error:
                form.add_error(None, error_messages(error))
            else:
                self.message_user(
                    request,
                    _("The dispatch meeting of %(quarter)s is scheduled for %(date)s.")
                    % {"quarter": meeting.quarter, "date": meeting.scheduled_on.isoformat()},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(meeting))
        return self._form_page(
            request,
            form=form,
            title=_("Schedule a dispatch meeting"),
            back=reverse("admin:reports_dispatchmeeting_changelist"),
            help_text=_(
                "One meeting a quarter: each office reports its progress, problems and corrective measures. "
                "The meeting pack is generated from the ledger and the case figures."
            ),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        meeting = self.get_object(request, object_id)
        can_change = meeting is not None and self.has_change_permission(request, meeting)
        context = {
            "can_record_minutes": can_change,
            "can_reschedule": can_change and meeting.status == M.PLANNED,
            "can_send_pack": can_change,
            "can_add_action_item": meeting is not None and request.user.has_perm("reports.add_actionitem"),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/minutes/", view(self.minutes_view), name="reports_dispatchmeeting_minutes"),
            path(
                "<int:pk>/reschedule/", view(self.reschedule_view), name="reports_dispatchmeeting_reschedule"
            ),
            path(
                "<int:pk>/action-item/",
                view(self.action_item_view),
                name="reports_dispatchmeeting_action_item",
            ),
            path("<int:pk>/pack/", view(self.pack_view), name="reports_dispatchmeeting_pack"),
            path("<int:pk>/pack.xlsx", view(self.pack_xlsx_view), name="reports_dispatchmeeting_pack_xlsx"),
            path("<int:pk>/send-pack/", view(self.send_pack_view), name="reports_dispatchmeeting_send_pack"),
            *super().get_urls(),
        ]

    def minutes_view(self, request, pk: int):
        meeting = self._meeting(request, pk)
        if not self.has_change_permission(request, meeting):
            raise PermissionDenied
        form = MinutesForm(request.POST or None, initial={"minutes": meeting.minutes})
        if request.method == "POST" and form.is_valid():
            try:
                dispatch_minutes_record(
                    meeting=meeting, minutes=form.cleaned_data["minutes"], actor=request.user
                )
            except (ValidationError, InvalidTransition) as error:
                form.add_error(None, error_messages(error))
            else:
                self.message_user(request, _("Minutes recorded."), messages.SUCCESS)
                return HttpResponseRedirect(self._change_url(meeting))
        return self._form_page(
            request, form=form, title=_("Record the minutes"), back=self._change_url(meeting), obj=meeting
        )

    def reschedule_view(self, request, pk: int):
        meeting = self._meeting(request, pk)
        if not self.has_change_permission(request, meeting):
            raise PermissionDenied
        form = RescheduleForm(
            request.POST or None, initial={"scheduled_on": meeting.scheduled_on, "place": meeting.place}
        )
        if request.method == "POST" and form.is_valid():
            try:
                dispatch_meeting_reschedule(meeting=meeting, **form.cleaned_data, actor=request.user)
            except (ValidationError, InvalidTransition) as error:
                form.add_error(None, error_messages(error))
            else:
                self.message_user(request, _("Meeting rescheduled."), messages.SUCCESS)
                return HttpResponseRedirect(self._change_url(meeting))
        return self._form_page(
            request, form=form, title=_("Reschedule the meeting"), back=self._change_url(meeting), obj=meeting
        )

    def action_item_view(self, request, pk: int):
        meeting = self._meeting(request, pk)
        if not request.user.has_perm("reports.add_actionitem"):
            raise PermissionDenied
        form = ActionItemForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                item = dispatch_action_item_add(meeting=meeting, **data, actor=request.user)
            except (ValidationError, InvalidTransition) as error:
                form.add_error(None, error_messages(error))
            else:
                self.message_user(
                    request,
                    _("Action item added as ledger task %(reference)s.")
                    % {"reference": item.ledger_task.reference},
                    messages.SUCCESS,
                )
                if item.due_date != data["due_date"]:
                    self.message_user(
                        request,
                        _("%(asked)s is not a working day: the task is due on the next working day, %(due)s.")
                        % {"asked": data["due_date"].isoformat(), "due": item.due_date.isoformat()},
                        messages.WARNING,
                    )
                if "_addanother" in request.POST:
                    return HttpResponseRedirect(request.path)
                return HttpResponseRedirect(self._change_url(meeting))
        return self._form_page(
            request,
            form=form,
            title=_("Add an action item"),
            back=self._change_url(meeting),
            obj=meeting,
            help_text=_("The action item becomes a task in the work ledger, with its deadline."),
        )

    def _pack(self, request, pk: int, **options):
        meeting = self._meeting(request, pk)
        if not self.has_view_or_change_permission(request, meeting):
            raise PermissionDenied
        return DispatchPack(meeting=meeting, viewer=request.user, **options).generate()

    def pack_view(self, request, pk: int):
        # The printable page lists each office's most overdue cases; the workbook all of them.
        pack = self._pack(request, pk, overdue_cases_shown=OVERDUE_CASES_SHOWN)
        context = {
            "pack": pack,
            "meeting": pack.meeting,
            "back_url": self._change_url(pack.meeting),
            "xlsx_url": reverse("admin:reports_dispatchmeeting_pack_xlsx", args=[pack.meeting.pk]),
            "title": _("Dispatch meeting %(quarter)s: meeting pack") % {"quarter": pack.meeting.quarter},
        }
        return TemplateResponse(request, self.pack_template, context)

    def send_pack_view(self, request, pk: int):
        """E-mail the pack to the leading group (liaison.leading_group), after a confirmation
        that names the recipients."""
        meeting = self._meeting(request, pk)
        if not self.has_change_permission(request, meeting):
            raise PermissionDenied
        form = SendPackForm(request.POST if request.method == "POST" else None)  # no fields: POST is empty
        if request.method == "POST" and form.is_valid():
            try:
                email = dispatch_pack_send(meeting=meeting, actor=request.user)
            except ValidationError as error:
                form.add_error(None, error_messages(error))
            else:
                self.message_user(
                    request,
                    _("The meeting pack is on its way to %(recipients)s.")
                    % {"recipients": ", ".join(email.to)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(meeting))
        recipients = leading_group_pack_recipients()
        return self._form_page(
            request,
            form=form,
            title=_("E-mail the meeting pack to the leading group"),
            back=self._change_url(meeting),
            obj=meeting,
            help_text=_("The workbook goes to: %(recipients)s.")
            % {"recipients": ", ".join(recipients) or _("nobody (no member has an e-mail address)")},
        )

    def pack_xlsx_view(self, request, pk: int):
        workbook = PackWorkbook(self._pack(request, pk))
        return HttpResponse(
            workbook.generate(),
            content_type=XLSX_CONTENT_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{workbook.filename}"'},
        )
