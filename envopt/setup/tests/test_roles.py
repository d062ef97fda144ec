import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

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
    # Filing its trainings and award activities (issue 16) is a department's own work, not staff's.
    assert perms("Department user") == {"liaison.access_department_portal", "inspections.file_activity"}
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


# --- Names people read --------------------------------------------------------------------------


def superuser_client(client):
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("root", "root@example.com", "pw-12345678")
    client.force_login(admin)
    return client


@pytest.mark.django_db
def test_a_roles_group_keeps_its_key_and_reads_as_its_label():
    group = Group.objects.get(name="Intake officer")  # what code and tests look it up by
    with translation.override("zh-hans"):
        assert str(group) == "受理员"
    with translation.override("en"):
        assert str(group) == "Intake officer"
    # A group staff made in the admin reads as they named it.
    assert str(Group.objects.create(name="专项检查组")) == "专项检查组"


@pytest.mark.django_db
def test_roles_install_on_a_database_with_the_groups_already_there_changes_no_name():
    before = dict(Group.objects.values_list("pk", "name"))
    roles_install()
    roles_install()
    assert dict(Group.objects.values_list("pk", "name")) == before
    assert Group.objects.count() == len(before)


@pytest.mark.django_db
def test_the_admin_lists_and_picks_roles_in_chinese(client):
    superuser_client(client)
    listing = client.get("/admin/auth/group/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    labels = ("系统管理员", "受理员", "承办人", "厅室主任", "委领导", "部门用户", "企业联系点或监督员")
    positions = [listing.index(f">{label}<") for label in labels]
    assert positions == sorted(positions)  # in the role table's order, not the keys' alphabet
    assert "Intake officer" not in listing
    group = Group.objects.get(name="Intake officer")
    page = client.get(
        f"/admin/auth/group/{group.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "受理员" in page and 'name="name"' not in page  # the key is not editable
    user = get_user_model().objects.create_user("someone", password="pw-12345678")
    picker = client.get(
        f"/admin/auth/user/{user.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert f'<option value="{group.pk}">受理员</option>' in picker


@pytest.mark.django_db
def test_a_group_made_by_staff_keeps_an_editable_name(client):
    superuser_client(client)
    group = Group.objects.create(name="专项检查组")
    page = client.get(f"/admin/auth/group/{group.pk}/change/").content.decode()
    assert 'name="name"' in page and "专项检查组" in page
