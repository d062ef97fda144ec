"""Demo democratic appraisal (issue 16): last quarter's campaign, closed, with a few hundred
anonymous answers about the six key departments and a few others (so that the efficiency
assessment's APPRAISAL indicator and the department pages have figures, and one department
stays under five answers: its free text is held back), and this quarter's campaign, open, with
its public link and the liaison points and supervisors invited by e-mail.

Everything goes through the services (campaign_open, answer_submit, invitations_issue,
appraisal_sweep). Installed once (when a campaign exists, nothing more is done). Deterministic:
a seeded generator and dates counted from today."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from appraisal.campaigns.services import (
    answer_submit,
    appraisal_sweep,
    campaign_open,
    invitations_issue,
    respondents_from_directory,
)
from appraisal.models import Campaign, Invitation, Question
from core.periods import SHANGHAI, Period
from liaison.models import Department

QUESTIONS = [
    (
        Question.Kind.RATING,
        "服务态度（门好进、脸好看、事好办）",
        "Attitude (easy to reach, courteous, gets things done)",
    ),
    (Question.Kind.RATING, "办事效率", "Speed of handling"),
    (Question.Kind.RATING, "依法行政、廉洁自律", "Lawful and clean administration"),
    (Question.Kind.TEXT, "意见和建议", "Comments and suggestions"),
]
# short name: (answers, mean score wanted); 自然资源局 has three answers: its free text is held back.
APPRAISED = {
    "市场监管局": (30, 4.2),
    "税务局": (36, 4.5),
    "质监局": (12, 3.6),
    "环保局": (15, 3.1),
    "住建局": (20, 2.7),
    "交通局": (14, 3.9),
    "自然资源局": (3, 3.3),
}
COMMENTS = [
    "窗口工作人员态度热情，一次性告知所需材料。",
    "审批时限明显缩短，希望继续保持。",
    "执法检查次数偏多，建议合并检查、减少打扰。",
    "办事流程还是复杂，网上能办的事项不多。",
    "有的工作人员推诿扯皮，事情办了两个月还没结果。",
    "政策宣传到位，惠企政策兑现及时。",
    "请联系我们13912345678了解具体情况。",  # a phone number: redacted before a department reads it
]


def _score(rng: random.Random, mean: float) -> int:
    return max(1, min(5, round(rng.gauss(mean, 0.9))))


def demo_appraisal_install(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Last quarter's campaign (closed) and this quarter's (open); once."""
    now = now or timezone.now()
    if Campaign.objects.exists():
        return {"appraisal campaigns": Campaign.objects.count()}
    today = timezone.localtime(now, SHANGHAI).date()
    rng = random.Random("envopt-demo-appraisal")  # noqa: S311 - synthetic data
    departments = {d.short_name: d for d in Department.objects.filter(short_name__in=list(APPRAISED))}
    last = Period.current(now=now).previous()
    closed = _campaign(
        "上季度优化经济发展环境民主评议",
        "Democratic appraisal of the economic environment, last quarter",
        starts_on=last.last_day - dt.timedelta(days=30),
        closes_on=last.last_day - dt.timedelta(days=3),
        departments=list(departments.values()),
        public=True,
    )
    questions = list(closed.questions.all())
    answering_day = closed.closes_on - dt.timedelta(days=5)
    for short, (count, mean) in APPRAISED.items():
        department = departments.get(short)
        if department is None:
            continue
        for _ in range(count):
            values = {}
            for question in questions:
                if question.kind == Question.Kind.RATING:
                    values[question.pk] = _score(rng, mean)
                elif rng.random() < 0.35:
                    values[question.pk] = rng.choice(COMMENTS)
            answer_submit(campaign=closed, answers={department.pk: values}, today=answering_day)
    appraisal_sweep(today=closed.closes_on + dt.timedelta(days=1))
    current = _campaign(
        "本季度优化经济发展环境民主评议",
        "Democratic appraisal of the economic environment, this quarter",
        starts_on=today - dt.timedelta(days=7),
        closes_on=today + dt.timedelta(days=21),
        departments=list(departments.values()),
        public=True,
    )
    invitations_issue(
        campaign=current,
        respondents=respondents_from_directory(
            kinds=[Invitation.Kind.LIAISON_POINT, Invitation.Kind.SUPERVISOR, Invitation.Kind.COMPLAINANT]
        ),
        actor=None,
    )
    return {"appraisal campaigns": Campaign.objects.count(), "appraisal answers": closed.answers.count()}


def _campaign(title_zh: str, title_en: str, *, starts_on, closes_on, departments, public: bool) -> Campaign:
    campaign = Campaign.objects.create(
        title_zh=title_zh,
        title_en=title_en,
        intro_zh="请根据您与各部门打交道的亲身感受评议。评议匿名进行。",
        intro_en="Appraise each department from your own dealings with it. The appraisal is anonymous.",
        starts_on=starts_on,
        closes_on=closes_on,
        public_link_enabled=public,
    )
    campaign.departments.set(departments)
    for order, (kind, text_zh, text_en) in enumerate(QUESTIONS, start=1):
        Question.objects.create(campaign=campaign, kind=kind, text_zh=text_zh, text_en=text_en, order=order)
    return campaign_open(campaign=campaign, actor=None)
