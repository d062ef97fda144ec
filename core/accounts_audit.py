"""The record of who was given which role or permission: every change to a user's groups, a
user's own permissions, a group's permissions and superuser status becomes an AccessChange row,
whether made in the admin (the acting user is the request's), by code or by a command (no actor:
the system). Read in the admin by administrators.

Signals rather than hooks in each form: ``user.groups.set()`` in the admin's user form, a
``group.user_set.add()`` in a shell and ``roles_install`` after a migrate all pass through
Django's m2m_changed, so no path to a grant goes unrecorded. Connected by CoreConfig.ready().
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_save, pre_save

from core.models import AccessChange

# The permissions that open a complainant's identity; a change touching them is flagged, and
# a role is flagged when it carries one of them.
IDENTITY_PERMISSIONS = ("complaints.view_complainant_identity",)

_request: ContextVar = ContextVar("access_audit_request", default=None)


@contextmanager
def access_audit_request(request) -> Iterator[None]:
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


def _actor():
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and user.is_authenticated:
        return user
    return None


def _identity_permission_ids() -> set[int]:
    query = Permission.objects.none()
    for code in IDENTITY_PERMISSIONS:
        app_label, codename = code.split(".", 1)
        query = query | Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return set(query.values_list("pk", flat=True))


def _permission_label(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def access_changes_record(
    *,
    action: str,
    kind: str,
    users: Iterable = (),
    groups: Iterable[Group] = (),
    permissions: Iterable[Permission] = (),
) -> list[AccessChange]:
    """One row per (subject, item): users × groups for roles, users × permissions for a user's
    own permissions, groups × permissions for a role's permissions."""
    actor = _actor()
    common = {
        "action": action,
        "kind": kind,
        "actor": actor,
        "actor_name": actor.get_username() if actor else "",
    }
    users, groups, permissions = list(users), list(groups), list(permissions)
    rows = []
    if kind == AccessChange.Kind.ROLE:
        identity_ids = _identity_permission_ids()
        identity_groups = set(
            Group.permissions.through.objects.filter(
                group__in=groups, permission_id__in=identity_ids
            ).values_list("group_id", flat=True)
        )
        for user in users:
            for group in groups:
                rows.append(
                    AccessChange(
                        **common,
                        user=user,
                        subject=user.get_username(),
                        group=group,
                        item=group.name,
                        identity=group.pk in identity_groups,
                    )
                )
    elif kind in (AccessChange.Kind.USER_PERMISSION, AccessChange.Kind.GROUP_PERMISSION):
        identity_ids = _identity_permission_ids()
        subjects = (
            [("user", u, u.get_username()) for u in users]
            if kind == AccessChange.Kind.USER_PERMISSION
            else [("group", g, g.name) for g in groups]
        )
        for field, subject, name in subjects:
            for permission in permissions:
                rows.append(
                    AccessChange(
                        **common,
                        **{field: subject},
                        subject=name,
                        permission=permission,
                        item=_permission_label(permission),
                        identity=permission.pk in identity_ids,
                    )
                )
    elif kind == AccessChange.Kind.SUPERUSER:
        for user in users:
            rows.append(
                AccessChange(
                    **common, user=user, subject=user.get_username(), item="superuser", identity=True
                )
            )
    return AccessChange.objects.bulk_create(rows)


# --- Signal receivers ---------------------------------------------------------------------


def _m2m_kind(sender) -> str | None:
    User = get_user_model()
    if sender is User.groups.through:
        return AccessChange.Kind.ROLE
    if sender is User.user_permissions.through:
        return AccessChange.Kind.USER_PERMISSION
    if sender is Group.permissions.through:
        return AccessChange.Kind.GROUP_PERMISSION
    return None


def _current_pks(instance, kind: str, reverse: bool) -> set[int]:
    """What a clear() is about to remove, read before it happens (post_clear names nothing)."""
    if kind == AccessChange.Kind.ROLE:
        manager = instance.user_set if reverse else instance.groups
    elif kind == AccessChange.Kind.USER_PERMISSION:
        manager = instance.user_set if reverse else instance.user_permissions
    else:
        manager = instance.group_set if reverse else instance.permissions
    return set(manager.values_list("pk", flat=True))


def access_m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    kind = _m2m_kind(sender)
    if kind is None:
        return
    if action == "pre_clear":
        instance._access_audit_clearing = _current_pks(instance, kind, reverse)
        return
    if action == "post_clear":
        pk_set = getattr(instance, "_access_audit_clearing", set())
        instance._access_audit_clearing = set()
    elif action not in ("post_add", "post_remove"):
        return
    if not pk_set:
        return
    change = AccessChange.Action.GRANTED if action == "post_add" else AccessChange.Action.REVOKED
    others = model.objects.filter(pk__in=pk_set)
    if model is Permission:
        others = others.select_related("content_type")
    others = list(others)
    if kind == AccessChange.Kind.ROLE:
        # user.groups.add(group) or group.user_set.add(user)
        users, groups = (others, [instance]) if reverse else ([instance], others)
        access_changes_record(action=change, kind=kind, users=users, groups=groups)
        return
    if reverse:
        # permission.user_set.add(user) / permission.group_set.add(group)
        subjects = others
        permissions = [Permission.objects.select_related("content_type").get(pk=instance.pk)]
    else:
        subjects, permissions = [instance], others
    if kind == AccessChange.Kind.USER_PERMISSION:
        access_changes_record(action=change, kind=kind, users=subjects, permissions=permissions)
    else:
        access_changes_record(action=change, kind=kind, groups=subjects, permissions=permissions)


def access_superuser_before_save(sender, instance, update_fields=None, raw=False, **kwargs) -> None:
    if raw or instance.pk is None:
        instance._access_audit_was_superuser = False if instance.pk is None else None
        return
    if update_fields is not None and "is_superuser" not in update_fields:
        instance._access_audit_was_superuser = None  # e.g. last_login on every login: no query
        return
    instance._access_audit_was_superuser = (
        sender.objects.filter(pk=instance.pk).values_list("is_superuser", flat=True).first()
    )


def access_superuser_after_save(sender, instance, created=False, raw=False, **kwargs) -> None:
    if raw:
        return
    before = getattr(instance, "_access_audit_was_superuser", None)
    if before is None and not created:
        return
    before = bool(before)
    if before != instance.is_superuser:
        access_changes_record(
            action=AccessChange.Action.GRANTED if instance.is_superuser else AccessChange.Action.REVOKED,
            kind=AccessChange.Kind.SUPERUSER,
            users=[instance],
        )


def access_audit_connect() -> None:
    User = get_user_model()
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(
            access_m2m_changed, sender=through, dispatch_uid=f"access_audit_{through._meta.label}"
        )
    pre_save.connect(access_superuser_before_save, sender=User, dispatch_uid="access_audit_superuser_pre")
    post_save.connect(access_superuser_after_save, sender=User, dispatch_uid="access_audit_superuser_post")
