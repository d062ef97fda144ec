"""The whole workflow of DESIGN.md through the services, with the timeline checked at each step."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from casework import services
from casework.models import Case, CaseEvent, Recommendation, Referral, Review
from casework.tests import factories
from complaints.models import PublicStatus
from complaints.services import complaint_rate
from complaints.tests import factories as complaint_factories

pytestmark = pytest.mark.django_db
S = Case.Status
A = CaseEvent.Action


def actions(case: Case) -> list[str]:
    return list(case.events.values_list("action", flat=True))


def test_accept_opens_a_case_and_tells_the_complainant():
    handler = factories.user("handler")
    complaint = complaint_factories.submit().complaint
    case = services.complaint_accept(complaint=complaint, actor=handler, priority=Case.Priority.URGENT)
    complaint.refresh_from_db()
    assert case.status == S.ACCEPTED and case.priority == "urgent"
    assert complaint.status == PublicStatus.ACCEPTED and complaint.case_link.case == case
    assert actions(case) == [A.ACCEPTED]


def test_not_accepted_complaints_get_the_reason():
    handler = factories.user("handler")
    complaint = complaint_factories.submit().complaint
    services.complaint_not_accept(
        complaint=complaint, reason="不属于本中心受理范围,请向法院起诉。", actor=handler
    )
    complaint.refresh_from_db()
    assert complaint.status == PublicStatus.NOT_ACCEPTED
    assert complaint.public_updates.last().text == "不属于本中心受理范围,请向法院起诉。"


def test_a_duplicate_is_merged_and_linked_both_ways():
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    duplicate = complaint_factories.submit(department=case.department).complaint
    services.complaint_merge(complaint=duplicate, case=case, actor=handler)
    duplicate.refresh_from_db()
    assert duplicate.case_link.case == case
    assert set(case.complaint_links.values_list("complaint_id", flat=True)) == {
        link.complaint_id for link in case.complaint_links.all()
    }
    assert case.complaint_links.count() == 2
    assert duplicate.status == PublicStatus.ACCEPTED
    assert actions(case) == [A.ACCEPTED, A.MERGED]


def test_returned_twice_then_accepted_keeps_every_round():
    handler = factories.user("handler")
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    case, referral = factories.reported_case(actor=handler, dept_user=dept_user, department=department)
    first_due = referral.due_date
    for round_number in (1, 2):
        report = referral.reports.get(round=round_number)
        review = services.report_review(
            report=report,
            decision=Review.Decision.RETURN,
            reason=f"第{round_number}次:调查敷衍,未说明处理结果。",
            working_days=5,
            actor=handler,
        )
        referral.refresh_from_db()
        assert referral.status == Referral.Status.RETURNED and referral.round == round_number + 1
        assert review.new_due_date == referral.due_date
        services.referral_report(
            referral=referral,
            facts=f"第{round_number + 1}轮核查",
            finding="partly",
            measures="已整改",
            actor=dept_user,
        )
    report = referral.reports.get(round=3)
    services.report_review(report=report, decision=Review.Decision.ACCEPT, actor=handler)
    referral.refresh_from_db()
    case.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert referral.reports.count() == 3 and Review.objects.filter(report__referral=referral).count() == 3
    assert case.status == S.HANDLING and case.finding == "partly"
    assert first_due is not None
    assert actions(case).count(A.REPORT_RETURNED) == 2
    services.case_close(case=case, result_summary="已责令整改并退还费用。", actor=handler)
    case.refresh_from_db()
    assert case.status == S.CONCLUDED


def test_a_returned_report_gets_a_new_deadline():
    handler = factories.user("handler")
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    case, referral = factories.reported_case(actor=handler, dept_user=dept_user, department=department)
    old_deadline = referral.deadline
    services.report_review(
        report=referral.reports.get(), decision="return", reason="敷衍塞责", working_days=3, actor=handler
    )
    referral.refresh_from_db()
    old_deadline.refresh_from_db()
    assert referral.deadline_id != old_deadline.pk
    assert old_deadline.status == "met"
    assert referral.deadline.round == 2 and referral.deadline.status == "open"


def test_the_centre_takes_a_referred_case_over():
    handler = factories.user("handler")
    case, referral = factories.referred_case(actor=handler)
    services.case_take_over(case=case, reason="性质严重,中心直接查办。", actor=handler)
    case.refresh_from_db()
    referral.refresh_from_db()
    assert case.status == S.HANDLING and case.taken_over and case.disposition == "self"
    assert referral.status == Referral.Status.WITHDRAWN
    assert referral.deadline.status == "cancelled"


def test_unverifiable_findings_demand_an_explanation_and_a_follow_up():
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    services.case_self_handle(case=case, actor=handler)
    with pytest.raises(ValidationError):
        services.case_record_finding(case=case, finding="unverifiable", actor=handler)
    follow_up = datetime.date(2027, 1, 15)
    services.case_record_finding(
        case=case, finding="unverifiable", note="双方各执一词", follow_up_on=follow_up, actor=handler
    )
    case.refresh_from_db()
    assert case.follow_up_on == follow_up
    demand = case.recommendations.get()
    assert demand.kind == Recommendation.Kind.EXPLANATION and demand.department == case.department
    assert demand.due_date is not None


def test_a_recommendation_is_replied_to_returned_and_closed():
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    dept_user = factories.user("dept", department=case.department)
    recommendation = services.recommendation_issue(
        case=case,
        department=case.department,
        content="限期清理收费项目",
        basis="《行政事业性收费管理条例》",
        working_days=20,
        actor=handler,
    )
    services.recommendation_reply(recommendation=recommendation, reply="已停止收费", actor=dept_user)
    services.recommendation_close(
        recommendation=recommendation, accept=False, note="未退还已收费用", actor=handler
    )
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.RETURNED and recommendation.deadline.round == 2
    services.recommendation_reply(recommendation=recommendation, reply="已全部退还", actor=dept_user)
    services.recommendation_close(recommendation=recommendation, accept=True, actor=handler)
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.CLOSED


def test_closure_tells_the_result_then_unsatisfied_reopens():
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    services.case_self_handle(case=case, actor=handler)
    services.case_record_finding(case=case, finding="substantiated", actor=handler)
    services.case_close(case=case, result_summary="已责令退还全部罚款。", actor=handler)
    complaint = case.complaint_links.get().complaint
    complaint.refresh_from_db()
    assert complaint.status == PublicStatus.CONCLUDED
    assert complaint.public_updates.last().text == "已责令退还全部罚款。"
    complaint_rate(complaint=complaint, level="unsatisfied", comment="只退了一半")
    from casework.selectors import case_list

    leader = factories.user("handler")
    assert case_list(viewer=leader).get(pk=case.pk).unsatisfied
    services.case_reopen(case=case, reason="投诉人不满意,重新核查。", actor=handler)
    case.refresh_from_db()
    complaint.refresh_from_db()
    assert case.status == S.HANDLING and case.reopened_count == 1 and case.closed_at is None
    assert complaint.status == PublicStatus.HANDLING
    assert A.RATED in actions(case) and actions(case)[-1] == A.REOPENED


def test_a_talk_is_recorded_on_each_linked_case():
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    talk = services.talk_record(
        department=case.department,
        heads="王局长,局长\n李副局长,分管副局长",
        held_on=datetime.date(2026, 11, 20),
        place="市纪委谈话室",
        record="谈话记录……",
        cases=[case],
        commitments="一周内整改",
        action_against_responsible="当事人诫勉谈话",
        actor=handler,
    )
    assert list(talk.cases.all()) == [case]
    assert A.TALK in actions(case)


def test_a_visit_finding_opens_a_case_on_the_unannounced_visit_channel():
    handler = factories.user("handler")
    visit = services.visit_record(
        visited_on=datetime.date(2026, 11, 18),
        department=complaint_factories.department(),
        team="第一暗访组",
        findings="窗口人员上班时间玩手机,群众排长队。",
        actor=handler,
    )
    case = services.visit_open_case(
        visit=visit, category="conduct", description=visit.findings, actor=handler
    )
    complaint = case.complaint_links.get().complaint
    assert complaint.channel == "unannounced_visit" and complaint.is_anonymous
    assert case.department == visit.department


def test_a_typical_case_carries_its_summary():
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    services.case_mark_typical(case=case, summary="某局重复检查企业典型案例", actor=handler)
    case.refresh_from_db()
    assert case.is_typical and case.typical_summary
