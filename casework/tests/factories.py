"""Builders for casework tests: users by role and cases brought to a given point through the
real services."""

import itertools

from django.contrib.auth.models import Group, User

from casework import services
from casework.models import Case, Referral
from complaints.tests import factories as complaint_factories
from liaison.models import Department

_counter = itertools.count(1)

ROLE_GROUPS = {
    "intake": "Intake officer",
    "handler": "Case handler",
    "head": "Office head",
    "leader": "Leader",
    "dept": "Department user",
    "liaison": "Liaison point or supervisor",
}


def user(role: str, *, department: Department | None = None, username: str | None = None) -> User:
    name = username or f"{role}-{next(_counter)}"
    account = User.objects.create_user(name, password="pw-12345678", is_staff=role not in {"dept", "liaison"})
    account.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
    if department is not None:
        department.members.add(account)
    return account


def accepted_case(*, actor, department: Department | None = None, **complaint_overrides) -> Case:
    department = department or complaint_factories.department()
    complaint = complaint_factories.submit(department=department, **complaint_overrides).complaint
    return services.complaint_accept(complaint=complaint, actor=actor)


def referred_case(
    *, actor, department: Department | None = None, working_days: int = 5
) -> tuple[Case, Referral]:
    case = accepted_case(actor=actor, department=department)
    referral = services.case_refer(
        case=case,
        department=case.department,
        kind=Referral.Kind.ASSIGN,
        released_text="企业反映重复检查问题。",
        instructions="请核实并报告。",
        working_days=working_days,
        actor=actor,
    )
    return case, referral


def reported_case(*, actor, dept_user, department: Department) -> tuple[Case, Referral]:
    case, referral = referred_case(actor=actor, department=department)
    services.referral_acknowledge(referral=referral, actor=dept_user)
    services.referral_report(
        referral=referral,
        facts="经核查,确有重复检查。",
        finding=Case.Finding.SUBSTANTIATED,
        measures="已约谈执法大队,合并检查事项。",
        actor=dept_user,
    )
    return case, referral
