"""Demo casework: each demo complaint taken as far through the workflow as its story has got by
today, by the real services, each step at its own moment (see demo_clock). Old complaints are
triaged, handled or referred, reported on, reviewed, concluded and mostly rated; recent ones are
still in the queue, referred, or under review; a few referrals run late. A case is only ever
referred to the unit complained about (the directory has no superior units). Runs once: when any
case exists it does nothing.

The mix, drawn per complaint from a seeded generator: about one complaint in ten not accepted and
one in twenty merged into an earlier case of the same unit; of the accepted, about a third
handled by the centre itself (多办少转), the rest transferred or assigned; findings from
substantiated to cannot be verified; about four in five concluded complaints rated, some
unsatisfied (more so when the finding went against the complainant or the case ran late)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from casework import services
from casework.models import Case, Referral, Review
from complaints.models import Complaint, PublicStatus
from complaints.services import complaint_rate
from core.ladder import escalation_sweep
from core.models import OutboundEmail
from core.outbox import outbox_render
from core.periods import SHANGHAI
from envopt.setup.demo_clock import demo_clock_at
from envopt.setup.demo_complaints import DemoComplaint, demo_quarters
from liaison.models import Department, LiaisonPoint, LiaisonVisit, Office, Supervisor
from liaison.services import liaison_visit_record

F = Case.Finding
NOT_ACCEPTED_REASONS = [
    "该事项属于司法程序，请依法向人民法院提起诉讼。",
    "反映的问题已由信访部门受理并正在办理，不重复受理。",
    "反映的事项不属于优化经济发展环境投诉受理范围，已告知向有关部门反映。",
]
INSTRUCTIONS = "请核实企业反映的情况，依法依规处理，并在期限内报告办理结果。"
FACTS = {
    F.SUBSTANTIATED: "经调查核实，企业反映的问题属实。",
    F.PARTLY: "经调查，企业反映的问题部分属实，部分情况与实际不符。",
    F.UNSUBSTANTIATED: "经调阅记录、询问当事人，企业反映的问题不属实，已向企业说明情况。",
    F.UNVERIFIABLE: "经调查，因当事人已调离、记录不全，反映的问题无法核实。",
}
MEASURES = {
    F.SUBSTANTIATED: "已责令纠正，对责任人作出处理，并退还企业相关费用。",
    F.PARTLY: "已对相关人员批评教育，并完善了工作流程和告知制度。",
    F.UNSUBSTANTIATED: "已向企业当面解释有关政策和办理流程。",
    F.UNVERIFIABLE: "已要求相关科室说明情况，并建立执法全过程记录制度。",
}
RESULTS = {
    F.SUBSTANTIATED: "经核查情况属实，已责令有关单位纠正，对责任人作出处理。",
    F.PARTLY: "经核查部分属实，已督促有关单位整改并改进工作作风。",
    F.UNSUBSTANTIATED: "经核查反映的问题不属实，已向您说明核查情况和有关政策。",
    F.UNVERIFIABLE: "反映的问题暂无法核实，已要求有关单位说明情况并制定整改措施，我们将持续跟踪。",
}
RETURN_REASONS = [
    "报告未说明对企业损失的处理，请重新调查并报告。",
    "报告对责任人的处理意见不明确，请补充调查并报告。",
]
LIAISON_LOG = {
    LiaisonVisit.Kind.VISIT: [
        ("走访企业，了解生产经营和涉企检查情况。", "反映同一事项多个部门重复检查。"),
        ("走访企业，宣传投诉渠道和查询码的使用。", ""),
        ("回访企业此前反映问题的办理情况，企业表示满意。", ""),
    ],
    LiaisonVisit.Kind.FEEDBACK: [
        ("监督员反馈近期窗口办事情况。", "部分窗口午休时间无人值守。"),
        ("联系点反馈园区企业用电报装进度慢。", "报装周期超过承诺时限。"),
    ],
    LiaisonVisit.Kind.MEETING: [
        ("召开联系点企业座谈会，听取对优化营商环境的意见建议。", "希望进一步减少检查频次、公开收费清单。"),
    ],
}
RATING_COMMENTS = {
    "satisfied": ["处理及时，问题已经解决。", "感谢纪委督促，费用已退还。", ""],
    "basically": ["问题基本解决，但时间拖得有点长。", ""],
    "unsatisfied": ["处理结果没有解决实际问题。", "答复敷衍，希望再次核查。"],
}


def _weekdays_later(rng: random.Random, moment: dt.datetime, low: int, high: int) -> dt.datetime:
    """A moment ``low``..``high`` weekdays after ``moment``, in office hours (Shanghai)."""
    day = moment.astimezone(SHANGHAI).date()
    for _ in range(rng.randint(low, high)):
        day += dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
    hour = rng.choice([9, 9, 10, 10, 11, 14, 15, 15, 16, 17])
    later = dt.datetime.combine(day, dt.time(hour, rng.choice([0, 15, 30, 45])), tzinfo=SHANGHAI)
    return max(later, moment + dt.timedelta(minutes=20))


class Story:
    """Runs one complaint's steps in order while their moment has come; stops at the first that
    lies in the future (that is where the complaint stands today). A pinned story (the newest
    complaints, see demo_complaints.PINNED_STAGES) moves on in minutes and stops at its stage."""

    def __init__(
        self, rng: random.Random, start: dt.datetime, now: dt.datetime, *, stop_at: str = ""
    ) -> None:
        self.rng, self.at, self.now, self.stop_at = rng, start, now, stop_at

    def after(self, low: int, high: int) -> bool:
        """Move the story ``low``..``high`` weekdays on; False when that is still to come."""
        if self.stop_at:
            self.at += dt.timedelta(minutes=20)
        else:
            self.at = _weekdays_later(self.rng, self.at, low, high)
        return self.at <= self.now

    def reached(self, stage: str) -> bool:
        """The complaint has reached ``stage``: a pinned story ends here."""
        return self.stop_at == stage

    def run(self, step: Callable, **kwargs):
        with demo_clock_at(self.at):
            return step(**kwargs)


def _rating_level(rng: random.Random, finding: str, late: bool) -> str:
    favourable = finding in (F.SUBSTANTIATED, F.PARTLY)
    satisfied, basically = (0.66, 0.24) if favourable else (0.30, 0.38)
    if late:
        satisfied -= 0.15
    draw = rng.random()
    return "satisfied" if draw < satisfied else "basically" if draw < satisfied + basically else "unsatisfied"


class DemoCasework:
    def __init__(self, now: dt.datetime) -> None:
        User = get_user_model()
        self.now = now
        self.intake = User.objects.get(username="intake")
        self.handler = User.objects.get(username="handler")
        self.head = User.objects.get(username="officehead")
        self.dept_user = User.objects.get(username="dept")
        self.office = Office.objects.get(name="监察投诉中心")
        self.market = Department.objects.get(short_name="市场监管局")
        self.cases: list[Case] = []

    def department_actor(self, department: Department | None):
        """Who records a department's step: its portal user where the demo has one, otherwise
        the handler who received the paper reply."""
        return self.dept_user if department is not None and department.pk == self.market.pk else self.handler

    # --- one complaint --------------------------------------------------------------------

    def complaint(self, item: DemoComplaint) -> None:
        complaint = item.complaint
        rng = random.Random(f"envopt-demo-case-{item.number}")  # noqa: S311 - not security
        story = Story(rng, item.received_at, self.now, stop_at=item.pinned_stage)
        if story.reached("received") or not story.after(0, 2):
            return  # still waiting for triage
        triage = 1.0 if story.stop_at else rng.random()
        if triage < 0.09:
            story.run(
                services.complaint_not_accept,
                complaint=complaint,
                reason=rng.choice(NOT_ACCEPTED_REASONS),
                actor=self.intake,
            )
            return
        if triage < 0.15:
            earlier = self._earlier_case(complaint, story.at)
            if earlier is not None:
                story.run(services.complaint_merge, complaint=complaint, case=earlier, actor=self.intake)
                return
        draw = rng.random()
        priority = (
            Case.Priority.SERIOUS
            if draw < 0.03
            else Case.Priority.URGENT
            if draw < 0.15
            else Case.Priority.NORMAL
        )
        case = story.run(
            services.complaint_accept,
            complaint=complaint,
            actor=self.intake,
            office=self.office,
            handler=self.handler,
            priority=priority,
        )
        self.cases.append(case)
        self.case(case, story, complaint)

    def _earlier_case(self, complaint: Complaint, moment: dt.datetime) -> Case | None:
        """An earlier case about the same unit and problem, opened within 45 days: a duplicate."""
        for case in reversed(self.cases):
            if (
                case.department_id == complaint.department_id
                and case.department_id is not None
                and case.category == complaint.category
                and moment - dt.timedelta(days=45) <= case.opened_at < moment
            ):
                return case
        return None

    def case(self, case: Case, story: Story, complaint: Complaint | None) -> None:
        rng = story.rng
        if story.reached("accepted") or not story.after(0, 2):
            return  # accepted, disposition not yet decided
        department = case.department
        self_handled = rng.random() < 0.34
        if story.stop_at:
            self_handled = story.stop_at == "handling"
        if department is None or self_handled:
            story.run(services.case_self_handle, case=case, actor=self.handler)
            if story.reached("handling") or not story.after(4, 16):
                return
            finding = rng.choices(list(FACTS), weights=[40, 28, 24, 8])[0]
            late = False
        else:
            outcome = self._referral(case, story, department)
            if outcome is None:
                return
            finding, late = outcome
        if finding == F.UNVERIFIABLE and department is None:
            finding = F.UNSUBSTANTIATED  # only a named unit can be made to explain itself
        case.refresh_from_db()
        if case.finding != finding or finding == F.UNVERIFIABLE:
            story.run(
                services.case_record_finding,
                case=case,
                finding=finding,
                actor=self.handler,
                note=FACTS[finding] if finding == F.UNVERIFIABLE else "",
                follow_up_on=(story.at + dt.timedelta(days=30)).date() if finding == F.UNVERIFIABLE else None,
            )
            if finding == F.UNVERIFIABLE:
                # The unit explains itself and submits its rectification plan (seed §三.1).
                explanation = case.recommendations.order_by("-pk").first()
                self._rectified(explanation, story, department, "已书面说明有关情况，并制定了整改措施。")
        if finding == F.SUBSTANTIATED and department is not None and rng.random() < 0.15:
            self._recommendation(case, story, department)
        if not story.after(0, 2):
            return
        story.run(services.case_close, case=case, result_summary=RESULTS[finding], actor=self.handler)
        self._ratings(case, story, finding, late)

    def _referral(self, case: Case, story: Story, department: Department) -> tuple[str, bool] | None:
        """Transfer or assign to the unit complained about; its report and the review. Returns the
        finding and whether the unit reported late, or None while the referral is still open."""
        rng = story.rng
        kind = Referral.Kind.ASSIGN if rng.random() < 0.6 else Referral.Kind.TRANSFER
        referral = story.run(
            services.case_refer,
            case=case,
            department=department,
            kind=kind,
            released_text=case.title,
            instructions=INSTRUCTIONS,
            actor=self.handler,
        )
        actor = self.department_actor(department)
        if story.reached("sent") or not story.after(0, 3):
            return None
        story.run(services.referral_acknowledge, referral=referral, actor=actor)
        finding = rng.choices(list(FACTS), weights=[34, 34, 24, 8])[0]
        late = rng.random() < 0.12
        sent = referral.sent_at.astimezone(SHANGHAI).date()
        period = max(1, int((referral.due_date - sent).days * 5 / 7))  # its working days, roughly
        if late:
            ok = story.after(period + 1, period + 7)
        else:
            # Reported well before the due date, so that review and conclusion fit in it too.
            ok = story.after(max(1, period // 4), max(2, period * 3 // 5))
        if story.reached("acknowledged") or not ok:
            return None
        if not story.stop_at and rng.random() < 0.04:
            story.run(
                services.case_take_over,
                case=case,
                reason="单位多次报告不实，案情重大，由中心直接查办。",
                actor=self.head,
            )
            return (finding, late) if story.after(3, 10) else None
        for round_ in (1, 2):
            report = story.run(
                services.referral_report,
                referral=referral,
                facts=FACTS[finding],
                finding=finding,
                measures=MEASURES[finding],
                actor=actor,
            )
            if story.reached("reported") or not story.after(1, 2):
                return None
            if round_ == 1 and (story.stop_at == "returned" or (not story.stop_at and rng.random() < 0.14)):
                story.run(
                    services.report_review,
                    report=report,
                    decision=Review.Decision.RETURN,
                    reason=rng.choice(RETURN_REASONS),
                    actor=self.handler,
                )
                finding = F.SUBSTANTIATED if finding == F.UNSUBSTANTIATED else finding
                if story.reached("returned") or not story.after(3, 9):
                    return None
                continue
            story.run(
                services.report_review, report=report, decision=Review.Decision.ACCEPT, actor=self.handler
            )
            return finding, late
        return None

    def _recommendation(self, case: Case, story: Story, department: Department) -> None:
        recommendation = story.run(
            services.recommendation_issue,
            case=case,
            department=department,
            content="建议对涉企执法和收费行为开展专项自查，建立问题清单并限期整改。",
            basis="企业反映的问题经核查属实，暴露出制度执行不严的问题。",
            actor=self.head,
        )
        reply = "已完成专项自查，建立问题清单，整改措施已全部落实。"
        self._rectified(recommendation, story, department, reply)

    def _rectified(self, recommendation, story: Story, department: Department, reply: str) -> None:
        """The unit's rectification report some weeks later, accepted by the office head; both
        only once their day has come."""
        side = Story(story.rng, story.at, self.now)
        if side.after(6, 18):
            side.run(
                services.recommendation_reply,
                recommendation=recommendation,
                reply=reply,
                actor=self.department_actor(department),
            )
            if side.after(1, 4):
                side.run(
                    services.recommendation_close, recommendation=recommendation, accept=True, actor=self.head
                )

    def _ratings(self, case: Case, story: Story, finding: str, late: bool) -> None:
        rng = story.rng
        complaints = list(Complaint.objects.filter(case_link__case=case, status=PublicStatus.CONCLUDED))
        for complaint in complaints:
            if rng.random() >= 0.8:
                continue  # not every complainant answers the follow-up
            rating = Story(rng, story.at, self.now)
            if not rating.after(1, 8):
                continue
            level = _rating_level(rng, finding, late)
            rating.run(
                complaint_rate, complaint=complaint, level=level, comment=rng.choice(RATING_COMMENTS[level])
            )
            if level == "unsatisfied" and rng.random() < 0.35 and rating.after(1, 3):
                rating.run(
                    services.case_reopen,
                    case=case,
                    reason="企业对处理结果不满意，重新核查。",
                    actor=self.head,
                )
                if rating.after(4, 10):
                    rating.run(
                        services.case_close,
                        case=case,
                        result_summary="经重新核查，" + RESULTS[finding],
                        actor=self.handler,
                    )
                return

    # --- the programme's other records ------------------------------------------------------

    def liaison_log(self, today: dt.date) -> None:
        """The centre's contacts with the liaison points and supervisors: visits, feedback and a
        discussion meeting, a handful in each quarter."""
        rng = random.Random("envopt-demo-liaison-log")  # noqa: S311 - not security
        points = list(LiaisonPoint.objects.order_by("appointed_on", "enterprise_name"))
        supervisors = list(Supervisor.objects.order_by("appointed_on", "name"))
        if not points or not supervisors:
            return
        for quarter in demo_quarters(today):
            last = min(quarter.last_day, today - dt.timedelta(days=1))
            span = (last - quarter.first_day).days + 1
            for _ in range(rng.randint(5, 9) if span > 30 else 2):
                day = quarter.first_day + dt.timedelta(days=rng.randrange(max(1, span)))
                kind = rng.choices(list(LIAISON_LOG), weights=[50, 35, 15])[0]
                summary, issues = rng.choice(LIAISON_LOG[kind])
                subject = (
                    {"point": rng.choice(points)}
                    if rng.random() < 0.6
                    else {"supervisor": rng.choice(supervisors)}
                )
                with demo_clock_at(dt.datetime.combine(day, dt.time(16), tzinfo=SHANGHAI)):
                    liaison_visit_record(
                        **subject,
                        visited_on=day,
                        kind=kind,
                        summary=summary,
                        issues_raised=issues,
                        actor=self.handler,
                    )

    def talks_and_visits(self, today: dt.date) -> None:
        """One accountability talk and one unannounced visit in each past quarter."""
        rng = random.Random("envopt-demo-records")  # noqa: S311 - not security
        departments = list(Department.objects.filter(is_key=True).order_by("name"))
        for quarter in demo_quarters(today):
            visited_on = quarter.first_day + dt.timedelta(days=rng.randint(20, 60))
            if visited_on >= today:
                continue
            department = rng.choice(departments)
            moment = dt.datetime.combine(visited_on, dt.time(10), tzinfo=SHANGHAI)
            while moment.weekday() >= 5:
                moment += dt.timedelta(days=1)
            story = Story(rng, moment, self.now)
            visit = story.run(
                services.visit_record,
                visited_on=moment.date(),
                department=department,
                team="第一暗访组" if rng.random() < 0.5 else "第二暗访组",
                findings="办事窗口工作时间无人值守，群众等候超过一小时。",
                actor=self.handler,
            )
            case = story.run(
                services.visit_open_case,
                visit=visit,
                category="conduct",
                description=visit.findings,
                actor=self.handler,
            )
            self.case(case, story, None)
            cases = list(
                Case.objects.filter(
                    Q(department=department) | Q(pk=case.pk),
                    opened_at__gte=quarter.start,
                    opened_at__lt=min(quarter.end, self.now),
                ).order_by("opened_at")[:2]
            )
            held = Story(rng, story.at, self.now)
            if held.after(5, 15):
                held.run(
                    services.talk_record,
                    department=department,
                    heads=f"{department.head_name or department.short_name + '负责人'}",
                    held_on=held.at.date(),
                    place="市纪委谈话室",
                    record="就企业反映集中的问题和暗访发现的作风问题进行问责谈话，指出问题，提出整改要求。",
                    commitments="一个月内完成整改，并书面报告整改情况。",
                    cases=cases,
                    actor=self.head,
                )


def demo_cases_install(story: list[DemoComplaint], *, now: dt.datetime | None = None) -> int:
    """Take the demo complaints through the workflow, once; return how many cases exist."""
    if Case.objects.exists():
        return Case.objects.count()
    now = now or timezone.now()
    last_email = OutboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    work = DemoCasework(now)
    for item in story:
        if item.complaint is not None:
            work.complaint(item)
    work.talks_and_visits(timezone.localtime(now).date())
    work.liaison_log(timezone.localtime(now).date())
    past_emails_delivered(after=last_email, before=now - dt.timedelta(days=1))
    # Today's sweep of the escalation ladder, as the beat runs it every morning: what is overdue
    # in the story gets its reminder, warning or escalation (and today's e-mails about it).
    with demo_clock_at(now):
        escalation_sweep(now=now)
    return Case.objects.count()


def past_emails_delivered(*, after: int, before: dt.datetime) -> int:
    """The notices the story queued before yesterday went out at the time: they are recorded as
    sent then (written out, not mailed again now), so that starting the demo does not mail a
    hundred stale referral notices. Yesterday's and today's are left for the worker to send."""
    emails = list(
        OutboundEmail.objects.filter(pk__gt=after, status=OutboundEmail.Status.PENDING, created_at__lt=before)
    )
    for email in emails:
        outbox_render(email)
        email.status, email.attempts = OutboundEmail.Status.SENT, 1
        email.sent_at = email.created_at + dt.timedelta(minutes=1)
    OutboundEmail.objects.bulk_update(
        emails, ["body_text", "body_html", "status", "attempts", "sent_at"], batch_size=200
    )
    return len(emails)
