"""Every illegal move raises a clear error and changes nothing."""

import pytest

from casework import services
from casework.models import Case, CaseEvent, Referral
from casework.tests import factories
from complaints.tests import factories as complaint_factories
from core.errors import InvalidTransition

pytestmark = pytest.mark.django_db


def snapshot(case: Case) -> tuple:
    case.refresh_from_db()
    return (
        case.status,
        case.disposition,
        case.events.count(),
        list(case.referrals.values_list("status", "round")),
    )


@pytest.mark.parametrize("status", list(Case.Status.values))
def test_the_transition_table_allows_only_listed_moves(status):
    case = Case(status=status)
    for target in Case.Status.values:
        assert case.can_move_to(target) == (target in Case.TRANSITIONS[status])


def test_illegal_moves_raise_and_change_nothing():
    handler = factories.user("handler")
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    case = factories.accepted_case(actor=handler, department=department)
    before = snapshot(case)
    for call in (
        lambda: services.case_close(case=case, result_summary="x", finding="substantiated", actor=handler),
        lambda: services.case_reopen(case=case, reason="x", actor=handler),
        lambda: services.case_take_over(case=case, reason="x", actor=handler),
        lambda: services.case_record_finding(case=case, finding="substantiated", actor=handler),
    ):
        with pytest.raises(InvalidTransition):
            call()
        assert snapshot(case) == before

    case, referral = factories.referred_case(actor=handler, department=department)
    before = snapshot(case)
    with pytest.raises(InvalidTransition):  # reporting before acknowledging
        services.referral_report(
            referral=referral, facts="f", finding="partly", measures="m", actor=dept_user
        )
    assert snapshot(case) == before
    services.referral_acknowledge(referral=referral, actor=dept_user)
    with pytest.raises(InvalidTransition):  # acknowledging twice
        services.referral_acknowledge(referral=referral, actor=dept_user)
    with pytest.raises(InvalidTransition):  # a second referral while one is open
        services.case_refer(
            case=case, department=department, kind="transfer", released_text="t", actor=handler
        )
    services.referral_report(referral=referral, facts="f", finding="partly", measures="m", actor=dept_user)
    report = referral.reports.get()
    services.report_review(report=report, decision="accept", actor=handler)
    before = snapshot(case)
    with pytest.raises(InvalidTransition):  # reviewing the same report twice
        services.report_review(report=report, decision="return", reason="r", actor=handler)
    assert snapshot(case) == before


def test_an_error_message_names_the_states():
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    with pytest.raises(InvalidTransition) as raised:
        services.case_close(case=case, result_summary="x", finding="substantiated", actor=handler)
    assert case.reference in str(raised.value)


def test_a_complaint_is_triaged_once():
    handler = factories.user("handler")
    complaint = complaint_factories.submit().complaint
    services.complaint_accept(complaint=complaint, actor=handler)
    for call in (
        lambda: services.complaint_accept(complaint=complaint, actor=handler),
        lambda: services.complaint_not_accept(complaint=complaint, reason="r", actor=handler),
    ):
        with pytest.raises(InvalidTransition):
            call()


def test_timeline_events_cannot_be_changed_or_deleted():
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    event = case.events.get()
    event.note = "rewritten"
    for attempt in (
        event.save,
        event.delete,
        lambda: CaseEvent.objects.filter(pk=event.pk).update(note="x"),
        lambda: CaseEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(PermissionError):
            attempt()
    assert (
        CaseEvent.objects.get(pk=event.pk).note
        == event.__class__.objects.get(pk=event.pk).note
        != "rewritten"
    )


def test_referral_transition_table_is_closed_after_acceptance():
    assert Referral.TRANSITIONS[Referral.Status.ACCEPTED] == set()
    assert Referral.TRANSITIONS[Referral.Status.WITHDRAWN] == set()
