"""The leading group (领导小组, seed §四.1) as the rest of the portal reads it: who the leaders
are that hear of the escalation ladder's top step, and who receives the dispatch-meeting pack.

The head and deputies are the leaders; ``LADDER_CENTRE_LEADER_EMAIL`` is the fallback while the
directory names none with an address (a new installation, or a group not yet entered)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from core.ladder import Recipient
from liaison.models import LeadingGroupMember, Office

LEADER_ROLES = (LeadingGroupMember.Role.HEAD, LeadingGroupMember.Role.DEPUTY)


def leading_group_members(*, roles=None) -> list[LeadingGroupMember]:
    """Active members in the group's order (head first), with their accounts and offices."""
    queryset = LeadingGroupMember.objects.filter(is_active=True).select_related("user", "office")
    if roles is not None:
        queryset = queryset.filter(role__in=roles)
    members = list(queryset)
    rank = {role: n for n, role in enumerate(LeadingGroupMember.Role.values)}
    return sorted(members, key=lambda m: (rank[m.role], m.order, m.pk))


def _unique(addresses) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a for a in addresses if a))


def leading_group_leader_addresses() -> tuple[str, ...]:
    """The head's and deputies' addresses, or the fallback setting when none is on file."""
    addresses = _unique(m.address for m in leading_group_members(roles=LEADER_ROLES))
    if addresses:
        return addresses
    return _unique([settings.LADDER_CENTRE_LEADER_EMAIL])


def leading_group_recipient(*, language: str | None = None) -> Recipient:
    """The ladder's top step at the commission's level: the leading group's head and deputies."""
    language = language or settings.LANGUAGE_CODE
    addresses = leading_group_leader_addresses()
    note = ""
    if not addresses:
        note = _(
            "No leader of the leading group has an e-mail address and LADDER_CENTRE_LEADER_EMAIL is "
            "not set: add them in the directory."
        )
    return Recipient(to=addresses, name=_("the leaders of the leading group"), language=language, note=note)


def leading_group_pack_recipients() -> tuple[str, ...]:
    """Who receives the dispatch-meeting pack: every active member with an address (the
    fallback setting when there is none)."""
    addresses = _unique(m.address for m in leading_group_members())
    return addresses or _unique([settings.LADDER_CENTRE_LEADER_EMAIL])


def leading_group_office() -> Office | None:
    """The office of the leading group: the complaint centre, flagged in the directory."""
    return Office.objects.filter(hosts_leading_group=True).first()
