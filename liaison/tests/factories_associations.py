"""Builders for associations, intermediaries and the leading group."""

import itertools

from complaints.tests import factories as complaint_factories
from liaison.models import Association, LeadingGroupMember

_counter = itertools.count(1)


def association(**overrides) -> Association:
    n = next(_counter)
    values = {
        "kind": Association.Kind.TRADE_ASSOCIATION,
        "name": f"市建筑业协会{n}",
        "short_name": f"建协{n}",
    }
    values.update(overrides)
    if "supervising_department" not in values:
        values["supervising_department"] = complaint_factories.department(name=f"市住建局{n}")
    return Association.objects.create(**values)


def member(role: str = LeadingGroupMember.Role.MEMBER, **overrides) -> LeadingGroupMember:
    n = next(_counter)
    values = {"name": f"成员{n}", "email": f"member{n}@ccdi.example", "role": role}
    values.update(overrides)
    return LeadingGroupMember.objects.create(**values)
