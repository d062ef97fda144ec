"""The big tables' changelist rows (core.admin_rows) are Django's rows, byte for byte: every
admin that plans its rows, over the security battery's world (an object of every kind), in both
languages, sorted, filtered and searched; and the page itself carries them."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.urls import resolve
from django.utils import translation

from core.admin_rows import RowPlan, django_rows, planned_result_list
from tests.security.conftest import log_in, module_db  # noqa: F401 - the module's transaction
from tests.security.test_idor import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(module_db):  # noqa: F811
    return build_world()


@pytest.fixture(scope="module")
def superuser(world):
    return User.objects.create_superuser("rows-admin", "rows@centre.example", None)


def planned_admins():
    return sorted(
        (ma for ma in admin.site._registry.values() if getattr(ma, "list_rows_planned", False)),
        key=lambda ma: ma.opts.label,
    )


def _changelist(model_admin, user, query: str = ""):
    url = f"/admin/{model_admin.opts.app_label}/{model_admin.opts.model_name}/{query}"
    request = RequestFactory().get(url)
    request.user = user
    request.resolver_match = resolve(url.split("?")[0])
    cl = model_admin.get_changelist_instance(request)
    cl.formset = None  # changelist_view sets it (a list_editable formset, or None)
    return cl


def test_the_big_tables_plan_their_rows():
    labels = {ma.opts.label for ma in planned_admins()}
    assert {"casework.Case", "complaints.Complaint", "approvals.ApprovalSignal"} <= labels


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("query", ["", "?o=-2", "?q=1", "?p=0&o=1.-3"])
def test_planned_rows_equal_djangos(world, superuser, language, query):
    compared = 0
    with translation.override(language):
        for model_admin in planned_admins():
            cl = _changelist(model_admin, superuser, query)
            planned = [[str(cell) for cell in row] for row in RowPlan(cl).rows()]
            assert planned == django_rows(cl), model_admin.opts.label
            compared += len(planned)
    if "q=" not in query:
        assert compared  # the world has rows in these lists


def test_a_list_that_does_not_plan_is_djangos(world, superuser):
    from django.contrib.admin.templatetags.admin_list import result_list

    model_admin = admin.site._registry[User]
    assert not getattr(model_admin, "list_rows_planned", False)
    cl = _changelist(model_admin, superuser)
    ours, django = planned_result_list(cl), result_list(cl)
    assert [[str(cell) for cell in row] for row in ours["results"]] == [
        [str(cell) for cell in row] for row in django["results"]
    ]
    assert ours["results"]


def test_the_page_shows_the_planned_rows(world, superuser):
    client = log_in(superuser)
    for model_admin in planned_admins():
        url = f"/admin/{model_admin.opts.app_label}/{model_admin.opts.model_name}/"
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        cl = _changelist(model_admin, superuser)
        for row in django_rows(cl):
            assert "<tr>" + "".join(row) + "</tr>" in page, url
