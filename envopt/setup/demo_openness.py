"""Demo openness checks (政务公开, issue 16): a spot-check campaign of the six key departments over
this quarter, with two checklist items per criterion, the inspectors' findings recorded through
the services (most items pass; some fail and wait for the unit's rectification on the ladder; one
serious failure opens a case), the market regulator's answers (one answered, one returned and
answered again, one still open for the demo's department user), and a demonstration site.

Installed once (when any campaign exists, nothing is done); deterministic."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from appraisal.models import ChecklistItem, Criterion, OpennessCampaign, OpennessFinding
from appraisal.openness.services import (
    demonstration_site_mark,
    finding_accept,
    finding_answer,
    finding_record,
    finding_return,
)
from core.periods import Period
from envopt.setup.demo_clock import demo_clock_at
from liaison.models import Department

R = OpennessFinding.Result

CHECKLIST = {
    Criterion.CONTENT: ["政府信息公开目录和指南齐全并及时更新", "行政权力清单、收费目录清单全部公开"],
    Criterion.FORM: ["办事指南可在网站、窗口和政务服务平台查阅", "公开栏设置醒目，群众查阅方便"],
    Criterion.TIME: ["政府信息在形成之日起20个工作日内公开", "依申请公开在法定期限内答复"],
    Criterion.PROCEDURE: ["公开前经保密审查并留存记录", "依申请公开登记、审核、答复程序完整"],
    Criterion.RULES: ["建立政务公开工作制度和责任分工", "建立公开内容审核和考核制度"],
    Criterion.SATISFACTION: ["群众对公开内容的满意度调查已开展", "群众意见建议有回应、有整改"],
}

# (department short name, criterion, item index, result, note): everything not listed passes.
FAILURES = [
    ("市场监管局", Criterion.CONTENT, 1, R.FAIL, "收费目录清单未公开，网站栏目为空。"),
    ("市场监管局", Criterion.TIME, 0, R.FAIL, "抽查的5条许可信息均超过20个工作日才公开。"),
    ("市场监管局", Criterion.SATISFACTION, 0, R.FAIL, "本年度未开展满意度调查。"),
    ("税务局", Criterion.FORM, 1, R.FAIL, "办税大厅公开栏被遮挡，无法查阅。"),
    ("住建局", Criterion.PROCEDURE, 1, R.SERIOUS, "依申请公开3件超期两个月未答复，且无登记记录。"),
    ("住建局", Criterion.RULES, 0, R.FAIL, "未建立政务公开工作制度。"),
    ("交通局", Criterion.TIME, 1, R.FAIL, "依申请公开答复超期5个工作日。"),
]
UNITS = ["市场监管局", "税务局", "质监局", "环保局", "住建局", "交通局"]


def demo_openness_install(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The campaign, its findings and the answers (once)."""
    if not OpennessCampaign.objects.exists():
        _campaign(now=now or timezone.now())
    return {
        "openness campaigns": OpennessCampaign.objects.count(),
        "openness findings": OpennessFinding.objects.count(),
    }


def _campaign(*, now: dt.datetime) -> None:
    User = get_user_model()
    handler, head = User.objects.get(username="handler"), User.objects.get(username="officehead")
    dept_user = User.objects.get(username="dept")
    quarter = Period.current(now=now)
    # The story's moments, never after ``now``: the checks ten days ago (or on the quarter's first
    # day), the answers and the decisions on the days after.
    checked = max(now - dt.timedelta(days=10), quarter.start)

    def at(days: int) -> dt.datetime:
        return min(checked + dt.timedelta(days=days), now)

    units = {d.short_name: d for d in Department.objects.filter(short_name__in=UNITS)}
    campaign = OpennessCampaign.objects.create(
        title=f"{quarter.first_day.year}年第{(quarter.first_day.month - 1) // 3 + 1}季度政务公开抽查",
        method=OpennessCampaign.Method.SPOT,
        starts_on=quarter.first_day,
        ends_on=quarter.last_day,
        description="对六个重点部门按“内容全面、形式便民、时间及时、程序严密、制度健全、群众满意”六项标准抽查。",
        created_by=head,
    )
    campaign.units.set(units.values())
    items = {}
    for criterion, texts in CHECKLIST.items():
        for index, text in enumerate(texts):
            items[criterion, index] = ChecklistItem.objects.create(
                campaign=campaign, criterion=criterion, text=text, order=len(items) + 1
            )
    failures = {(unit, criterion, index): (result, note) for unit, criterion, index, result, note in FAILURES}
    found = {}
    for short in UNITS:
        for (criterion, index), item in items.items():
            result, note = failures.get((short, criterion, index), (R.PASS, ""))
            with demo_clock_at(at(0)):
                found[short, criterion, index] = finding_record(
                    campaign=campaign,
                    department=units[short],
                    item=item,
                    result=result,
                    note=note,
                    actor=handler,
                )
    # The market regulator answers: one accepted, one returned and answered again, one open.
    with demo_clock_at(at(2)):
        accepted = finding_answer(
            finding=found["市场监管局", Criterion.CONTENT, 1],
            rectification="已在门户网站“收费目录清单”栏目公开全部收费项目及依据。",
            actor=dept_user,
        )
        returned = finding_answer(
            finding=found["市场监管局", Criterion.TIME, 0],
            rectification="已要求各科室及时公开。",
            actor=dept_user,
        )
    with demo_clock_at(at(3)):
        finding_accept(finding=accepted, actor=head)
        returned = finding_return(
            finding=returned, reason="请说明公开时限的具体保障措施，并附整改后的公开记录。", actor=head
        )
    with demo_clock_at(at(5)):
        finding_answer(
            finding=returned,
            rectification="建立许可信息公开台账，每周核对一次；附10月以来公开记录。",
            actor=dept_user,
        )
        demonstration_site_mark(
            campaign=campaign,
            department=units["环保局"],
            citation="六项标准全部达标，环境信息公开专栏内容全面、更新及时，群众查阅便利。",
            actor=head,
        )
