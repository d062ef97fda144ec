"""Every write of the democratic appraisal (民主评议): campaigns opened and closed, invitations
issued and reminded (e-mails through the outbox), answers stored.

Answers cannot be joined to respondents (see appraisal/models/campaigns.py). Two rules here
keep it so:
* ``answer_submit`` marks the invitation used in one transaction and stores the answer in
  another. In one transaction the two rows would carry the same PostgreSQL transaction id
  (the system column xmin), a join anyone reading the tables could make. The price: if the
  second transaction failed (the answer was validated before, so only the database going away
  could make it fail), the invitation would be used and the answer lost; the respondent can
  still answer through the campaign's public link if it is open.
* nothing writes the time of an answer, nor of a use, anywhere (no timeline event, no log line
  with the token, no cache key named after the invitation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal.campaigns.tokens import token_hash, token_new
from appraisal.models import Answer, AnswerItem, Campaign, Invitation, Question
from complaints.models import Complaint, PublicStatus
from core.calendar import WorkingCalendar
from core.outbox import outbox_enqueue_many, render_email
from liaison.models import LiaisonPoint, Supervisor

TEXT_MAX = 2000


@dataclass(frozen=True)
class Respondent:
    """Someone to invite: what the invitation keeps (kind, name, e-mail, language)."""

    kind: str
    email: str
    name: str = ""
    language: str = "zh-hans"


def campaign_open(*, campaign: Campaign, actor) -> Campaign:
    """Open a draft campaign: it needs departments and at least one question."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != Campaign.Status.DRAFT:
            raise ValidationError(_("Only a draft campaign can be opened."), code="not_draft")
        if not locked.departments.exists():
            raise ValidationError(_("Choose the departments appraised first."), code="no_departments")
        if not locked.questions.exists():
            raise ValidationError(_("Add at least one question first."), code="no_questions")
        locked.status = Campaign.Status.OPEN
        locked.save(update_fields=["status"])
    return locked


def campaign_close(*, campaign: Campaign, actor) -> Campaign:
    """Close an open campaign now (the sweep closes it on its date)."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != Campaign.Status.OPEN:
            raise ValidationError(_("Only an open campaign can be closed."), code="not_open")
        locked.status = Campaign.Status.CLOSED
        locked.save(update_fields=["status"])
    answers_physical_order_forget()
    return locked


def answers_physical_order_forget() -> None:
    """Rewrite the answers and the invitations in an order that says nothing (PostgreSQL's
    CLUSTER): answers by their random ids, invitations by campaign and e-mail. A row's place in
    its table's file (what a dump or ``ORDER BY ctid`` shows) follows the order rows were written
    or updated, so without this the n-th answer could be laid beside the n-th invitation used.
    Run when a campaign closes (its answers are final); a short exclusive lock on small tables."""
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # CLUSTER refuses a table with foreign-key checks still pending in the transaction
        # (Django's are deferred): run them now, and defer them again after.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for model, index in ((Answer, None), (AnswerItem, None), (Invitation, "appraisal_invitation_once")):
            table = model._meta.db_table
            if index is None:
                constraints = connection.introspection.get_constraints(cursor, table)
                index = next(name for name, found in constraints.items() if found["primary_key"])
            cursor.execute(f"CLUSTER {quote(table)} USING {quote(index)}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def respondents_from_directory(*, kinds: Iterable[str]) -> list[Respondent]:
    """Liaison points and supervisors in office, and complainants of concluded complaints who
    left an e-mail and agreed to be invited (complaints.Complaint.appraisal_consent)."""
    kinds, found = set(kinds), []
    if Invitation.Kind.LIAISON_POINT in kinds:
        found += [
            Respondent(kind=Invitation.Kind.LIAISON_POINT, email=email, name=name)
            for name, email in LiaisonPoint.objects.filter(status=LiaisonPoint.Status.ACTIVE)
            .exclude(email="")
            .values_list("enterprise_name", "email")
        ]
    if Invitation.Kind.SUPERVISOR in kinds:
        found += [
            Respondent(kind=Invitation.Kind.SUPERVISOR, email=email, name=name)
            for name, email in Supervisor.objects.filter(status=Supervisor.Status.ACTIVE)
            .exclude(email="")
            .values_list("name", "email")
        ]
    if Invitation.Kind.COMPLAINANT in kinds:
        rows = (
            Complaint.objects.filter(
                appraisal_consent=True, status=PublicStatus.CONCLUDED, identity__isnull=False
            )
            .exclude(identity__email="")
            .values_list("identity__contact_name", "identity__email", "identity__language")
        )
        found += [
            Respondent(
                kind=Invitation.Kind.COMPLAINANT, email=email, name=name, language=language or "zh-hans"
            )
            for name, email, language in rows
        ]
    return found


def _link(token: str) -> str:
    return settings.SITE_URL + reverse("appraisal:invitation_open", kwargs={"token": token})


def _email(*, campaign: Campaign, invitation: Invitation, token: str, reminder: bool) -> dict:
    subject, text, html = render_email(
        "email/appraisal_invitation",
        {"campaign": campaign, "link": _link(token), "reminder": reminder},
        language=invitation.language,
    )
    prefix = "appraisal-reminder" if reminder else "appraisal-invitation"
    return {
        "key": f"{prefix}:{invitation.pk}",
        "kind": prefix,
        "to": [invitation.email],
        "subject": subject,
        "text": text,
        "html": html,
        "language": invitation.language,
        "related": f"appraisal {campaign.pk}",
        # The body carries the one-time link: replaced once sent.
        "scrub_after_sending": True,
    }


def invitations_issue(*, campaign: Campaign, respondents: Iterable[Respondent], actor) -> int:
    """Invite each respondent not yet invited to this campaign (one e-mail each, through the
    outbox); return how many were invited now. The campaign must be open."""
    today = timezone.localdate()
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != Campaign.Status.OPEN:
            raise ValidationError(_("Invitations go out once the campaign is open."), code="not_open")
        wanted: dict[str, Respondent] = {}
        for respondent in respondents:
            email = (respondent.email or "").strip().lower()
            if email and email not in wanted:
                wanted[email] = respondent
        already = set(
            Invitation.objects.filter(campaign=locked, email__in=list(wanted)).values_list("email", flat=True)
        )
        tokens, rows = {}, []
        for email, respondent in wanted.items():
            if email in already:
                continue
            token = token_new()
            tokens[email] = token
            rows.append(
                Invitation(
                    campaign=locked,
                    kind=respondent.kind,
                    name=respondent.name[:200],
                    email=email,
                    language=respondent.language or "zh-hans",
                    token_hash=token_hash(token),
                    invited_on=today,
                )
            )
        created = Invitation.objects.bulk_create(rows, batch_size=500)
        outbox_enqueue_many(
            [
                _email(campaign=locked, invitation=invitation, token=tokens[invitation.email], reminder=False)
                for invitation in created
            ]
        )
    return len(created)


def invitation_by_token(token: str) -> Invitation | None:
    """The unused invitation of an open campaign this token opens, or None."""
    hashed = token_hash(token)
    if hashed is None:
        return None
    return (
        Invitation.objects.select_related("campaign")
        .filter(token_hash=hashed, used=False, campaign__status=Campaign.Status.OPEN)
        .first()
    )


def _clean_answers(
    *, campaign: Campaign, answers: Mapping[int, Mapping[int, object]]
) -> list[tuple[int, list[tuple[int, int | None, str]]]]:
    """Check the answers against the questionnaire: {department id: {question id: value}}."""
    departments = set(campaign.departments.values_list("pk", flat=True))
    questions = {q.pk: q for q in campaign.questions.all()}
    cleaned = []
    for department_id, values in answers.items():
        if department_id not in departments:
            raise ValidationError(_("This department is not appraised in this campaign."), code="department")
        items = []
        for question_id, value in values.items():
            question = questions.get(question_id)
            if question is None:
                raise ValidationError(_("This question is not in this campaign."), code="question")
            if question.kind == Question.Kind.RATING:
                if value in (None, ""):
                    continue
                if not isinstance(value, int) or not 1 <= value <= 5:
                    raise ValidationError(_("Give a score from 1 to 5."), code="score")
                items.append((question_id, value, ""))
            else:
                text = str(value or "").strip()
                if len(text) > TEXT_MAX:
                    raise ValidationError(
                        _("Keep each text under %(count)s characters.") % {"count": TEXT_MAX}, code="text"
                    )
                if text:
                    items.append((question_id, None, text))
        if items:
            cleaned.append((department_id, items))
    if not cleaned:
        raise ValidationError(_("Appraise at least one department."), code="empty")
    return cleaned


def answer_submit(
    *,
    campaign: Campaign,
    answers: Mapping[int, Mapping[int, object]],
    invitation: Invitation | None = None,
    today: dt.date | None = None,
) -> int:
    """Store a respondent's answers (one Answer per department appraised); return their number.

    With an invitation, it is marked used first, in its own transaction (see the module's
    docstring); without one, the campaign must have its public link open. Nothing stored joins
    the answers to the invitation. ``today`` is the day the answer counts as given (the demo
    data's past campaigns); by default today."""
    today = today or timezone.localdate()
    if campaign.status != Campaign.Status.OPEN or not campaign.starts_on <= today <= campaign.closes_on:
        raise ValidationError(_("This appraisal is not open for answers."), code="closed")
    cleaned = _clean_answers(campaign=campaign, answers=answers)
    if invitation is not None:
        with transaction.atomic():
            updated = Invitation.objects.filter(pk=invitation.pk, campaign=campaign, used=False).update(
                used=True
            )
        if not updated:
            raise ValidationError(_("This invitation has already been used."), code="used")
    elif not campaign.public_link_enabled:
        raise ValidationError(_("This appraisal is not open to the public."), code="not_public")
    with transaction.atomic():
        for department_id, items in cleaned:
            answer = Answer.objects.create(campaign=campaign, department_id=department_id)
            AnswerItem.objects.bulk_create(
                AnswerItem(answer=answer, question_id=question_id, score=score, text=text)
                for question_id, score, text in items
            )
    return len(cleaned)


def _reminder_due(campaign: Campaign, *, today: dt.date, calendar: WorkingCalendar) -> bool:
    """Reminders go once at most N working days are left before the closing day (today counted
    when it is one): on the N-th working day before closing, or on the sweep after it."""
    left, day = 0, today
    while day < campaign.closes_on:
        if calendar.day(day)[0]:
            left += 1
        day += dt.timedelta(days=1)
    return left <= campaign.reminder_working_days


def appraisal_sweep(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily sweep, safe to run twice: remind once the invitees who have not answered when
    the reminder day of their open campaign has come (a fresh one-time link each: the first is
    stored only as a hash, and the old link stops working), then close the campaigns whose
    closing day has passed. A few statements whatever the number of invitations."""
    today = today or timezone.localdate()
    reminded = 0
    open_campaigns = list(Campaign.objects.filter(status=Campaign.Status.OPEN, closes_on__gte=today))
    calendar = WorkingCalendar()
    if open_campaigns:  # one window for every campaign: a constant number of queries
        calendar.load(today, max(campaign.closes_on for campaign in open_campaigns))
    due = [campaign for campaign in open_campaigns if _reminder_due(campaign, today=today, calendar=calendar)]
    if due:
        with transaction.atomic():
            invitations = list(
                Invitation.objects.select_for_update(skip_locked=True)
                .select_related("campaign")
                .filter(campaign__in=due, used=False, reminded=False)
            )
            emails = []
            for invitation in invitations:
                token = token_new()
                invitation.token_hash, invitation.reminded = token_hash(token), True
                emails.append(
                    _email(campaign=invitation.campaign, invitation=invitation, token=token, reminder=True)
                )
            Invitation.objects.bulk_update(invitations, ["token_hash", "reminded"], batch_size=500)
            outbox_enqueue_many(emails)
            reminded = len(invitations)
    closed = Campaign.objects.filter(status=Campaign.Status.OPEN, closes_on__lt=today).update(
        status=Campaign.Status.CLOSED
    )
    if closed:
        answers_physical_order_forget()
    return {"reminded": reminded, "closed": closed}
