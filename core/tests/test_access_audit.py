"""Who was given a role or the identity permission, by whom and when, is recorded however the change
is made (the admin, code, a command), and administrators read the record in the admin."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.utils import translation

from core.models import AccessChange
from envopt.setup.roles import ROLES

pytestmark = pytest.mark.django_db

IDENTITY = ("complaints", "view_complainant_identity")


def identity_permission() -> Permission:
    return Permission.objects.get(content_type__app_label=IDENTITY[0], codename=IDENTITY[1])


def group(role: str) -> Group:
    return Group.objects.get(name=ROLES[role]["group"])


@pytest.fixture
def administrator():
    admin = User.objects.create_user("admin-audit", is_staff=True)
    admin.groups.add(group("administrator"))
    return admin


@pytest.fixture
def person():
    return User.objects.create_user("person-audit", is_staff=True)


@pytest.fixture
def changes():
    """The changes this test made, oldest first. The database already holds the system's changes
    of its set-up (the role table applied after migrate)."""
    before = AccessChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def made(**filters) -> list[AccessChange]:
        return list(AccessChange.objects.filter(pk__gt=before, **filters).order_by("pk"))

    return made


def test_a_role_granted_in_the_admin_names_who_granted_it(client, administrator, person, changes):
    client.force_login(administrator)
    office_head = group("office_head")
    response = client.post(
        f"/admin/auth/user/{person.pk}/change/",
        {
            "username": person.username,
            "is_active": "on",
            "is_staff": "on",
            "groups": [office_head.pk],
            "date_joined_0": "2026-01-05",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    [change] = changes(user=person)
    assert change.action == AccessChange.Action.GRANTED
    assert change.kind == AccessChange.Kind.ROLE
    assert change.group == office_head and change.item == office_head.name
    assert change.actor == administrator and change.actor_name == administrator.username
    assert change.identity  # office heads see who complained


def test_a_role_taken_away_by_code_is_recorded_as_the_system(person, changes):
    handler = group("case_handler")
    person.groups.add(handler)
    person.groups.remove(handler)
    granted, revoked = changes(user=person)
    assert (granted.action, revoked.action) == (AccessChange.Action.GRANTED, AccessChange.Action.REVOKED)
    assert revoked.actor is None and revoked.actor_name == ""
    assert not revoked.identity  # case handlers do not see identities


def test_membership_changed_from_the_group_side_is_recorded(person, changes):
    group("intake_officer").user_set.add(person)
    [change] = changes(user=person)
    assert change.group == group("intake_officer") and change.identity


def test_clearing_every_role_records_each_one(person, changes):
    person.groups.add(group("case_handler"), group("leader"))
    person.groups.clear()
    revoked = changes(user=person, action=AccessChange.Action.REVOKED)
    assert {c.item for c in revoked} == {ROLES["case_handler"]["group"], ROLES["leader"]["group"]}


def test_the_identity_permission_given_directly_is_flagged(person, changes):
    permission = identity_permission()
    person.user_permissions.add(permission)
    permission.user_set.remove(person)
    granted, revoked = changes(user=person)
    assert granted.kind == AccessChange.Kind.USER_PERMISSION
    assert granted.item == "complaints.view_complainant_identity" and granted.identity
    assert revoked.action == AccessChange.Action.REVOKED and revoked.permission == permission


def test_a_role_given_the_identity_permission_is_recorded(person, changes):
    leaders = group("leader")
    leaders.permissions.add(identity_permission())
    [change] = changes(group=leaders)
    assert change.kind == AccessChange.Kind.GROUP_PERMISSION
    assert change.subject == leaders.name and change.identity


def test_superuser_status_is_recorded(person, changes):
    person.is_superuser = True
    person.save()
    person.save(update_fields=["last_login"])  # a login: nothing to record, nothing read
    person.is_superuser = False
    person.save(update_fields=["is_superuser"])
    created = User.objects.create_superuser("root-audit", password="x")
    assert [c.action for c in changes(kind=AccessChange.Kind.SUPERUSER, user=person)] == [
        "granted",
        "revoked",
    ]
    assert changes(kind=AccessChange.Kind.SUPERUSER, user=created)[0].identity


def test_the_record_outlives_the_user(person, changes):
    person.groups.add(group("leader"))
    person.delete()
    [change] = changes(subject="person-audit")
    assert change.user is None and change.item == ROLES["leader"]["group"]


def test_administrators_read_the_record_and_cannot_change_it(client, administrator, person):
    person.groups.add(group("office_head"))
    person.groups.add(group("case_handler"))
    client.force_login(administrator)
    listing = client.get("/admin/core/accesschange/", {"identity__exact": "1", "q": "person-audit"})
    assert listing.status_code == 200
    assert [c.item for c in listing.context["cl"].result_list] == [ROLES["office_head"]["group"]]
    # The role is stored under its stable key and read as the role's label in the reader's language.
    chinese = client.get("/admin/core/accesschange/", {"q": "person-audit"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    with translation.override("zh-hans"):
        label = str(ROLES["office_head"]["label"])
    assert label != ROLES["office_head"]["group"] and label in chinese.content.decode()
    found = client.get("/admin/core/accesschange/", {"q": "person-audit"})
    assert found.context["cl"].result_count == 2
    change = AccessChange.objects.filter(user=person).first()
    assert client.get("/admin/core/accesschange/add/").status_code == 403
    assert client.post(f"/admin/core/accesschange/{change.pk}/delete/").status_code == 403
    assert client.get(f"/admin/core/accesschange/{change.pk}/change/").status_code == 200


def test_staff_without_the_permission_do_not_see_it(client, person):
    person.groups.add(group("office_head"))
    client.force_login(person)
    assert client.get("/admin/core/accesschange/").status_code == 403
