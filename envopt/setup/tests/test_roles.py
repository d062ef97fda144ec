import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured

from envopt.setup import roles
from envopt.setup.roles import ROLES, roles_install


def perms(group_name: str) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=group_name).permissions.select_related("content_type")
    }


@pytest.mark.django_db
def test_every_role_is_a_group_after_migrate():
    # post_migrate installed them while the test database was built.
    assert set(Group.objects.values_list("name", flat=True)) >= {r["group"] for r in ROLES.values()}


@pytest.mark.django_db
def test_groups_hold_exactly_the_tables_permissions():
    roles_install()
    for role in ROLES.values():
        if role["permissions"] == roles.ALL_PERMISSIONS:
            assert len(perms(role["group"])) == Permission.objects.count()
        else:
            assert perms(role["group"]) == set(role["permissions"])


@pytest.mark.django_db
def test_department_users_and_liaison_reporters_get_no_staff_permissions():
    roles_install()
    assert perms("Department user") == {"liaison.access_department_portal"}
    assert perms("Liaison point or supervisor") == {"liaison.access_liaison_portal"}


@pytest.mark.django_db
def test_a_permission_removed_from_the_table_is_removed_from_the_group(monkeypatch):
    roles_install()
    group = Group.objects.get(name="Office head")
    assert group.permissions.filter(codename="change_office").exists()
    trimmed = {**ROLES, "office_head": {**ROLES["office_head"], "permissions": roles.DIRECTORY_VIEW}}
    monkeypatch.setattr(roles, "ROLES", trimmed)
    roles.roles_install()
    assert not group.permissions.filter(codename="change_office").exists()


@pytest.mark.django_db
def test_an_unknown_permission_is_an_error(monkeypatch):
    broken = {**ROLES, "leader": {**ROLES["leader"], "permissions": ["liaison.fly_to_the_moon"]}}
    monkeypatch.setattr(roles, "ROLES", broken)
    with pytest.raises(ImproperlyConfigured, match="fly_to_the_moon"):
        roles.roles_install(strict=True)
