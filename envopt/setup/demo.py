"""Demo data for `make run`: the directory of DESIGN.md, the commission's offices,
30 liaison points, 30 supervisors, one account per role, and six quarters of complaints ending
today taken through the workflow (demo_complaints, demo_cases). Idempotent: running it again
updates the same rows by their natural keys and creates nothing twice."""

import datetime
import hashlib
from base64 import b32encode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import OutboundEmail
from envopt.setup.demo_activities import demo_activities_install
from envopt.setup.demo_appraisal import demo_appraisal_install
from envopt.setup.demo_approvals import demo_approvals_install
from envopt.setup.demo_cases import demo_cases_install, past_emails_delivered
from envopt.setup.demo_complaints import demo_complaints_install, demo_quarters
from envopt.setup.demo_directory import demo_directory_install
from envopt.setup.demo_inspections import demo_inspection_logins, demo_inspections_install
from envopt.setup.demo_openness import demo_openness_install
from envopt.setup.roles import ROLES, roles_install
from liaison.models import Department, LiaisonPoint, Office, Supervisor
from reports.ledger.services import ledger_task_edit
from reports.models import LedgerTask

S = Department.System

# name, short name, system, key department, mailbox
DEPARTMENTS = [
    ("市市场监督管理局", "市场监管局", S.MARKET_REGULATION, True, "scjg"),
    ("市税务局", "税务局", S.TAXATION, True, "sw"),
    ("市质量技术监督局", "质监局", S.QUALITY, True, "zj"),
    ("市生态环境局", "环保局", S.ENVIRONMENT, True, "hb"),
    ("市住房和城乡建设局", "住建局", S.CONSTRUCTION, True, "zjj"),
    ("市交通运输局", "交通局", S.TRANSPORT, True, "jt"),
    ("市公安局", "公安局", S.PUBLIC_SECURITY, False, "ga"),
    ("市人力资源和社会保障局", "人社局", S.HUMAN_RESOURCES, False, "rs"),
    ("市自然资源和规划局", "自然资源局", S.NATURAL_RESOURCES, False, "zr"),
    ("市行政服务中心", "行政服务中心", S.ADMINISTRATIVE_SERVICE, False, "xzfw"),
    ("市供电公司", "供电公司", S.UTILITIES, False, "gd"),
    ("市消防救援支队", "消防支队", S.OTHER, False, ""),  # no e-mail: flagged in the admin
]

OFFICES = [
    ("监察投诉中心", "tsz"),
    ("党风政风监督室", "dfzf"),
    ("第一纪检监察室", "jjjc1"),
    ("第二纪检监察室", "jjjc2"),
    ("案件审理室", "ajsl"),
    ("信访室", "xf"),
]

SECTORS = ["制造业", "批发零售", "建筑业", "餐饮住宿", "软件信息", "物流运输", "农产品加工", "医药"]
PREFIXES = [
    "华兴",
    "鑫源",
    "恒通",
    "瑞丰",
    "金禾",
    "远航",
    "宏达",
    "博创",
    "盛世",
    "新锐",
    "嘉禾",
    "永安",
    "天成",
    "泰和",
    "众联",
]
SUFFIXES = ["机械制造有限公司", "商贸有限公司"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
GIVEN = ["建国", "秀英", "志强", "海燕", "立新", "红梅", "国庆", "丽华", "晓东", "文静"]

DEMO_PASSWORD_SUFFIX = "-demo-2026"  # noqa: S105 - demo accounts; seed_demo refuses production

# username, role, display name
ACCOUNTS = [
    ("admin", "administrator", "系统管理员"),
    ("intake", "intake_officer", "受理员 王敏"),
    ("handler", "case_handler", "承办人 李强"),
    ("officehead", "office_head", "主任 张华"),
    ("leader", "leader", "委领导 陈明"),
    ("dept", "department_user", "市场监管局联络员"),
    ("inspector", "inspector", "市场监管局执法检查员"),
    ("hall", "hall_system", "政务服务中心审批系统"),
    ("liaison", "liaison_reporter", "联系点 华兴机械"),
    ("supervisor", "liaison_reporter", "监督员 王建国"),
]


def demo_password(username: str) -> str:
    return f"{username}{DEMO_PASSWORD_SUFFIX}"


DEMO_TOTP_DEVICE_NAME = "demo authenticator"


def demo_totp_key(username: str) -> str:
    """Each demo account's authenticator secret (hex, as django-otp stores it): fixed, so the
    secret printed by `make run` stays valid across runs, and as public as the demo passwords."""
    return hashlib.sha256(f"envopt-demo-totp:{username}".encode()).hexdigest()[:40]


def demo_totp_secret(username: str) -> str:
    """The same secret in base32, as an authenticator app asks for it."""
    return b32encode(bytes.fromhex(demo_totp_key(username))).decode()


def demo_totp_install(user) -> TOTPDevice:
    """Pre-enrol a demo account with its fixed authenticator secret, so staff can log in with a
    code (an app given the printed secret, or `manage.py demo_totp_code <username>`)."""
    device, _created = TOTPDevice.objects.update_or_create(
        user=user,
        name=DEMO_TOTP_DEVICE_NAME,
        defaults={"key": demo_totp_key(user.get_username()), "confirmed": True},
    )
    return device


def demo_logins() -> list[str]:
    """The lines `seed_demo` and `runstack` print: each account's password and, for the accounts
    that need a second factor, the authenticator secret it is enrolled with."""
    lines = [
        "Demo logins (username / password / role / authenticator secret for the second step):",
    ]
    for username, role, _display in ACCOUNTS:
        needs_code = ROLES[role]["staff"] or (
            settings.TWO_FACTOR_DEPARTMENTS and role in ("department_user", "inspector")
        )
        secret = demo_totp_secret(username) if needs_code else ""
        lines.append(f"  {username:<11} {demo_password(username):<24} {role:<17} {secret}".rstrip())
    lines.append(
        "  Staff confirm each login with a code: add the secret to an authenticator app (time-based),"
    )
    lines.append("  or print the current code with: python manage.py demo_totp_code <username>")
    lines.extend(demo_inspection_logins())
    return lines


def _enterprise(i: int) -> str:
    return f"{PREFIXES[i % len(PREFIXES)]}{SUFFIXES[i // len(PREFIXES) % len(SUFFIXES)]}"


def _person(i: int) -> str:
    return f"{SURNAMES[i % len(SURNAMES)]}{GIVEN[i % len(GIVEN)]}"


@transaction.atomic
def demo_install(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Install the demo directory and accounts, and the story of six quarters ending ``now``
    (default: now); return how many rows of each kind exist."""
    groups = roles_install(strict=True)
    User = get_user_model()

    departments = {}
    for name, short, system, is_key, box in DEPARTMENTS:
        departments[short], _created = Department.objects.update_or_create(
            name=name,
            defaults={
                "short_name": short,
                "system": system,
                "is_key": is_key,
                "email": f"{box}@dept.envopt.example" if box else "",
                "head_name": f"{short}局长" if box else "",
                "head_email": f"{box}-head@dept.envopt.example" if box else "",
                "supervising_leader": "纪委副书记 赵刚",
                "supervising_leader_email": "leader@jw.envopt.example",
            },
        )

    offices = {}
    for name, box in OFFICES:
        offices[name], _created = Office.objects.update_or_create(
            name=name, defaults={"email": f"{box}@jw.envopt.example"}
        )

    users = {}
    for username, role, display in ACCOUNTS:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(demo_password(username))
        user.first_name = display
        user.email = f"{username}@demo.envopt.example"
        user.is_staff = ROLES[role]["staff"]
        user.is_superuser = role == "administrator"
        user.save()
        user.groups.set([groups[role]])
        demo_totp_install(user)
        users[username] = user

    offices["监察投诉中心"].members.add(users["intake"], users["handler"], users["officehead"])
    Office.objects.filter(pk=offices["监察投诉中心"].pk).update(head=users["officehead"])
    departments["市场监管局"].members.add(users["dept"], users["inspector"])

    # Appointed two months before the story begins, for a three-year term: a point files and is
    # visited only while appointed. Set when created, so that a later run moves no dates.
    today = timezone.localtime(now).date() if now else timezone.localdate()
    base = demo_quarters(today)[0].first_day - datetime.timedelta(days=60)
    term_ends = base.replace(year=base.year + 3)
    for i in range(30):
        LiaisonPoint.objects.update_or_create(
            enterprise_name=_enterprise(i),
            defaults={
                "sector": SECTORS[i % len(SECTORS)],
                "address": f"经济开发区{i + 1}号路{(i * 7) % 90 + 10}号",
                "contact_name": _person(i),
                "phone": f"1390000{i:04d}",
                "user": users["liaison"] if i == 0 else None,
            },
            create_defaults={
                "sector": SECTORS[i % len(SECTORS)],
                "address": f"经济开发区{i + 1}号路{(i * 7) % 90 + 10}号",
                "contact_name": _person(i),
                "phone": f"1390000{i:04d}",
                "appointed_on": base + datetime.timedelta(days=i),
                "term_ends_on": term_ends,
                "user": users["liaison"] if i == 0 else None,
            },
        )
        Supervisor.objects.update_or_create(
            name=_person(i + 7),
            enterprise_name=_enterprise(29 - i),
            defaults={
                "position": "总经理" if i % 2 else "办公室主任",
                "phone": f"1380000{i:04d}",
                "user": users["supervisor"] if i == 0 else None,
            },
            create_defaults={
                "position": "总经理" if i % 2 else "办公室主任",
                "phone": f"1380000{i:04d}",
                "appointed_on": base + datetime.timedelta(days=i),
                "term_ends_on": term_ends,
                "user": users["supervisor"] if i == 0 else None,
            },
        )

    # The eight measures of the programme belong to the complaint centre in the demo.
    for measure in LedgerTask.objects.filter(source=LedgerTask.Source.MEASURE, office__isnull=True):
        ledger_task_edit(
            task=measure,
            title=measure.title,
            goal=measure.goal,
            office=offices["监察投诉中心"],
            responsible=users["officehead"],
            due_date=measure.due_date,
            actor=None,
        )
    story = demo_complaints_install(now=now)
    cases = demo_cases_install(story, now=now)
    last_email = OutboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    inspections = demo_inspections_install(now=now)
    approvals = demo_approvals_install(now=now)
    openness = demo_openness_install(now=now)
    activities = demo_activities_install(now=now)  # trainings and award activities (issue 16)
    appraisal = demo_appraisal_install(now=now)
    directory = demo_directory_install(now=now)  # associations, the leading group, the hotline
    # The other apps' stories queued their notices on their own days too: those before yesterday
    # went out at the time.
    past_emails_delivered(after=last_email, before=(now or timezone.now()) - datetime.timedelta(days=1))
    return {
        "complaints": len(story),
        "cases": cases,
        "departments": Department.objects.count(),
        "offices": Office.objects.count(),
        "liaison points": LiaisonPoint.objects.count(),
        "supervisors": Supervisor.objects.count(),
        "accounts": len(users),
        **inspections,
        **approvals,
        **openness,
        **activities,
        **appraisal,
        **directory,
    }
