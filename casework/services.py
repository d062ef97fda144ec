"""Every write of casework. Each service locks what it changes, checks the move against the
model's TRANSITIONS, saves with update_fields and writes its timeline event in the same
transaction; InvalidTransition otherwise, with nothing changed."""

import datetime as dt
import logging
from collections.abc import Sequence
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casework.models import (
    AccountabilityTalk,
    Case,
    CaseComplaint,
    CaseEvent,
    HandlingReport,
    IdentityAccessRequest,
    Recommendation,
    Referral,
    ReferralPeriod,
    ReportAttachment,
    Review,
    UnannouncedVisit,
)
from casework.selectors import case_identities, case_notice_recipients
from complaints.models import Channel, ComplainantIdentity, ComplainantType, Complaint, Message, PublicStatus
from complaints.selectors import NextStep
from complaints.services import (
    ComplaintData,
    complaint_message_send,
    complaint_status_publish,
    complaint_submit,
)
from complaints.uploads import PreparedUpload
from core.deadlines import deadline_cancel, deadline_create, deadline_explain, deadline_meet
from core.errors import InvalidTransition, actor_user
from core.masking import identity_findings, identity_validate, redact_text
from core.models import Deadline
from core.outbox import outbox_enqueue, render_email
from core.sql import in_ids
from liaison.models import Department, Office

logger = logging.getLogger(__name__)

S = Case.Status
A = CaseEvent.Action

# What the complainant sees for each case status.
PUBLIC_STATUS = {
    S.ACCEPTED: PublicStatus.ACCEPTED,
    S.HANDLING: PublicStatus.HANDLING,
    S.REFERRED: PublicStatus.HANDLING,
    S.REVIEWING: PublicStatus.HANDLING,
    S.CONCLUDED: PublicStatus.CONCLUDED,
}


def case_event_add(
    case: Case, action: str, actor, *, note: str = "", from_status: str = "", to_status: str = ""
) -> CaseEvent:
    """One step on the case's timeline, in the caller's transaction (casework's other service
    modules write theirs through this too)."""
    return CaseEvent.objects.create(
        case=case,
        action=action,
        actor=actor_user(actor),
        note=note,
        from_status=from_status,
        to_status=to_status,
    )


def case_events_add_many(
    events: Sequence[tuple[int, str]], *, action: str, at: dt.datetime | None = None
) -> int:
    """Append one timeline event per (case id, note), in one statement on PostgreSQL: a sweep or a
    recompute writes tens of thousands at once, and model instances would cost more than the
    insert."""
    if not events:
        return 0
    at = at or timezone.now()
    if connection.vendor == "postgresql":
        qn = connection.ops.quote_name
        columns = ", ".join(qn(c) for c in ("case_id", "at", "action", "from_status", "to_status", "note"))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {qn(CaseEvent._meta.db_table)} ({columns}) "  # noqa: S608 - quoted names only
                "SELECT t.case_id, %s, %s, '', '', t.note "
                "FROM unnest(%s::bigint[], %s::text[]) AS t(case_id, note)",
                [at, action, [case_id for case_id, _note in events], [note for _case_id, note in events]],
            )
    else:
        CaseEvent.objects.bulk_create(
            CaseEvent(case_id=case_id, action=action, note=note) for case_id, note in events
        )
    return len(events)


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _move(
    case: Case,
    to: str,
    *,
    actor,
    action: str,
    sources: tuple[str, ...],
    note: str = "",
    fields: tuple[str, ...] = (),
) -> CaseEvent:
    """Move the case along TRANSITIONS; ``sources`` are the states this action starts from (the
    table allows handling after review for an accepted report, not for a reopening)."""
    if case.status not in sources or not case.can_move_to(to):
        raise InvalidTransition(
            _("Case %(reference)s cannot go from “%(current)s” to “%(target)s”.")
            % {
                "reference": case.reference,
                "current": case.get_status_display(),
                "target": Case.Status(to).label,
            }
        )
    before = case.status
    case.status = to
    case.save(update_fields=["status", "updated_at", *fields])
    _publish(case, actor=actor)
    return case_event_add(case, action, actor, note=note, from_status=before, to_status=to)


def _publish(case: Case, *, actor, text: str = "") -> None:
    """Tell the complainants of the case when what they can see changes."""
    public = PUBLIC_STATUS[case.status]
    for complaint in Complaint.objects.filter(case_link__case=case).exclude(status=public):
        complaint_status_publish(complaint=complaint, status=public, text=text, actor=actor)


def _referral_move(referral: Referral, to: str) -> None:
    if to not in Referral.TRANSITIONS[referral.status]:
        raise InvalidTransition(
            _("The referral cannot go from “%(current)s” to “%(target)s”.")
            % {"current": referral.get_status_display(), "target": Referral.Status(to).label}
        )
    referral.status = to


# --- Identity: what leaves the centre -----------------------------------------------------------
# Every text a department or a complainant reads is checked against every complainant of the case
# inside the service, before anything is written: the admin, the API and any future caller are
# held to the same rule, and a refused text leaves no referral, e-mail or timeline entry behind.


def _complaint_identities(complaint: Complaint) -> list[ComplainantIdentity]:
    identity = None if complaint.is_anonymous else getattr(complaint, "identity", None)
    return [identity] if identity is not None else []


class IdentityInText(ValidationError):
    """The identity check refused a text: ValidationError keyed by form field, carrying the ids of
    the complaints whose own complainant it names (not merely a number of anybody's), so that the
    caller can put the refusal on the record (complaint_identity_confirmation_record) after this
    transaction has rolled back."""

    def __init__(self, errors, *, complaint_ids: list[int]):
        super().__init__(errors)
        self.complaint_ids = complaint_ids


def _identity_check(*, identities: Sequence[ComplainantIdentity], texts: dict[str, str]) -> None:
    """Refuse texts that would carry a complainant's identity out of the centre: one
    ValidationError keyed by the form field of each text that matches, all fields at once, so
    that the person who typed them sees each error where they typed it."""
    errors: dict[str, list[ValidationError]] = {}
    named: set[int] = set()
    for field, text in texts.items():
        try:
            identity_validate(text, identities, field=field)
        except ValidationError as error:
            for name, field_errors in error.error_dict.items():
                errors.setdefault(name, []).extend(field_errors)
            anybodys = set(identity_findings(text))
            named.update(
                identity.complaint_id
                for identity in identities
                if set(identity_findings(text, identity)) - anybodys
            )
    if errors:
        raise IdentityInText(errors, complaint_ids=sorted(named))


def case_released_text(*, case: Case) -> str:
    """The draft of what a department reads of the case: its complaints, primary first, with the
    identity of every complainant of the case removed from each (one complaint may name the
    person behind another). Staff check and edit it before it is sent, and case_refer checks it
    again."""
    identities = case_identities(case)
    parts = []
    complaints = Complaint.objects.filter(case_link__case=case).order_by(
        "-case_link__is_primary", "case_link__linked_at", "pk"
    )
    for complaint in complaints:
        parts.append(redact_text(complaint.description, identities))
        if complaint.desired_outcome:
            parts.append(
                _("Outcome wanted: %(outcome)s")
                % {"outcome": redact_text(complaint.desired_outcome, identities)}
            )
    return "\n\n".join(parts)


def referral_period(*, kind: str, priority: str) -> int:
    """The configured number of working days for a referral of this kind and priority."""
    period = ReferralPeriod.objects.filter(kind=kind, priority=priority).first()
    return period.working_days if period else ReferralPeriod.DEFAULTS[kind][priority]


# --- Triage -----------------------------------------------------------------------


@transaction.atomic
def complaint_accept(
    *,
    complaint: Complaint,
    actor,
    title: str = "",
    priority: str = Case.Priority.NORMAL,
    office: Office | None = None,
    handler=None,
) -> Case:
    """Accept a new complaint: it opens a case of its own."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status != PublicStatus.RECEIVED or hasattr(complaint, "case_link"):
        raise InvalidTransition(
            _("Complaint %(reference)s has already been triaged.") % {"reference": complaint.reference}
        )
    identities = _complaint_identities(complaint)
    # The title is read by every member of staff, and typed or not it must not say who complained.
    title = title.strip() or redact_text(complaint.description, identities)[:60]
    _identity_check(identities=identities, texts={"title": title})
    case = Case.objects.create(
        title=title,
        priority=priority,
        category=complaint.category,
        department=complaint.department,
        office=office,
        handler=handler,
        channel=complaint.channel,
        opened_at=timezone.now(),
    )
    CaseComplaint.objects.create(case=case, complaint=complaint, is_primary=True)
    case_event_add(case, A.ACCEPTED, actor, note=complaint.reference, to_status=case.status)
    _publish(case, actor=actor)
    return case


@transaction.atomic
def complaint_not_accept(*, complaint: Complaint, reason: str, actor) -> None:
    """Decline a complaint; the reason is told to the complainant on the tracking page."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status != PublicStatus.RECEIVED:
        raise InvalidTransition(
            _("Complaint %(reference)s has already been triaged.") % {"reference": complaint.reference}
        )
    if not reason.strip():
        raise ValidationError(_("Give the reason; the complainant will read it."), code="no_reason")
    # The tracking page opens with the tracking code alone, which is passed around: a reason
    # needs no name or number of the complainant.
    _identity_check(identities=_complaint_identities(complaint), texts={"reason": reason})
    complaint_status_publish(
        complaint=complaint, status=PublicStatus.NOT_ACCEPTED, text=reason.strip(), actor=actor
    )


@transaction.atomic
def complaint_merge(*, complaint: Complaint, case: Case, actor) -> None:
    """Gather a duplicate complaint into an existing case; the link is kept both ways."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    case = _lock(case)
    if complaint.status != PublicStatus.RECEIVED or hasattr(complaint, "case_link"):
        raise InvalidTransition(
            _("Complaint %(reference)s has already been triaged.") % {"reference": complaint.reference}
        )
    CaseComplaint.objects.create(case=case, complaint=complaint, is_primary=False)
    # The title came from the first complaint and may name the person who filed this one.
    title = redact_text(case.title, case_identities(case))[: Case._meta.get_field("title").max_length]
    if title != case.title:
        case.title = title
        case.save(update_fields=["title", "updated_at"])
    case_event_add(case, A.MERGED, actor, note=complaint.reference)
    _publish(case, actor=actor)


@transaction.atomic
def case_assign(
    *, case: Case, actor, office: Office | None = None, handler=None, priority: str | None = None
) -> Case:
    case = _lock(case)
    changes = []
    if office is not None and office.pk != case.office_id:
        case.office = office
        changes.append(_("office: %(office)s") % {"office": office})
    if handler is not None and handler.pk != case.handler_id:
        case.handler = handler
        changes.append(_("handler: %(handler)s") % {"handler": handler.get_full_name() or handler.username})
    if priority and priority != case.priority:
        case.priority = priority
        changes.append(_("priority: %(priority)s") % {"priority": Case.Priority(priority).label})
    if changes:
        case.save(update_fields=["office", "handler", "priority", "updated_at"])
        case_event_add(case, A.ASSIGNED, actor, note="; ".join(changes))
    return case


@transaction.atomic
def case_self_handle(*, case: Case, actor, note: str = "") -> Case:
    """The centre handles the case itself (自办): "handle more, transfer less"."""
    case = _lock(case)
    case.disposition = Case.Disposition.SELF
    _move(
        case,
        S.HANDLING,
        actor=actor,
        action=A.SELF_HANDLED,
        note=note,
        fields=("disposition",),
        sources=(S.ACCEPTED,),
    )
    return case


# --- Referral, report, review -----------------------------------------------------------


@transaction.atomic
def case_refer(
    *,
    case: Case,
    department: Department,
    kind: str,
    released_text: str,
    actor,
    instructions: str = "",
    working_days: int | None = None,
) -> Referral:
    """Send the case to a department with a deadline in working days."""
    case = _lock(case)
    if not released_text.strip():
        raise ValidationError(_("Give the text the department will read."), code="no_text")
    if kind not in Referral.Kind.values:
        raise ValidationError(_("Choose transferred or assigned."), code="bad_kind")
    days = working_days or referral_period(kind=kind, priority=case.priority)
    if days < 1:
        raise ValidationError(_("A deadline is at least one working day."), code="bad_days")
    # Both are e-mailed to the department and shown on its portal.
    _identity_check(
        identities=case_identities(case),
        texts={"released_text": released_text, "instructions": instructions},
    )
    case.disposition = kind
    _move(
        case,
        S.REFERRED,
        actor=actor,
        action=A.REFERRED,
        fields=("disposition",),
        sources=(S.ACCEPTED, S.HANDLING),
        note=_("%(department)s, %(days)s working days") % {"department": department, "days": days},
    )
    referral = Referral.objects.create(
        case=case,
        department=department,
        kind=kind,
        instructions=instructions,
        released_text=released_text.strip(),
        sent_at=timezone.now(),
        sent_by=actor_user(actor),
    )
    _referral_deadline(referral, days)
    _referral_notice_queue(referral)
    return referral


def _referral_notice_queue(referral: Referral, *, return_reason: str = "") -> None:
    """One e-mail to the department: what to do, by when (and why it came back)."""
    department = referral.department
    language = department.language
    with translation.override(language):
        due_explained = deadline_explain(referral.deadline) if referral.deadline_id else ""
    context = {
        "referral": referral,
        "return_reason": return_reason,
        "due_explained": due_explained,
        "portal_url": settings.SITE_URL + reverse("department_portal:referral", args=[referral.pk]),
    }
    subject, text, html = render_email("email/referral_notice", context, language=language)
    outbox_enqueue(
        key=f"referral-notice:{referral.pk}:{referral.round}",
        kind="referral_notice",
        to=[department.email],
        subject=subject,
        text=text,
        html=html,
        language=language,
        related=referral.case.reference,
    )


def _referral_deadline(referral: Referral, days: int) -> None:
    deadline = deadline_create(
        subject=referral,
        kind="referral",
        start_date=timezone.localdate(),
        working_days=days,
        round=referral.round,
    )
    referral.deadline = deadline
    referral.due_date = deadline.due_date
    referral.save(update_fields=["deadline", "due_date"])


@transaction.atomic
def referral_acknowledge(*, referral: Referral, actor) -> Referral:
    """The department confirms receipt (签收)."""
    referral = Referral.objects.select_for_update().select_related("case").get(pk=referral.pk)
    _referral_move(referral, Referral.Status.ACKNOWLEDGED)
    referral.acknowledged_at = timezone.now()
    referral.acknowledged_by = actor_user(actor)
    referral.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
    case_event_add(referral.case, A.ACKNOWLEDGED, actor, note=str(referral.department))
    return referral


@transaction.atomic
def referral_report(
    *, referral: Referral, facts: str, finding: str, measures: str, actor, uploads: list[PreparedUpload] = ()
) -> HandlingReport:
    """The department reports what it found and did (办理报告); the case goes to review."""
    referral = Referral.objects.select_for_update().select_related("case").get(pk=referral.pk)
    if not facts.strip() or not measures.strip():
        raise ValidationError(_("Describe the facts found and the measures taken."), code="incomplete")
    if finding not in Case.Finding.values:
        raise ValidationError(_("Choose a finding."), code="bad_finding")
    _referral_move(referral, Referral.Status.REPORTED)
    referral.save(update_fields=["status"])
    report = HandlingReport.objects.create(
        referral=referral,
        round=referral.round,
        facts=facts.strip(),
        finding=finding,
        measures=measures.strip(),
        submitted_at=timezone.now(),
        submitted_by=actor_user(actor),
    )
    for upload in uploads:
        name = default_storage.save(upload.storage_name, ContentFile(upload.content))
        ReportAttachment.objects.create(
            report=report,
            file=name,
            display_name=upload.display_name,
            content_type=upload.content_type,
            size=upload.size,
            sha256=upload.sha256,
        )
    if referral.deadline_id:
        deadline_meet(deadline=referral.deadline)
    report.review_deadline = deadline_create(
        subject=report,
        kind="report_review",
        start_date=timezone.localdate(),
        working_days=settings.REPORT_REVIEW_DAYS,
    )
    report.save(update_fields=["review_deadline"])
    case = _lock(referral.case)
    _move(
        case,
        S.REVIEWING,
        actor=actor,
        action=A.REPORTED,
        sources=(S.REFERRED,),
        note=_("Round %(round)s: %(finding)s")
        % {"round": report.round, "finding": report.get_finding_display()},
    )
    _staff_notice_queue(
        case=case,
        notice="report_received",
        key=f"{report.pk}",
        context={
            "report": report,
            "department": referral.department,
            "review_due": report.review_deadline.due_date,
        },
    )
    return report


@transaction.atomic
def report_review(
    *, report: HandlingReport, decision: str, actor, reason: str = "", working_days: int | None = None
) -> Review:
    """Accept a report, or return it for re-investigation with a reason and a new deadline."""
    report = HandlingReport.objects.select_related("referral__case").get(pk=report.pk)
    referral = Referral.objects.select_for_update().get(pk=report.referral_id)
    if referral.round != report.round or hasattr(report, "review"):
        raise InvalidTransition(_("This report has already been reviewed."))
    case = _lock(referral.case)
    # The department reads the reason on its portal, and a return reason in the e-mail too.
    _identity_check(identities=case_identities(case), texts={"reason": reason})
    now = timezone.now()
    if report.review_deadline_id:
        deadline_meet(deadline=report.review_deadline)
    if decision == Review.Decision.ACCEPT:
        _referral_move(referral, Referral.Status.ACCEPTED)
        referral.closed_at = now
        referral.save(update_fields=["status", "closed_at"])
        case.finding = report.finding
        _move(
            case,
            S.HANDLING,
            actor=actor,
            action=A.REPORT_ACCEPTED,
            note=reason,
            fields=("finding",),
            sources=(S.REVIEWING,),
        )
        return Review.objects.create(
            report=report, decision=decision, reason=reason, reviewed_at=now, reviewed_by=actor_user(actor)
        )
    if decision != Review.Decision.RETURN:
        raise ValidationError(_("Choose accept or return."), code="bad_decision")
    if not reason.strip():
        raise ValidationError(_("Say why the report is returned."), code="no_reason")
    days = working_days or referral_period(kind=referral.kind, priority=case.priority)
    _referral_move(referral, Referral.Status.RETURNED)
    referral.round += 1
    referral.save(update_fields=["status", "round"])
    _referral_deadline(referral, days)  # a new deadline starts a new ladder
    _referral_notice_queue(referral, return_reason=reason.strip())
    _move(
        case,
        S.REFERRED,
        actor=actor,
        action=A.REPORT_RETURNED,
        sources=(S.REVIEWING,),
        note=_("%(reason)s (new due date %(due)s)") % {"reason": reason.strip(), "due": referral.due_date},
    )
    return Review.objects.create(
        report=report,
        decision=decision,
        reason=reason.strip(),
        reviewed_at=now,
        new_due_date=referral.due_date,
        reviewed_by=actor_user(actor),
    )


@transaction.atomic
def case_take_over(*, case: Case, reason: str, actor) -> Case:
    """Take a referred case back and handle it in the centre (serious cases: 敢于接手)."""
    case = _lock(case)
    if not reason.strip():
        raise ValidationError(_("Say why the centre takes the case over."), code="no_reason")
    referral = case.referrals.select_for_update().filter(status__in=Referral.OPEN_STATUSES).first()
    if case.status not in (S.REFERRED, S.REVIEWING) or referral is None:
        raise InvalidTransition(_("Only a case with an open referral can be taken over."))
    _referral_move(referral, Referral.Status.WITHDRAWN)
    referral.closed_at = timezone.now()
    referral.save(update_fields=["status", "closed_at"])
    if referral.deadline_id:
        deadline_cancel(deadline=referral.deadline)
    case.taken_over = True
    case.disposition = Case.Disposition.SELF
    _move(
        case,
        S.HANDLING,
        actor=actor,
        action=A.TAKEN_OVER,
        note=reason.strip(),
        sources=(S.REFERRED, S.REVIEWING),
        fields=("taken_over", "disposition"),
    )
    return case


# --- Findings, recommendations, closure --------------------------------------------------


@transaction.atomic
def case_record_finding(
    *,
    case: Case,
    finding: str,
    actor,
    note: str = "",
    follow_up_on: date | None = None,
    explanation_days: int = 10,
) -> Case:
    """Record the finding. One that cannot be verified obliges the unit to explain and submit a
    rectification plan, and the case gets a follow-up check date (seed §三.1)."""
    case = _lock(case)
    if case.status != S.HANDLING:
        raise InvalidTransition(_("A finding is recorded while the centre handles the case."))
    if finding not in Case.Finding.values:
        raise ValidationError(_("Choose a finding."), code="bad_finding")
    if finding == Case.Finding.UNVERIFIABLE:
        if follow_up_on is None:
            raise ValidationError(
                _("A finding that cannot be verified needs a follow-up check date."), code="no_follow_up"
            )
        if case.department_id is None:
            raise ValidationError(
                _("Name the unit that must explain itself before recording this finding."), code="no_unit"
            )
        # The note is the basis of the explanation the unit is asked for: the unit reads it.
        _identity_check(identities=case_identities(case), texts={"note": note})
    case.finding, case.finding_note, case.follow_up_on = finding, note, follow_up_on
    case.save(update_fields=["finding", "finding_note", "follow_up_on", "updated_at"])
    case_event_add(case, A.FINDING, actor, note=f"{case.get_finding_display()}. {note}".strip())
    if finding == Case.Finding.UNVERIFIABLE:
        _recommendation_create(
            case=case,
            department=case.department,
            kind=Recommendation.Kind.EXPLANATION,
            actor=actor,
            content=_("Explain the matter and submit a rectification plan."),
            basis=note,
            working_days=explanation_days,
        )
    return case


def _recommendation_create(*, case, department, kind, content, basis, working_days, actor) -> Recommendation:
    recommendation = Recommendation.objects.create(
        case=case,
        department=department,
        kind=kind,
        content=content,
        basis=basis,
        issued_at=timezone.now(),
        issued_by=actor_user(actor),
    )
    deadline = deadline_create(
        subject=recommendation,
        kind="recommendation",
        start_date=timezone.localdate(),
        working_days=working_days,
    )
    recommendation.deadline, recommendation.due_date = deadline, deadline.due_date
    recommendation.save(update_fields=["deadline", "due_date"])
    case_event_add(
        case,
        A.RECOMMENDATION,
        actor,
        note=_("%(kind)s to %(department)s, rectify by %(due)s")
        % {"kind": recommendation.get_kind_display(), "department": department, "due": deadline.due_date},
    )
    return recommendation


@transaction.atomic
def recommendation_issue(
    *, case: Case, department: Department, content: str, actor, basis: str = "", working_days: int = 20
) -> Recommendation:
    """A supervision recommendation (监察建议) with a rectification deadline."""
    if not content.strip():
        raise ValidationError(_("Write the recommendation."), code="no_content")
    case = _lock(case)
    _identity_check(identities=case_identities(case), texts={"content": content, "basis": basis})
    return _recommendation_create(
        case=case,
        department=department,
        kind=Recommendation.Kind.SUPERVISION,
        content=content.strip(),
        basis=basis,
        working_days=working_days,
        actor=actor,
    )


@transaction.atomic
def recommendation_reply(*, recommendation: Recommendation, reply: str, actor) -> Recommendation:
    """The unit's rectification report."""
    recommendation = (
        Recommendation.objects.select_for_update().select_related("case").get(pk=recommendation.pk)
    )
    if not reply.strip():
        raise ValidationError(_("Describe the rectification."), code="no_reply")
    if Recommendation.Status.REPLIED not in Recommendation.TRANSITIONS[recommendation.status]:
        raise InvalidTransition(_("This recommendation does not await a reply."))
    recommendation.status = Recommendation.Status.REPLIED
    recommendation.reply, recommendation.replied_at = reply.strip(), timezone.now()
    recommendation.save(update_fields=["status", "reply", "replied_at"])
    if recommendation.deadline_id:
        deadline_meet(deadline=recommendation.deadline)
    case_event_add(recommendation.case, A.RECOMMENDATION_REPLY, actor, note=str(recommendation.department))
    # A reply returned and answered again is a new reply: one notice per reply.
    _staff_notice_queue(
        case=recommendation.case,
        notice="rectification_received",
        key=f"{recommendation.pk}:{recommendation.replied_at:%Y%m%d%H%M%S%f}",
        context={"recommendation": recommendation, "department": recommendation.department},
    )
    return recommendation


@transaction.atomic
def recommendation_close(
    *, recommendation: Recommendation, accept: bool, actor, note: str = "", working_days: int = 10
) -> Recommendation:
    """Staff accept the rectification, or return the reply with a new deadline."""
    recommendation = (
        Recommendation.objects.select_for_update().select_related("case").get(pk=recommendation.pk)
    )
    target = Recommendation.Status.CLOSED if accept else Recommendation.Status.RETURNED
    if target not in Recommendation.TRANSITIONS[recommendation.status]:
        raise InvalidTransition(_("This recommendation has no reply to decide on."))
    if not accept:
        if not note.strip():
            raise ValidationError(_("Say why the reply is not enough."), code="no_reason")
        # The return reason is shown to the unit; a note on closing stays on the timeline.
        _identity_check(identities=case_identities(recommendation.case), texts={"note": note})
    recommendation.status = target
    fields = ["status"]
    if accept:
        recommendation.closed_at = timezone.now()
        fields.append("closed_at")
    else:
        deadline = deadline_create(
            subject=recommendation,
            kind="recommendation",
            start_date=timezone.localdate(),
            working_days=working_days,
            round=2,
        )
        recommendation.deadline, recommendation.due_date = deadline, deadline.due_date
        recommendation.return_reason = note.strip()
        fields += ["deadline", "due_date", "return_reason"]
    recommendation.save(update_fields=fields)
    case_event_add(
        recommendation.case,
        A.RECOMMENDATION_CLOSED,
        actor,
        note=f"{recommendation.get_status_display()}. {note}".strip(),
    )
    return recommendation


@transaction.atomic
def case_close(*, case: Case, result_summary: str, actor, finding: str = "") -> Case:
    """Conclude the case (办结); the result goes to every complainant of the case."""
    case = _lock(case)
    if case.status != S.HANDLING:
        raise InvalidTransition(
            _("Case %(reference)s cannot go from “%(current)s” to “%(target)s”.")
            % {"reference": case.reference, "current": case.get_status_display(), "target": S.CONCLUDED.label}
        )
    if not result_summary.strip():
        raise ValidationError(_("Write the result for the complainant."), code="no_result")
    if finding:
        case.finding = finding
    if not case.finding:
        raise ValidationError(_("Record a finding before concluding the case."), code="no_finding")
    # Every complainant of the case reads the same result: none may read who the others are.
    _identity_check(identities=case_identities(case), texts={"result_summary": result_summary})
    case.result_summary = result_summary.strip()
    case.closed_at = timezone.now()
    before = case.status
    case.status = S.CONCLUDED
    case.save(update_fields=["status", "result_summary", "closed_at", "finding", "updated_at"])
    _publish(case, actor=actor, text=case.result_summary)
    case_event_add(
        case, A.CONCLUDED, actor, note=case.result_summary, from_status=before, to_status=S.CONCLUDED
    )
    return case


@transaction.atomic
def case_reopen(*, case: Case, reason: str, actor) -> Case:
    """Reopen a concluded case, e.g. after an unsatisfied rating."""
    case = _lock(case)
    if not reason.strip():
        raise ValidationError(_("Say why the case is reopened."), code="no_reason")
    if case.status != S.CONCLUDED:
        raise InvalidTransition(_("Only a concluded case can be reopened."))
    case.closed_at = None
    case.reopened_count += 1
    _move(
        case,
        S.HANDLING,
        actor=actor,
        action=A.REOPENED,
        note=reason.strip(),
        sources=(S.CONCLUDED,),
        fields=("closed_at", "reopened_count"),
    )
    return case


@transaction.atomic
def case_mark_typical(*, case: Case, summary: str, actor) -> Case:
    """Mark a case as typical (典型案例), with a summary for circulation."""
    case = _lock(case)
    if not summary.strip():
        raise ValidationError(_("Write the summary to circulate."), code="no_summary")
    _identity_check(identities=case_identities(case), texts={"summary": summary})
    case.is_typical, case.typical_summary = True, summary.strip()
    case.save(update_fields=["is_typical", "typical_summary", "updated_at"])
    case_event_add(case, A.TYPICAL, actor)
    return case


# --- Talks and visits -------------------------------------------------------------------------


@transaction.atomic
def talk_record(
    *,
    department: Department,
    heads: str,
    held_on: date,
    place: str,
    record: str,
    actor,
    cases: list[Case] = (),
    commitments: str = "",
    follow_up_on: date | None = None,
    action_against_responsible: str = "",
) -> AccountabilityTalk:
    """Record an accountability talk (问责谈话) with a unit's head(s)."""
    if not heads.strip() or not record.strip():
        raise ValidationError(_("Name the unit heads and record the talk."), code="incomplete")
    talk = AccountabilityTalk.objects.create(
        department=department,
        heads=heads.strip(),
        held_on=held_on,
        place=place,
        record=record.strip(),
        commitments=commitments,
        follow_up_on=follow_up_on,
        action_against_responsible=action_against_responsible,
        recorded_by=actor_user(actor),
    )
    talk.cases.set(cases)
    for case in cases:
        case_event_add(
            case,
            A.TALK,
            actor,
            note=_("%(department)s, %(date)s") % {"department": department, "date": held_on},
        )
    return talk


@transaction.atomic
def talk_update(*, talk: AccountabilityTalk, changes: dict, cases: list[Case], actor) -> AccountabilityTalk:
    """Correct a recorded talk; every case it concerns, before or after, gets a timeline entry."""
    talk = AccountabilityTalk.objects.select_for_update().get(pk=talk.pk)
    before = set(talk.cases.values_list("pk", flat=True))
    for name, value in changes.items():
        setattr(talk, name, value)
    if not talk.heads.strip() or not talk.record.strip():
        raise ValidationError(_("Name the unit heads and record the talk."), code="incomplete")
    talk.save(update_fields=list(changes))
    talk.cases.set(cases)
    note = _("Accountability talk of %(date)s corrected.") % {"date": talk.held_on}
    for case in Case.objects.filter(pk__in=before | {case.pk for case in cases}):
        case_event_add(case, A.TALK, actor, note=note)
    return talk


@transaction.atomic
def talk_delete(*, talk: AccountabilityTalk, actor) -> None:
    """Remove a talk recorded in error; each case it concerned keeps a timeline entry saying so."""
    talk = AccountabilityTalk.objects.select_for_update().get(pk=talk.pk)
    note = _("Accountability talk of %(date)s deleted.") % {"date": talk.held_on}
    for case in talk.cases.all():
        case_event_add(case, A.TALK, actor, note=note)
    talk.delete()


@transaction.atomic
def visit_record(
    *, visited_on: date, department: Department, team: str, findings: str, actor
) -> UnannouncedVisit:
    if not findings.strip():
        raise ValidationError(_("Record what the visit found."), code="no_findings")
    return UnannouncedVisit.objects.create(
        visited_on=visited_on,
        department=department,
        team=team,
        findings=findings.strip(),
        recorded_by=actor_user(actor),
    )


VISIT_FIELDS = frozenset({"visited_on", "department", "team", "findings"})


def _visit_cases(visit: UnannouncedVisit):
    """The cases opened from a visit's findings. No column links them: visit_open_case files the
    complaint on the visit channel with the visit's unit and date, and that is what ties them."""
    return Case.objects.filter(
        complaint_links__complaint__channel=Channel.UNANNOUNCED_VISIT,
        complaint_links__complaint__department_id=visit.department_id,
        complaint_links__complaint__occurred_on=visit.visited_on,
    ).distinct()


@transaction.atomic
def visit_update(*, visit: UnannouncedVisit, changes: dict, actor) -> UnannouncedVisit:
    """Correct a recorded visit under the rules of recording one; every case opened from its
    findings gets a timeline entry naming what was corrected."""
    unknown = set(changes) - VISIT_FIELDS
    if unknown:
        raise ValueError(f"not fields of a visit that can be corrected: {sorted(unknown)}")
    visit = UnannouncedVisit.objects.select_for_update().get(pk=visit.pk)
    if not changes:
        return visit
    # Matched before the correction: afterwards the unit or date may no longer say which they are.
    cases = list(_visit_cases(visit))
    for name, value in changes.items():
        setattr(visit, name, value.strip() if isinstance(value, str) else value)
    if not visit.findings:
        raise ValidationError({"findings": _("Record what the visit found.")})
    visit.save(update_fields=list(changes))
    note = _("Unannounced visit of %(date)s corrected: %(fields)s.") % {
        "date": visit.visited_on,
        "fields": ", ".join(str(UnannouncedVisit._meta.get_field(name).verbose_name) for name in changes),
    }
    for case in cases:
        case_event_add(case, A.NOTE, actor, note=note)
    return visit


@transaction.atomic
def visit_delete(*, visit: UnannouncedVisit, actor) -> None:
    """Remove a visit recorded in error; the cases opened from its findings keep a timeline entry."""
    visit = UnannouncedVisit.objects.select_for_update().get(pk=visit.pk)
    note = _("Unannounced visit of %(date)s deleted.") % {"date": visit.visited_on}
    for case in _visit_cases(visit):
        case_event_add(case, A.NOTE, actor, note=note)
    visit.delete()


@transaction.atomic
def visit_open_case(*, visit: UnannouncedVisit, category: str, description: str, actor) -> Case:
    """A finding of an unannounced visit opens a case (channel: unannounced visit)."""
    return case_open_from_finding(
        department=visit.department,
        category=category,
        description=description,
        occurred_on=visit.visited_on,
        channel=Channel.UNANNOUNCED_VISIT,
        source=_("Unannounced visit of %(date)s, team %(team)s")
        % {"date": visit.visited_on, "team": visit.team},
        actor=actor,
    )


@transaction.atomic
def case_open_from_finding(
    *, department, category: str, description: str, occurred_on, channel: str, source: str, actor
) -> Case:
    """A finding of the commission's own (an unannounced visit, an inspection's flag or rating)
    opens a case: an anonymous complaint against the unit through ``channel``, accepted at once.
    No identity is recorded: nobody complained, the commission found it."""
    submitted = complaint_submit(
        data=ComplaintData(
            complainant_type=ComplainantType.INDIVIDUAL,
            category=category,
            description=description,
            department=department,
            occurred_on=occurred_on,
        ),
        identity=None,
        channel=channel,
        actor=actor,
        source=source,
    )
    return complaint_accept(complaint=submitted.complaint, actor=actor)


# --- Identity access -------------------------------------------------------------------------


@transaction.atomic
def identity_access_request(*, complaint: Complaint, reason: str, actor) -> IdentityAccessRequest:
    """Ask to see who complained; an office head decides."""
    if not reason.strip():
        raise ValidationError(_("Say why you need to know who complained."), code="no_reason")
    if IdentityAccessRequest.objects.filter(
        complaint=complaint, requested_by=actor, status=IdentityAccessRequest.Status.PENDING
    ).exists():
        raise ValidationError(_("You have already asked; an office head will decide."), code="duplicate")
    request = IdentityAccessRequest.objects.create(
        complaint=complaint, requested_by=actor, reason=reason.strip()
    )
    link = CaseComplaint.objects.filter(complaint=complaint).select_related("case").first()
    if link:
        case_event_add(link.case, A.IDENTITY_REQUESTED, actor, note=reason.strip())
    return request


@transaction.atomic
def identity_access_decide(
    *, request: IdentityAccessRequest, approve: bool, actor, note: str = ""
) -> IdentityAccessRequest:
    request = IdentityAccessRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != IdentityAccessRequest.Status.PENDING:
        raise InvalidTransition(_("This request has already been decided."))
    if not actor.has_perm("casework.approve_identity_access"):
        raise ValidationError(_("Only an office head can decide on identity access."), code="forbidden")
    if request.requested_by_id == actor.pk:
        raise ValidationError(_("Nobody can approve their own request."), code="own_request")
    request.status = (
        IdentityAccessRequest.Status.APPROVED if approve else IdentityAccessRequest.Status.REFUSED
    )
    request.decided_by, request.decided_at, request.decision_note = actor, timezone.now(), note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    link = CaseComplaint.objects.filter(complaint_id=request.complaint_id).select_related("case").first()
    if link:
        case_event_add(
            link.case,
            A.IDENTITY_DECIDED,
            actor,
            note=f"{request.get_status_display()}: {request.requested_by}",
        )
    return request


# --- What the intake and the shared deadlines report -----------------------------------------
# Called by casework.receivers, inside the transaction of whoever sent the signal: the timeline
# entry commits or rolls back with the rating, the supplement or the calendar edit.


def _case_of(complaint: Complaint) -> Case | None:
    link = CaseComplaint.objects.filter(complaint=complaint).select_related("case").first()
    return link.case if link is not None else None


def case_rating_record(*, complaint: Complaint, rating) -> CaseEvent | None:
    """The complainant's rating on the timeline of the case the complaint is in (no actor: the
    complainant has no account)."""
    case = _case_of(complaint)
    if case is None:
        return None
    return case_event_add(case, A.RATED, None, note=f"{rating.get_level_display()} {rating.comment}".strip())


def case_supplement_record(*, complaint: Complaint, supplement) -> CaseEvent | None:
    """A note on the case's timeline when the complainant adds information to the complaint."""
    if not supplement.from_complainant:
        return None
    case = _case_of(complaint)
    if case is None:
        return None
    note = _("The complainant added information to %(reference)s.") % {"reference": complaint.reference}
    return case_event_add(case, A.NOTE, None, note=note)


@transaction.atomic
def case_due_dates_sync(*, model: type[Referral] | type[Recommendation], changes, reason: str) -> int:
    """After the shared deadlines were recomputed (a calendar edit): the subjects' stored due dates
    follow, and each case's timeline says what moved, in two statements however many due dates
    moved (a join, not a subquery per row, and the cases come back from the UPDATE itself).
    ``changes`` are (deadline, old due date, new due date); returns the number of events."""
    moved = {deadline.pk: (old, new) for deadline, old, new in changes}
    what = str(model._meta.verbose_name)
    qn = connection.ops.quote_name
    condition, params = in_ids("d.id", moved)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(model._meta.db_table)} AS s SET due_date = d.due_date "  # noqa: S608
            f"FROM {qn(Deadline._meta.db_table)} AS d WHERE s.deadline_id = d.id AND {condition} "
            "RETURNING case_id, deadline_id",  # unqualified: SQLite names only its own columns
            params,
        )
        rows = cursor.fetchall()
    return case_events_add_many(
        [
            (
                case_id,
                _("%(what)s due date %(old)s → %(new)s: %(reason)s")
                % {
                    "what": what,
                    "old": moved[deadline_id][0],
                    "new": moved[deadline_id][1],
                    "reason": reason,
                },
            )
            for case_id, deadline_id in rows
        ],
        action=A.DEADLINE_CHANGED,
    )


# --- Internal notes and messages with the complainant -----------------------------------------


@transaction.atomic
def case_note_add(*, case: Case, text: str, actor) -> CaseEvent:
    """An internal note on the case's timeline: staff only, never released to a department or
    shown to a complainant (no page outside the staff workplace reads the timeline)."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the note.")}, code="empty")
    case = _lock(case)
    return case_event_add(case, A.INTERNAL_NOTE, actor, note=text)


def case_message_complaints(case: Case):
    """The complaints of the case a message can go to (through their tracking codes), the first
    complaint first."""
    return Complaint.objects.filter(case_link__case=case).order_by(
        "-case_link__is_primary", "case_link__linked_at", "pk"
    )


@transaction.atomic
def case_message_send(*, case: Case, text: str, actor, complaint: Complaint | None = None) -> Message:
    """Ask the complainant a question or tell them something, from the case: the message waits on
    the tracking page (anonymous complainants too), is on the timeline, and a complainant who left
    an e-mail address is told there is a new message (the e-mail carries nothing of the case).
    Messages stay between the centre and the complainant: no department ever reads them."""
    case = _lock(case)
    complaints = list(case_message_complaints(case))
    if complaint is None:
        complaint = complaints[0] if complaints else None
    if complaint is None or complaint.pk not in {c.pk for c in complaints}:
        raise ValidationError(_("Choose a complaint of this case."), code="not_in_case")
    message = complaint_message_send(complaint=complaint, text=text, actor=actor)
    note = message.text
    if len(complaints) > 1:
        note = _("To the complainant of %(reference)s: %(text)s") % {
            "reference": complaint.reference,
            "text": message.text,
        }
    case_event_add(case, A.MESSAGE_SENT, actor, note=note)
    return message


def case_message_received_record(*, complaint: Complaint, message) -> CaseEvent | None:
    """The complainant's message on the case's timeline (its text in the note, which the staff
    workplace masks for staff who may not see who complained) and a notice to the handler."""
    case = _case_of(complaint)
    if case is None:
        return None
    names = [attachment.display_name for attachment in message.attachments.all()]
    note = message.text
    if names:
        note = "\n".join(part for part in (note, _("Files: %(names)s") % {"names": ", ".join(names)}) if part)
    event = case_event_add(case, A.MESSAGE_RECEIVED, None, note=note)
    _staff_notice_queue(
        case=case,
        notice="message_received",
        key=f"{message.pk}",
        context={"complaint": complaint, "files": len(names)},
    )
    return event


# --- Notices to the centre's staff ------------------------------------------------------------
# To the case's handler; without one, the head of the case's office or the office's address;
# without an office, the intake staff (who triage and can see who complained). In the site's
# language: staff accounts keep no language of their own. Links lead into the staff workplace;
# the e-mails name the case and the department, never the complainant.


def staff_notice_queue(*, to: list[str], notice: str, key: str, context: dict, related: str = ""):
    """One notice to staff (templates/email/staff_<notice>.*), queued once under its key."""
    language = settings.LANGUAGE_CODE
    subject, text, html = render_email(f"email/staff_{notice}", context, language=language)
    return outbox_enqueue(
        key=f"staff-{notice}:{key}",
        kind=f"staff_{notice}",
        to=to,
        subject=subject,
        text=text,
        html=html,
        language=language,
        related=related,
    )


def _staff_notice_queue(*, case: Case, notice: str, key: str, context: dict):
    context = {
        "case": case,
        "case_url": settings.SITE_URL + reverse("admin:casework_case_change", args=[case.pk]),
        **context,
    }
    return staff_notice_queue(
        to=case_notice_recipients(case), notice=notice, key=key, context=context, related=case.reference
    )


# --- What the complainant can expect next (the tracking page) ----------------------------------


def complaint_next_step_for_case(complaint: Complaint) -> NextStep | None:
    """Registered with complaints.selectors.next_step_providers: the next step of the case the
    complaint is in, and the date it is due where there is one (working days)."""
    case = _case_of(complaint)
    if case is None:
        return None
    if case.status == S.ACCEPTED:
        return NextStep(
            _(
                "Your complaint has been accepted. The complaint centre decides whether it handles "
                "the matter itself or refers it to the department responsible under its supervision."
            )
        )
    if case.status == S.REFERRED:
        referral = case.referrals.filter(status__in=Referral.OPEN_STATUSES).order_by("-sent_at").first()
        return NextStep(
            _(
                "The department responsible is investigating under the complaint centre's supervision. "
                "Its report is due by the date below; the centre then reviews it."
            ),
            referral.due_date if referral else None,
        )
    if case.status == S.REVIEWING:
        report = (
            HandlingReport.objects.filter(referral__case=case, review__isnull=True)
            .select_related("review_deadline")
            .order_by("-submitted_at")
            .first()
        )
        due = report.review_deadline.due_date if report and report.review_deadline_id else None
        return NextStep(_("The complaint centre is reviewing the department's report."), due)
    if case.status == S.HANDLING:
        recommendation = (
            case.recommendations.filter(status__in=Recommendation.AWAITING_REPLY).order_by("due_date").first()
        )
        if recommendation is not None:
            return NextStep(
                _("The unit has been asked to put the matter right and report by the date below."),
                recommendation.due_date,
            )
        return NextStep(
            _("The complaint centre is handling your complaint and will tell you the result here.")
        )
    return None
