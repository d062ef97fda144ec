"""Builders for notification tests: complaints received at a given moment, through the real
intake service, and users with the run permissions."""

import datetime as dt
import itertools

from django.contrib.auth.models import Permission, User

from complaints.services import complaint_submit
from complaints.tests import factories as complaint_factories
from core.periods import PERIOD_TIMEZONE
from liaison.models import Department

_counter = itertools.count(1)

# What complainant_factories.identity() files, planted in the descriptions of identity tests.
IDENTITY_VALUES = {
    "contact_name": "张三",
    "phone": "13912345678",
    "email": "zhangsan@example.com",
    "enterprise_name": "华兴机械制造有限公司",
    "credit_code": "91110000802100433B",
}
PLANTED = (
    "华兴机械制造有限公司的联系人张三(电话13912345678,邮箱zhangsan@example.com,"
    "统一社会信用代码91110000802100433B)反映:执法大队一个月内上门检查四次,每次都要求停产。"
)


def shanghai(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PERIOD_TIMEZONE)


def department(**overrides) -> Department:
    return complaint_factories.department(**overrides)


def complaint(
    *,
    department: Department | None = None,
    at: dt.datetime | None = None,
    category: str = "inspections",
    description: str = "三个月内被同一部门重复检查五次,每次都要求停产配合。",
    anonymous: bool = False,
    department_text: str = "",
):
    data = complaint_factories.complaint_data(
        department=department, department_text=department_text, category=category, description=description
    )
    return complaint_submit(
        data=data,
        identity=None if anonymous else complaint_factories.identity(),
        received_at=at or shanghai(2026, 10, 12),
    ).complaint


def staff(*, permissions: tuple[str, ...] = ("add", "change", "view", "delete", "approve")) -> User:
    account = User.objects.create_user(f"notifier-{next(_counter)}", password="pw-12345678", is_staff=True)
    codenames = [
        "approve_notificationrun" if action == "approve" else f"{action}_notificationrun"
        for action in permissions
    ]
    account.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="reports", codename__in=codenames)
    )
    return account
