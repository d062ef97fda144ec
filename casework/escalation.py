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
from django.db import connection
from django.db.models import Model
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from casework.models import Case, CaseEvent, HandlingReport, Recommendation, Referral, case_reference
from casework.services import case_events_add_many
from core.ladder import LadderItem, Notice, Recipient, Step, ladder_registry, step_label
from core.sql import in_ids
from liaison.leading_group import leading_group_recipient
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


_PLACEHOLDER = 4611686018427387904  # 2**62, no real id: replaced in each link


class _EventNotes:
    """The timeline line of each item, in the site's language (staff read it), with what is the
    same for many items (the sentence, the formatted due date, the recipients) made once."""

    def __init__(self, step: int) -> None:
        self.dates: dict[dt.date, str] = {}
        self.recipients: dict[tuple[str, ...], str] = {}
        self.passed: dict[tuple[int, ...], str] = {}
        if step == Step.REMIND:
            self.sentence = _("Escalation: reminder sent (催办) for %(what)s due %(due)s, to %(to)s.")
        elif step == Step.WARN:
            self.sentence = _(
                "Escalation: overdue warning sent to the unit head (预警) for %(what)s due %(due)s, to %(to)s."  # noqa: E501
            )
        else:
            self.sentence = _(
                "Escalation: escalated to the supervising leader and listed as supervised (督办) for "
                "%(what)s due %(due)s, to %(to)s."
            )

    def note(self, what: str, item: LadderItem, to: list[str] | None) -> str:
        if item.due_date not in self.dates:
            self.dates[item.due_date] = formats.date_format(item.due_date, "DATE_FORMAT")
        addresses = tuple(to or ())
        if addresses not in self.recipients:
            self.recipients[addresses] = (
                pgettext("list separator", ", ").join(addresses)
                if addresses
                else _("no e-mail address on file, see the outgoing e-mails")
            )
        note = self.sentence % {
            "what": what,
            "due": self.dates[item.due_date],
            "to": self.recipients[addresses],
        }
        passed = item.passed_steps
        if passed:
            if passed not in self.passed:
                steps = pgettext("list separator", ", ").join(step_label(step) for step in passed)
                self.passed[passed] = " " + _(
                    "Not sent, as the item was already this late when first swept: %(steps)s."
                ) % {"steps": steps}
            note += self.passed[passed]
        return note


def _record_steps(events: list[tuple[int, str, int]], now: dt.datetime) -> None:
    """The timeline events (case id, note, step), and each case's escalation level raised to at
    least the highest step its items reached in this sweep (a later, lower step never lowers it):
    one UPDATE for every case of the sweep, so that the dashboard's trigger (reports 0005) runs
    once, not once a step."""
    if not events:
        return
    qn = connection.ops.quote_name
    levels: dict[int, int] = {}
    for case_id, _note, step in events:
        levels[case_id] = max(step, levels.get(case_id, 0))
    table = qn(Case._meta.db_table)
    updated_at = Case._meta.get_field("updated_at").get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Joined to the (case, level) pairs: an ``id = ANY(array)`` per level would scan the
            # array for each row.
            cursor.execute(
                f"UPDATE {table} AS c SET escalation_level = v.level, updated_at = %s "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::integer[]) AS v(id, level) "
                "WHERE c.id = v.id AND c.escalation_level < v.level",
                [updated_at, list(levels), list(levels.values())],
            )
        else:
            for level in sorted(set(levels.values()), reverse=True):
                condition, params = in_ids("id", [pk for pk, value in levels.items() if value == level])
                cursor.execute(
                    f"UPDATE {table} SET escalation_level = %s, updated_at = %s "  # noqa: S608
                    f"WHERE {condition} AND escalation_level < %s",
                    [level, updated_at, *params, level],
                )
    notes = [(case_id, note) for case_id, note, _step in events]
    case_events_add_many(notes, action=CaseEvent.Action.NOTE, at=now)


class _DepartmentItemLadder:
    """Shared by referrals and recommendations: both belong to a case and a department.

    A first sweep of a large commission moves tens of thousands of items: both methods read
    plain values in one query, build each line from parts computed once per department, kind
    and due date, and write the timeline in one statement.
    """

    model: type[Model]
    kind: str
    portal_view: str

    def label(self, kind: str) -> str:
        raise NotImplementedError

    def what(self, kind: str, round_: int) -> str:
        # The deadline's round, not the subject's: a late round-1 item is not the new round.
        label = self.label(kind)
        if round_ > 1:
            return _("%(label)s, round %(round)s") % {"label": label, "round": round_}
        return label

    def _subjects(self, items: Sequence[LadderItem]) -> dict[int, tuple]:
        """(id, kind, case id, case opened at, department id) of each item's subject, in one
        statement with one array parameter however many items a first sweep moves."""
        qn = connection.ops.quote_name
        subject, case = qn(self.model._meta.db_table), qn(Case._meta.db_table)
        condition, params = in_ids("s.id", {item.object_id for item in items})
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT s.id, s.kind, s.case_id, c.opened_at, s.department_id FROM {subject} AS s "  # noqa: S608
                f"JOIN {case} AS c ON c.id = s.case_id WHERE {condition}",
                params,
            )
            return {row[0]: row for row in cursor.fetchall()}

    def notices(self, items: Sequence[LadderItem]) -> list[Notice]:
        subjects = self._subjects(items)
        departments = Department.objects.only(*_DEPARTMENT_FIELDS).in_bulk(
            {row[4] for row in subjects.values()}
        )
        # One reverse per sweep: the link differs only by the subject's id.
        link = settings.SITE_URL + reverse(self.portal_view, args=[_PLACEHOLDER])
        recipients: dict[tuple[int, int], Recipient] = {}
        whats: dict[tuple[str, str, int], str] = {}
        notices = []
        for item in items:
            subject = subjects.get(item.object_id)
            if subject is None:
                continue  # the sweep logs an item nobody was told about
            pk, kind, case_id, opened_at, department_id = subject
            department = departments[department_id]
            if (department_id, item.step) not in recipients:
                recipients[(department_id, item.step)] = ladder_recipient(department, item.step)
            recipient = recipients[(department_id, item.step)]
            key = (recipient.language, kind, item.round)
            if key not in whats:
                with translation.override(recipient.language):
                    whats[key] = self.what(kind, item.round)
            notices.append(
                Notice(
                    deadline_id=item.deadline_id,
                    recipient=recipient,
                    reference=case_reference(case_id, opened_at),
                    # The item's kind, never the case title: a title is written from the
                    # complaint, and the digest goes to the unit complained about.
                    what=whats[key],
                    unit=department.name,
                    link=link.replace(str(_PLACEHOLDER), str(pk), 1),
                    payload=(case_id, kind),
                )
            )
        return notices

    def record(self, items: Sequence[LadderItem], *, notices: Sequence[Notice], now: dt.datetime) -> None:
        """One timeline event per item and the cases' escalation levels, in two statements. The
        subjects are those notices() read (its payload): an item whose subject is gone has none."""
        by_deadline: dict[int, tuple[int, str]] = {}
        to: dict[int, list[str]] = {}
        for notice in notices:
            by_deadline[notice.deadline_id] = notice.payload
            to.setdefault(notice.deadline_id, []).extend(notice.recipient.to)
        notes: dict[int, _EventNotes] = {}
        whats: dict[tuple[str, int], str] = {}
        events = []
        for item in items:
            subject = by_deadline.get(item.deadline_id)
            if subject is None:
                continue
            case_id, kind = subject
            key = (kind, item.round)
            if key not in whats:
                whats[key] = self.what(*key)
            if item.step not in notes:
                notes[item.step] = _EventNotes(item.step)
            note = notes[item.step].note(whats[key], item, to.get(item.deadline_id))
            events.append((case_id, note, item.step))
        _record_steps(events, now)


class ReferralLadder(_DepartmentItemLadder):
    model = Referral
    kind = REFERRAL_KIND
    portal_view = "department_portal:referral"

    def label(self, kind: str) -> str:
        return (
            _("assigned referral (交办)")
            if kind == Referral.Kind.ASSIGN
            else _("transferred referral (转办)")
        )


class RecommendationLadder(_DepartmentItemLadder):
    model = Recommendation
    kind = RECOMMENDATION_KIND
    portal_view = "department_portal:recommendation"

    def label(self, kind: str) -> str:
        if kind == Recommendation.Kind.SUPERVISION:
            return _("supervision recommendation (监察建议)")
        return _("explanation and rectification plan (讲清问题、制定整改措施)")


class ReportReviewLadder:
    """The centre's own deadline to review a report: the handler is reminded, the office head
    warned, the leading group's head and deputies told (LADDER_CENTRE_LEADER_EMAIL as fallback)."""

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
            # The commission-level step: the leading group's head and deputies (the setting as fallback).
            return leading_group_recipient(language=language)

    def _reports(self, items: Sequence[LadderItem]):
        return HandlingReport.objects.select_related(
            "referral__case__office__head", "referral__case__handler", "referral__department"
        ).in_bulk({item.object_id for item in items})

    def notices(self, items: Sequence[LadderItem]) -> list[Notice]:
        reports = self._reports(items)
        notices = []
        for item in items:
            report = reports.get(item.object_id)
            if report is None:
                continue
            case = report.referral.case
            recipient = self._recipient(case, item.step)
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
                    payload=(case.pk, report.round),
                )
            )
        return notices

    def record(self, items: Sequence[LadderItem], *, notices: Sequence[Notice], now: dt.datetime) -> None:
        """As the departments' ladders: the reports are those notices() read (its payload)."""
        by_deadline: dict[int, tuple[int, int]] = {}
        to: dict[int, list[str]] = {}
        for notice in notices:
            by_deadline[notice.deadline_id] = notice.payload
            to.setdefault(notice.deadline_id, []).extend(notice.recipient.to)
        notes: dict[int, _EventNotes] = {}
        events = []
        for item in items:
            if item.deadline_id not in by_deadline:
                continue
            case_id, round_ = by_deadline[item.deadline_id]
            if item.step not in notes:
                notes[item.step] = _EventNotes(item.step)
            what = _("review of the report, round %(round)s") % {"round": round_}
            events.append((case_id, notes[item.step].note(what, item, to[item.deadline_id]), item.step))
        _record_steps(events, now)


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
