"""Casework's side of the escalation ladder: referrals and recommendations.

Who hears of a late item, per step (DESIGN.md, the escalation ladder):

1. reminder (催办) → the department's own address (``Department.email``);
2. overdue warning (预警) → the head of the unit (``head_email``), or the department's address
   when no head address is on file, and the digest says so;
3. escalation (督办) → the department's supervising leader (``supervising_leader_email``).

A missing address is never a reason to skip: the recipient then has no address and the outbox
records a failed row that staff see in the admin. Every step reached goes on the case timeline
and raises ``Case.escalation_level`` to at least the step, in bulk.

Registered with ``ladder_handlers_register()`` from ``CaseworkConfig.ready()``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db.models import Model
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from casework.models import Case, CaseEvent, HandlingReport, Recommendation, Referral
from envopt.core.ladder import LadderItem, Notice, Recipient, Step, ladder_registry, step_label
from liaison.models import Department

REFERRAL_KIND = "referral"
RECOMMENDATION_KIND = "recommendation"
REPORT_REVIEW_KIND = "report_review"


def ladder_recipient(department: Department, step: int) -> Recipient:
    """Who hears of a department's late items at ``step``, in the department's language."""
    language = department.language or settings.LANGUAGE_CODE
    with translation.override(language):
        if step == Step.REMIND:
            return Recipient(
                to=_addresses(department.email),
                name=str(department),
                language=language,
                note=_no_address(department),
            )
        if step == Step.WARN:
            if department.head_email:
                name = _("%(name)s, head of %(department)s") % {
                    "name": department.head_name or _("the head of the unit"),
                    "department": department,
                }
                return Recipient(to=_addresses(department.head_email), name=name, language=language)
            note = _(
                "No e-mail address of the head of %(department)s is on file, so this warning was sent to the "
                "department's own address. Please pass it on to the head of the unit."
            ) % {"department": department}
            if not department.email:
                note = _no_address(department)
            return Recipient(
                to=_addresses(department.email),
                name=_("%(department)s (for the head of the unit)") % {"department": department},
                language=language,
                note=note,
            )
        name = _("%(name)s, supervising leader of %(department)s") % {
            "name": department.supervising_leader or _("the supervising leader"),
            "department": department,
        }
        note = ""
        if not department.supervising_leader_email:
            note = _(
                "No e-mail address of the supervising leader of %(department)s is on file: add it in the "
                "directory."
            ) % {"department": department}
        return Recipient(
            to=_addresses(department.supervising_leader_email), name=name, language=language, note=note
        )


_DEPARTMENT_FIELDS = (
    "id",
    "name",
    "email",
    "head_name",
    "head_email",
    "supervising_leader",
    "supervising_leader_email",
    "language",
)


def _addresses(address: str) -> tuple[str, ...]:
    return (address,) if address else ()


def _no_address(department: Department) -> str:
    # Only ever read by staff in the admin's outbox: the row has no recipient and fails.
    if department.email:
        return ""
    return _("No e-mail address is on file for %(department)s: add it in the directory.") % {
        "department": department
    }


class _DepartmentItemLadder:
    """Shared by referrals and recommendations: both belong to a case and a department."""

    model: type[Model]
    kind: str
    portal_view: str

    def what(self, subject: Model, item: LadderItem) -> str:
        raise NotImplementedError

    def notices(self, items: Sequence[LadderItem], step: int) -> list[Notice]:
        # Only what a digest line needs: released texts and replies can be long.
        subjects = (
            self.model.objects.select_related("case", "department")
            .only(
                "id",
                "kind",
                "case__id",
                "case__opened_at",
                *(f"department__{name}" for name in _DEPARTMENT_FIELDS),
            )
            .in_bulk({item.object_id for item in items})
        )
        recipients: dict[int, Recipient] = {}
        notices = []
        for item in items:
            subject = subjects.get(item.object_id)
            if subject is None:
                continue  # the sweep logs an item nobody was told about
            department = subject.department
            if department.pk not in recipients:
                recipients[department.pk] = ladder_recipient(department, step)
            recipient = recipients[department.pk]
            with translation.override(recipient.language):
                what = self.what(subject, item)
            notices.append(
                Notice(
                    deadline_id=item.deadline_id,
                    recipient=recipient,
                    reference=subject.case.reference,
                    what=what,
                    unit=str(department),
                    link=settings.SITE_URL + reverse(self.portal_view, args=[subject.pk]),
                )
            )
        return notices

    def record(
        self, items: Sequence[LadderItem], step: int, *, notices: Sequence[Notice], now: dt.datetime
    ) -> None:
        """One timeline event per item and the case's escalation level, in two statements."""
        subjects = self.model.objects.only("id", "kind", "case_id").in_bulk(
            {item.object_id for item in items}
        )
        to: dict[int, list[str]] = {}
        for notice in notices:
            to.setdefault(notice.deadline_id, []).extend(notice.recipient.to)
        events = []
        for item in items:
            subject = subjects.get(item.object_id)
            if subject is None:
                continue
            events.append(
                CaseEvent(
                    case_id=subject.case_id,
                    action=CaseEvent.Action.NOTE,
                    note=_event_note(
                        step, what=self.what(subject, item), item=item, to=to.get(item.deadline_id)
                    ),
                )
            )
        case_ids = {event.case_id for event in events}
        # max(level, step): a later, lower step of another item never lowers the level.
        Case.objects.filter(pk__in=case_ids, escalation_level__lt=step).update(
            escalation_level=step, updated_at=timezone.now()
        )
        CaseEvent.objects.bulk_create(events)


def _event_note(step: int, *, what: str, item: LadderItem, to: list[str] | None) -> str:
    """The timeline line, in the site's language (staff read it)."""
    values = {
        "what": what,
        "due": formats.date_format(item.due_date, "DATE_FORMAT"),
        "to": pgettext("list separator", ", ").join(to)
        if to
        else _("no e-mail address on file, see the outgoing e-mails"),
    }
    if step == Step.REMIND:
        note = _("Escalation: reminder sent (催办) for %(what)s due %(due)s, to %(to)s.") % values
    elif step == Step.WARN:
        note = (
            _("Escalation: overdue warning sent to the unit head (预警) for %(what)s due %(due)s, to %(to)s.")
            % values
        )
    else:
        note = (
            _(
                "Escalation: escalated to the supervising leader and listed as supervised (督办) for "
                "%(what)s due %(due)s, to %(to)s."
            )
            % values
        )
    if item.passed_steps:
        note += " " + _("Not sent, as the item was already this late when first swept: %(steps)s.") % {
            "steps": pgettext("list separator", ", ").join(step_label(passed) for passed in item.passed_steps)
        }
    return note


class ReferralLadder(_DepartmentItemLadder):
    model = Referral
    kind = REFERRAL_KIND
    portal_view = "department_portal:referral"

    def what(self, subject: Referral, item: LadderItem) -> str:
        # The deadline's round, not the referral's: a late round-1 item is not the new round.
        label = (
            _("assigned referral (交办)")
            if subject.kind == Referral.Kind.ASSIGN
            else _("transferred referral (转办)")
        )
        if item.round > 1:
            return _("%(label)s, round %(round)s") % {"label": label, "round": item.round}
        return label


class RecommendationLadder(_DepartmentItemLadder):
    model = Recommendation
    kind = RECOMMENDATION_KIND
    portal_view = "department_portal:recommendation"

    def what(self, subject: Recommendation, item: LadderItem) -> str:
        if subject.kind == Recommendation.Kind.SUPERVISION:
            label = _("supervision recommendation (监察建议)")
        else:
            label = _("explanation and rectification plan (讲清问题、制定整改措施)")
        if item.round > 1:
            return _("%(label)s, round %(round)s") % {"label": label, "round": item.round}
        return label


class ReportReviewLadder:
    """The centre's own deadline to review a report: the handler is reminded, the office head
    warned, the commission's leader told (LADDER_CENTRE_LEADER_EMAIL)."""

    kind = REPORT_REVIEW_KIND

    def _recipient(self, case: Case, step: int) -> Recipient:
        office = case.office
        language = settings.LANGUAGE_CODE
        with translation.override(language):
            if step == Step.REMIND and case.handler and case.handler.email:
                return Recipient(
                    to=(case.handler.email,),
                    name=case.handler.get_full_name() or case.handler.username,
                    language=language,
                )
            if step in (Step.REMIND, Step.WARN):
                head = office.head if office else None
                if head is not None and head.email:
                    return Recipient(
                        to=(head.email,), name=head.get_full_name() or head.username, language=language
                    )
                return Recipient(
                    to=_addresses(office.email if office else ""),
                    name=str(office) if office else _("the complaint centre"),
                    language=language,
                    note="" if office and office.email else _("No office or office e-mail on the case."),
                )
            return Recipient(
                to=_addresses(settings.LADDER_CENTRE_LEADER_EMAIL),
                name=_("the supervising leader"),
                language=language,
                note=""
                if settings.LADDER_CENTRE_LEADER_EMAIL
                else _("LADDER_CENTRE_LEADER_EMAIL is not set."),
            )

    def _reports(self, items: Sequence[LadderItem]):
        return HandlingReport.objects.select_related(
            "referral__case__office__head", "referral__case__handler", "referral__department"
        ).in_bulk({item.object_id for item in items})

    def notices(self, items: Sequence[LadderItem], step: int) -> list[Notice]:
        reports = self._reports(items)
        notices = []
        for item in items:
            report = reports.get(item.object_id)
            if report is None:
                continue
            case = report.referral.case
            recipient = self._recipient(case, step)
            with translation.override(recipient.language):
                what = _("review of the report of %(department)s, round %(round)s") % {
                    "department": report.referral.department,
                    "round": report.round,
                }
            notices.append(
                Notice(
                    deadline_id=item.deadline_id,
                    recipient=recipient,
                    reference=case.reference,
                    what=what,
                    unit=str(case.office or ""),
                    link=settings.SITE_URL + reverse("admin:casework_case_change", args=[case.pk]),
                )
            )
        return notices

    def record(
        self, items: Sequence[LadderItem], step: int, *, notices: Sequence[Notice], now: dt.datetime
    ) -> None:
        reports = self._reports(items)
        to: dict[int, list[str]] = {}
        for notice in notices:
            to.setdefault(notice.deadline_id, []).extend(notice.recipient.to)
        events = [
            CaseEvent(
                case_id=report.referral.case_id,
                action=CaseEvent.Action.NOTE,
                note=_event_note(
                    step,
                    what=_("review of the report, round %(round)s") % {"round": report.round},
                    item=item,
                    to=to.get(item.deadline_id),
                ),
            )
            for item in items
            if (report := reports.get(item.object_id)) is not None
        ]
        Case.objects.filter(pk__in={e.case_id for e in events}, escalation_level__lt=step).update(
            escalation_level=step, updated_at=timezone.now()
        )
        CaseEvent.objects.bulk_create(events)


referral_ladder = ReferralLadder()
recommendation_ladder = RecommendationLadder()
LADDER_HANDLERS = {
    REFERRAL_KIND: referral_ladder,
    RECOMMENDATION_KIND: recommendation_ladder,
    REPORT_REVIEW_KIND: ReportReviewLadder(),
}


def ladder_handlers_register() -> None:
    """Register casework's kinds with the escalation ladder; safe to call twice."""
    for kind, handler in LADDER_HANDLERS.items():
        ladder_registry.register(kind, handler)
