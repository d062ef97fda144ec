"""The admin's list of models (sidebar, index) is built once per set of permissions: a user sees
what their own permissions allow, never a list built for someone else, and a permission granted
shows at once."""

import pytest
from django.contrib.auth.models import Permission, User

from core.twofactor_testing import client_session_verify


def _staff(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def _models_listed(client, user: User) -> set[str]:
    client.force_login(user)
    client_session_verify(client, user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return {model["object_name"] for app in response.context["app_list"] for model in app["models"]}


@pytest.mark.django_db
def test_each_user_sees_the_models_their_own_permissions_allow(client):
    departments = _staff("reads-departments", "view_department")
    offices = _staff("reads-offices", "view_office")
    assert _models_listed(client, departments) == {"Department"}
    assert _models_listed(client, offices) == {"Office"}
    assert _models_listed(client, departments) == {"Department"}  # the first list again, not the last
    # A permission granted shows on the next page.
    offices.user_permissions.add(Permission.objects.get(codename="view_department"))
    assert _models_listed(client, User.objects.get(pk=offices.pk)) == {"Department", "Office"}


@pytest.mark.django_db
def test_the_lists_handed_out_are_copies(client):
    user = _staff("reads-both", "view_department", "view_office")
    first = _models_listed(client, user)
    client.force_login(user)
    client_session_verify(client, user)
    response = client.get("/admin/")
    response.context["app_list"][0]["models"].clear()  # what a template or view might do to its copy
    assert _models_listed(client, user) == first


@pytest.mark.django_db
def test_users_with_the_same_permissions_share_one_built_list(client, monkeypatch):
    from django.contrib import admin

    built = []
    build = admin.AdminSite._build_app_dict

    def counting(self, request, label=None):
        built.append(request.user.username)
        return build(self, request, label)

    monkeypatch.setattr(admin.AdminSite, "_build_app_dict", counting)
    admin.site._app_dicts.clear()
    first, second = _staff("clerk-1", "view_ledgertask"), _staff("clerk-2", "view_ledgertask")
    # Who may export the ledger also has their list of exports (core.exports, issue 18).
    assert _models_listed(client, first) == _models_listed(client, second) == {"LedgerTask", "ExportJob"}
    assert built == ["clerk-1"]


def _sidebar(client, user: User, url: str) -> str:
    client.force_login(user)
    client_session_verify(client, user)
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.content.decode()
    start = page.index('<nav class="sticky" id="nav-sidebar"')
    return page[start : page.index("</nav>", start)]


@pytest.mark.django_db
def test_the_kept_sidebar_is_the_users_own_and_marks_the_page_it_is_on(client):
    from django.contrib import admin

    admin.site._sidebars.clear()
    both = _staff("sidebar-both", "view_department", "view_office")
    one = _staff("sidebar-one", "view_department")
    on_departments = _sidebar(client, both, "/admin/liaison/department/")
    on_offices = _sidebar(client, both, "/admin/liaison/office/")
    assert 'class="model-department current-model"' in on_departments
    assert 'class="model-office current-model"' not in on_departments
    assert 'class="model-office current-model"' in on_offices
    assert 'class="model-department current-model"' not in on_offices
    # The same page again comes from what was kept, identical; another user's list is their own.
    assert _sidebar(client, both, "/admin/liaison/department/") == on_departments
    assert len(admin.site._sidebars) == 2
    mine = _sidebar(client, one, "/admin/liaison/department/")
    assert "model-office" not in mine and "model-department current-model" in mine
    # Another page under the same entry (the department's changelist filtered) uses the same kept
    # sidebar: what it shows depends on the entries the path falls under, not on the path.
    assert _sidebar(client, both, "/admin/liaison/department/?q=x") == on_departments
    assert len(admin.site._sidebars) == 3
