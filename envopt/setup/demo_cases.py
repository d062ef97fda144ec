"""Demo casework: the demo complaints taken through every stage of the workflow, so that a
new user finds cases to triage, referrals to acknowledge, reports to review and results to
rate. Runs once: when any case exists it does nothing."""

import datetime

from django.contrib.auth import get_user_model

from casework import services
from casework.models import Case, Referral, Review
from complaints.models import Complaint, PublicStatus
from complaints.services import complaint_rate
from liaison.models import Department, Office


def demo_cases_install() -> int:
    if Case.objects.exists():
        return Case.objects.count()
    User = get_user_model()
    handler = User.objects.get(username="handler")
    dept_user = User.objects.get(username="dept")
    market = Department.objects.get(short_name="市场监管局")
    office = Office.objects.get(name="监察投诉中心")
    complaints = list(
        Complaint.objects.filter(
            source__startswith="演示数据", status=PublicStatus.RECEIVED, department__isnull=False
        ).order_by("received_at")
    )
    # Leave the newest ten untouched: they are the triage queue.
    for n, complaint in enumerate(complaints[:-10]):
        if n % 9 == 8:
            services.complaint_not_accept(
                complaint=complaint, reason="该事项属于司法程序,请依法向人民法院提起诉讼。", actor=handler
            )
            continue
        case = services.complaint_accept(
            complaint=complaint,
            actor=handler,
            office=office,
            handler=handler,
            priority=Case.Priority.URGENT if n % 5 == 0 else Case.Priority.NORMAL,
        )
        stage = n % 6
        if stage == 0:
            continue  # accepted, awaiting disposition
        if stage == 1:
            services.case_self_handle(case=case, actor=handler)
            if n % 4 == 1:
                continue  # being handled in the centre
            services.case_record_finding(case=case, finding=Case.Finding.SUBSTANTIATED, actor=handler)
            services.case_close(
                case=case, result_summary="经核查情况属实,已责令有关单位纠正并退还费用。", actor=handler
            )
            complaint_rate(complaint=complaint, level="satisfied" if n % 4 else "unsatisfied")
            continue
        # Referrals go to the market regulator for the demo department user to work on.
        department = market if stage in (2, 3, 4) else case.department
        referral = services.case_refer(
            case=case,
            department=department,
            kind=Referral.Kind.ASSIGN,
            released_text=case.title,
            instructions="请核实情况,依法处理并报告结果。",
            actor=handler,
        )
        if stage == 2:
            continue  # sent, awaiting acknowledgement
        services.referral_acknowledge(referral=referral, actor=dept_user)
        if stage == 3:
            continue  # acknowledged, being handled
        services.referral_report(
            referral=referral,
            facts="经调查,反映的问题基本属实。",
            finding=Case.Finding.PARTLY,
            measures="已对相关人员批评教育,并完善了工作流程。",
            actor=dept_user,
        )
        if stage == 4:
            continue  # report awaiting review
        services.report_review(
            report=referral.reports.get(),
            decision=Review.Decision.RETURN,
            actor=handler,
            reason="报告未说明对企业损失的处理,请重新调查并报告。",
        )
    services.talk_record(
        department=market,
        heads="王局长,局长",
        held_on=datetime.date(2026, 11, 10),
        place="市纪委谈话室",
        record="就企业反映的重复检查问题进行问责谈话。",
        commitments="一个月内完成整改。",
        cases=list(Case.objects.filter(department=market)[:2]),
        actor=handler,
    )
    visit = services.visit_record(
        visited_on=datetime.date(2026, 11, 12),
        department=market,
        team="第一暗访组",
        findings="办事窗口工作时间无人值守,群众等候超过一小时。",
        actor=handler,
    )
    services.visit_open_case(visit=visit, category="conduct", description=visit.findings, actor=handler)
    return Case.objects.count()
