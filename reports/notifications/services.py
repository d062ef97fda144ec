"""Every write of the complaint notification system (投诉通报制度).

prepare (draft: one report per department, one item per complaint, texts redacted)
→ staff preview and edit the texts → approve (refused while a text still names the
complainant) → send (one e-mail per department with the workbook, and a reply deadline)
→ the department replies with its improvement measures (the deadline is met).

Each service runs in one transaction, locks the run it changes and checks the move against
``NotificationRun.TRANSITIONS``; the outbox rows and deadlines are written in the same
transaction, and the e-mails leave after commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from casework.selectors import departments_of, intake_staff_emails
from casework.services import staff_notice_queue
from complaints.models import Complaint
from core.calendar import add_working_days, end_of_day
from core.deadlines import deadline_create, deadline_explain, deadline_meet
from core.errors import InvalidTransition, actor_user
from core.masking import identity_findings, redact_text
from core.models import Deadline
from core.outbox import outbox_enqueue, render_email
from core.periods import period_parse
from reports.models import (
    REPLY_DEADLINE_KIND,
    NotificationItem,
    NotificationReport,
    NotificationRun,
)
from reports.notifications.workbooks import NotificationWorkbook, category_label, counts_in_order
from reports.xlsx import XLSX_CONTENT_TYPE

logger = logging.getLogger(__name__)

EMAIL_KIND = "notification_report"
EMAIL_TEMPLATE = "reports/email/notification_report"
R = NotificationRun.Status


def _lock(run: NotificationRun) -> NotificationRun:
    return NotificationRun.objects.select_for_update().get(pk=run.pk)


def _move(run: NotificationRun, to: str) -> None:
    if not run.can_move_to(to):
        raise InvalidTransition(
            _("Notification %(period)s cannot go from “%(current)s” to “%(target)s”.")
            % {"period": run.period, "current": run.get_status_display(), "target": R(to).label}
        )
    run.status = to


def identity_of(complaint: Complaint):
    """The complainant's identity row, or None for an anonymous complaint (which has none)."""
    if complaint.is_anonymous:
        return None
    return getattr(complaint, "identity", None)


# --- The identity check ------------------------------------------------------------------
# One recogniser for the whole product (core.masking): what prepare redacts and what
# approve and send refuse are the same rule the referrals and the API use.


def item_identity_findings(item: NotificationItem) -> list[str]:
    """What in an item's text still identifies its complainant: translated labels, never the
    values found ([] when the text is clean). The item must come from ``released_items(…,
    with_identity=True)``."""
    return identity_findings(item.text, identity_of(item.complaint))


def _refuse_identifying_texts(items: Iterable[NotificationItem], *, sending: bool) -> None:
    """Raise one ValidationError (code ``identity_in_text``) per item whose text still
    identifies its complainant, naming what was found (never the value)."""
    problems = []
    for item in items:
        found = item_identity_findings(item)
        if not found:
            continue
        values = {
            "reference": item.reference,
            "department": item.report.department if item.report_id else item.unit_text,
            "found": "、".join(found),
        }
        if sending:
            message = _(
                "The text of complaint %(reference)s for %(department)s still identifies the "
                "complainant (%(found)s): nothing was sent."
            )
        else:
            message = _(
                "The text of complaint %(reference)s for %(department)s still identifies the "
                "complainant (%(found)s). Remove it before approving."
            )
        problems.append(ValidationError(message % values, code="identity_in_text"))
    if problems:
        raise ValidationError(problems)


def released_items(run: NotificationRun, *, with_identity: bool = False):
    """The items of a run that go to a department, in order. ``with_identity`` also loads what
    the identity check needs (the complainant's identity, for the check only, and never shown)."""
    fields = ["id", "run_id", "report", "reference", "category", "received_at", "text", "unit_text"]
    items = NotificationItem.objects.filter(run=run, report__isnull=False).order_by("received_at", "id")
    if with_identity:
        # The whole identity row: which of its fields the recogniser reads is its own business.
        items = items.select_related("report__department", "complaint__identity")
        fields += ["report__department__name", "complaint", "complaint__is_anonymous", "complaint__identity"]
    return items.only(*fields)


def items_by_report(
    run: NotificationRun, *, with_identity: bool = False
) -> dict[int, list[NotificationItem]]:
    """The released items of a run, grouped by report, in one query."""
    grouped: dict[int, list[NotificationItem]] = defaultdict(list)
    for item in released_items(run, with_identity=with_identity):
        grouped[item.report_id].append(item)
    return grouped


# --- Prepare -----------------------------------------------------------------------------


@transaction.atomic
def notification_run_prepare(*, period: str, actor) -> NotificationRun:
    """Prepare the draft run of a period: one report per department with complaints received in
    it, one item per complaint with its description redacted. Safe to run twice: a period that
    already has a run returns that run, unchanged.

    Set-based whatever the number of departments: one aggregate query for the counts, one for
    the complaints, and a bulk insert each for the reports and the items. Complaints naming a
    unit not in the directory are listed in the run with no report: nobody receives them.
    """
    span = period_parse(period)
    existing = NotificationRun.objects.filter(period=span.label).first()
    if existing is not None:
        return existing
    if not span.has_ended():
        raise ValidationError(
            _("%(period)s has not ended yet; it can be prepared from %(date)s.")
            % {"period": span.label, "date": (span.last_day + dt.timedelta(days=1)).isoformat()},
            code="period_not_ended",
        )
    try:
        # A savepoint: two prepares racing for one period meet at the unique constraint.
        with transaction.atomic():
            run = NotificationRun.objects.create(
                period=span.label,
                period_start=span.first_day,
                period_end=span.last_day,
                created_by=actor_user(actor),
            )
    except IntegrityError:
        return NotificationRun.objects.get(period=span.label)

    received = Complaint.objects.filter(received_at__gte=span.start_at, received_at__lt=span.end_at)
    counts: dict[int | None, Counter] = defaultdict(Counter)
    for department_id, category, count in (
        received.order_by().values_list("department_id", "category").annotate(count=Count("id"))
    ):
        counts[department_id][category] += count
    complaints = list(
        received.select_related("identity")
        .only(
            "id",
            "department_id",
            "department_text",
            "category",
            "received_at",
            "description",
            "is_anonymous",
            "identity",
        )
        .order_by("received_at", "id")
    )
    listed = Counter((c.department_id, c.category) for c in complaints)
    if listed != Counter({(d, cat): n for d, by_cat in counts.items() for cat, n in by_cat.items()}):
        # A complaint committed between the two queries: the items are what departments read.
        logger.warning("Notification %s: complaints arrived while preparing; counting the items", span.label)
        counts = defaultdict(Counter)
        for (department_id, category), count in listed.items():
            counts[department_id][category] += count

    reports = NotificationReport.objects.bulk_create(
        [
            NotificationReport(
                run=run,
                department_id=department_id,
                complaint_count=sum(by_category.values()),
                counts_by_category=dict(counts_in_order(by_category)),
            )
            for department_id, by_category in sorted(counts.items(), key=lambda pair: pair[0] or 0)
            if department_id is not None
        ]
    )
    report_of = {report.department_id: report for report in reports}
    NotificationItem.objects.bulk_create(
        [
            NotificationItem(
                run=run,
                report=report_of.get(complaint.department_id),
                complaint_id=complaint.pk,
                reference=complaint.reference,
                category=complaint.category,
                received_at=complaint.received_at,
                unit_text="" if complaint.department_id else complaint.department_text,
                text=redact_text(complaint.description, identity_of(complaint)),
            )
            for complaint in complaints
        ]
    )
    return run


# --- Preview edits, approval -------------------------------------------------------------


@transaction.atomic
def notification_item_edit(*, item: NotificationItem, text: str, actor) -> NotificationItem:
    """Change what a department will read of one complaint; only while the run is a draft.

    The text is kept as typed: the approval refuses it while it names the complainant.
    """
    run = _lock(item.run)
    item = NotificationItem.objects.select_for_update().get(pk=item.pk)
    if run.status != R.DRAFT:
        raise InvalidTransition(
            _("Notification %(period)s is %(status)s: its texts can no longer be edited.")
            % {"period": run.period, "status": run.get_status_display()}
        )
    text = text.strip()
    if not text:
        raise ValidationError(
            _("The text of complaint %(reference)s cannot be empty.") % {"reference": item.reference},
            code="empty_text",
        )
    if text != item.text:
        item.text, item.edited_by, item.edited_at = text, actor_user(actor), timezone.now()
        item.save(update_fields=["text", "edited_by", "edited_at"])
    return item


@transaction.atomic
def notification_run_approve(*, run: NotificationRun, actor) -> NotificationRun:
    """Approve the texts as previewed, after checking that none still names its complainant."""
    run = _lock(run)
    _move(run, R.APPROVED)
    _refuse_identifying_texts(released_items(run, with_identity=True), sending=False)
    run.approved_by, run.approved_at = actor_user(actor), timezone.now()
    run.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    run.reports.filter(status=NotificationReport.Status.DRAFT).update(
        status=NotificationReport.Status.APPROVED
    )
    return run


@transaction.atomic
def notification_run_discard(*, run: NotificationRun, actor) -> None:
    """Throw away a draft (prepared too early, say) so the period can be prepared again."""
    run = _lock(run)
    if run.status != R.DRAFT:
        raise InvalidTransition(
            _("Notification %(period)s is %(status)s: only a draft can be discarded.")
            % {"period": run.period, "status": run.get_status_display()}
        )
    logger.info("Notification %s discarded by %s", run.period, getattr(actor, "pk", None))
    run.delete()


# --- What a department receives ----------------------------------------------------------


@dataclass
class RenderedNotification:
    """One department's e-mail and workbook, exactly as sent (or as they would be sent today).
    ``subject``, ``text`` and ``html`` are plain strings: a page showing them escapes them."""

    report: NotificationReport
    to: list[str]
    language: str
    subject: str
    text: str
    html: str
    workbook: NotificationWorkbook
    due_date: dt.date
    deadline_text: str
    portal_url: str


def _unmarked(rendered: str) -> str:
    """The same characters as a plain ``str``, no longer marked safe for HTML.

    ``render_to_string`` marks whatever it renders as safe. The text part is rendered with
    autoescape off (it carries the complaints as written, ``<script>`` and all) and the HTML
    part is a whole document: printed into a page as they are, either would run a
    complainant's markup in the browser of the staff who preview it. Plain strings are
    escaped like any other text wherever a template prints them.
    """
    return str.__str__(rendered)


def reply_deadline_preview(start: dt.date) -> Deadline:
    """The reply deadline a report would get if it were sent on ``start`` (not saved)."""
    days = settings.NOTIFICATION_REPLY_DAYS
    result = add_working_days(start, days)
    return Deadline(
        kind=REPLY_DEADLINE_KIND,
        start_date=start,
        working_days=days,
        due_date=result.due_date,
        due_at=end_of_day(result.due_date),
        skipped=result.skipped_json(),
        fallback=result.fallback,
    )


def notification_report_render(
    *, report: NotificationReport, items: list[NotificationItem], deadline: Deadline | None = None
) -> RenderedNotification:
    """The e-mail and the workbook of one report, in the department's language.

    With no ``deadline`` (the preview), the reply deadline is counted as if sent today. Only
    the items' released texts are read: never the complaint, nor who made it.
    """
    deadline = deadline or reply_deadline_preview(timezone.localdate())
    department, run = report.department, report.run
    language = department.language or settings.LANGUAGE_CODE
    portal_url = settings.SITE_URL + reverse("notifications:report", args=[report.pk])
    with translation.override(language):
        workbook = NotificationWorkbook(
            department_name=department.name,
            period=run.period,
            first_day=run.period_start,
            last_day=run.period_end,
            counts_by_category=report.counts_by_category,
            items=items,
            language=language,
        )
        context = {
            "department": department.name,
            "period": run.period,
            "first_day": run.period_start.isoformat(),
            "last_day": run.period_end.isoformat(),
            "count": report.complaint_count,
            "categories": [
                {"label": category_label(value), "count": count}
                for value, count in counts_in_order(report.counts_by_category)
            ],
            "complaints": [
                {
                    "number": number,
                    "reference": row[0],
                    "received": row[1].isoformat(),
                    "category": row[2],
                    "text": row[3],
                }
                for number, row in enumerate(workbook.sheets()[1].rows, start=1)
            ],
            "due_date": formats.date_format(deadline.due_date, "DATE_FORMAT"),
            "deadline_text": deadline_explain(deadline),
            "portal_url": portal_url,
            "attachment": workbook.filename,
        }
        deadline_text = context["deadline_text"]
    subject, text, html = render_email(EMAIL_TEMPLATE, context, language=language)
    return RenderedNotification(
        report=report,
        to=[department.email] if department.email else [],
        language=language,
        subject=_unmarked(subject),
        text=_unmarked(text),
        html=_unmarked(html),
        workbook=workbook,
        due_date=deadline.due_date,
        deadline_text=deadline_text,
        portal_url=portal_url,
    )


# --- Send, reply -------------------------------------------------------------------------


@transaction.atomic
def notification_run_send(*, run: NotificationRun, actor) -> NotificationRun:
    """Queue one e-mail per department, with its workbook, and give each report a reply deadline.

    Safe to run twice: a sent run is returned unchanged, and each e-mail's outbox key
    (notification:<run>:<department>) can be queued only once.
    """
    run = _lock(run)
    if run.status == R.SENT:
        return run
    _move(run, R.SENT)
    grouped = items_by_report(run, with_identity=True)
    # Belt and braces: nothing can have changed since the approval, but this is the last gate.
    _refuse_identifying_texts((item for items in grouped.values() for item in items), sending=True)
    today, now = timezone.localdate(), timezone.now()
    reports = list(
        run.reports.filter(status=NotificationReport.Status.APPROVED).select_related("department", "run")
    )
    for report in reports:
        deadline = deadline_create(
            subject=report,
            kind=REPLY_DEADLINE_KIND,
            start_date=today,
            working_days=settings.NOTIFICATION_REPLY_DAYS,
        )
        rendered = notification_report_render(report=report, items=grouped[report.pk], deadline=deadline)
        outbox_enqueue(
            key=f"notification:{run.pk}:{report.department_id}",
            kind=EMAIL_KIND,
            to=rendered.to,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            attachments=[(rendered.workbook.filename, rendered.workbook.generate(), XLSX_CONTENT_TYPE)],
            language=rendered.language,
            related=f"notification:{run.period}:{report.pk}",
        )
        report.status = NotificationReport.Status.SENT
        report.sent_at, report.deadline, report.due_date = now, deadline, deadline.due_date
    NotificationReport.objects.bulk_update(reports, ["status", "sent_at", "deadline", "due_date"])
    run.sent_by, run.sent_at = actor_user(actor), now
    run.save(update_fields=["status", "sent_by", "sent_at", "updated_at"])
    return run


@transaction.atomic
def notification_report_reply(*, report: NotificationReport, measures: str, actor) -> NotificationReport:
    """The department replies with its improvement measures; the reply deadline is met."""
    if not (
        getattr(actor, "is_authenticated", False)
        and actor.has_perm("liaison.access_department_portal")
        and report.department_id in departments_of(actor)
    ):
        raise PermissionDenied(_("Only the department's own portal users can reply to its notification."))
    report = (
        NotificationReport.objects.select_for_update(of=("self",)).select_related("run").get(pk=report.pk)
    )
    if report.status == NotificationReport.Status.REPLIED:
        raise InvalidTransition(_("Your department has already replied to this notification."))
    if report.status != NotificationReport.Status.SENT:
        raise InvalidTransition(_("This notification has not been sent to your department."))
    measures = measures.strip()
    if not measures:
        raise ValidationError(
            _("Describe the improvement measures your department has taken or will take."), code="no_measures"
        )
    report.status = NotificationReport.Status.REPLIED
    report.reply, report.replied_at, report.replied_by = measures, timezone.now(), actor_user(actor)
    report.save(update_fields=["status", "reply", "replied_at", "replied_by"])
    if report.deadline_id:
        deadline_meet(deadline=report.deadline, at=report.replied_at)
    notification_reply_notice_queue(report=report)
    return report


def notification_reply_notice_queue(*, report: NotificationReport) -> None:
    """Tell the centre that a unit replied with its improvement measures: whoever sent the
    notification run, else the intake staff. In the reply's transaction, queued once."""
    run = report.run
    sender = run.sent_by
    to = [sender.email] if sender is not None and sender.is_active and sender.email else intake_staff_emails()
    staff_notice_queue(
        to=to,
        notice="notification_reply",
        key=f"{report.pk}",
        context={
            "department": report.department,
            "period": run.period,
            "run_url": settings.SITE_URL + reverse("admin:reports_notificationrun_change", args=[run.pk]),
        },
        related=f"notification:{run.period}:{report.pk}",
    )


def notification_reply_deadlines_recomputed(changes, reason: str) -> None:
    """Deadline listener: keep the reports' stored due dates in step after a calendar edit."""
    new_due = {deadline.pk: new for deadline, _old, new in changes}
    reports = list(NotificationReport.objects.filter(deadline_id__in=new_due))
    for report in reports:
        report.due_date = new_due[report.deadline_id]
    NotificationReport.objects.bulk_update(reports, ["due_date"])


__all__ = [
    "identity_of",
    "item_identity_findings",
    "items_by_report",
    "notification_item_edit",
    "notification_report_render",
    "notification_report_reply",
    "notification_run_approve",
    "notification_run_discard",
    "notification_run_prepare",
    "notification_run_send",
    "released_items",
    "reply_deadline_preview",
]
