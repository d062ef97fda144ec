"""Supervision codes: a secret of ≥ 80 bits, stored only as a keyed hash, found in one query,
rotatable, drawn as a QR code here, never in a log; the admin shows the link once."""

import logging
import math
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework.tests import factories as casework_factories
from inspections.models import SupervisionCode
from inspections.services import codes
from inspections.tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_secret_carries_at_least_80_bits_and_is_url_safe(db):
    secret = codes.code_issue(enterprise=f.enterprise())
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", secret)
    assert codes.SECRET_BYTES * 8 >= 80 and len(secret) * math.log2(64) >= 80


def test_only_a_keyed_hash_is_stored(db, settings):
    enterprise = f.enterprise()
    secret = codes.code_issue(enterprise=enterprise)
    row = SupervisionCode.objects.get(enterprise=enterprise)
    assert row.secret_hash == codes.code_hash(secret) and secret not in row.secret_hash
    settings.SUPERVISION_CODE_KEY = "another key"
    assert codes.code_hash(secret) != row.secret_hash


def test_the_code_finds_its_enterprise_in_one_query(db):
    enterprise = f.enterprise()
    secret = codes.code_issue(enterprise=enterprise)
    with CaptureQueriesContext(connection) as queries:
        assert codes.enterprise_by_code(secret) == enterprise
    assert len(queries) == 1


@pytest.mark.parametrize("bad", ["", "short", "x" * 21, "x" * 23, "a/b" + "x" * 19, "漢" * 22])
def test_text_that_cannot_be_a_code_makes_no_query(db, bad):
    with CaptureQueriesContext(connection) as queries:
        assert codes.enterprise_by_code(bad) is None
    assert len(queries) == 0


def test_rotation_stops_the_old_code_at_once(db):
    enterprise = f.enterprise()
    old = codes.code_issue(enterprise=enterprise)
    new = codes.code_rotate(enterprise=enterprise, actor=None)
    assert new != old
    assert codes.enterprise_by_code(old) is None
    assert codes.enterprise_by_code(new) == enterprise
    assert SupervisionCode.objects.filter(enterprise=enterprise).count() == 1


def test_an_inactive_enterprise_is_not_found(db):
    enterprise = f.enterprise(is_active=False)
    assert codes.enterprise_by_code(codes.code_issue(enterprise=enterprise)) is None


def test_the_qr_code_is_an_svg_of_the_private_link(db, settings):
    settings.SITE_URL = "https://envopt.example"
    secret = codes.code_issue(enterprise=f.enterprise())
    assert codes.code_link(secret) == f"https://envopt.example/e/{secret}/"
    uri = codes.code_svg_data_uri(secret)
    assert uri.startswith("data:image/svg+xml")


def test_opening_the_link_keeps_the_enterprise_and_drops_the_secret_from_the_url(client):
    enterprise = f.enterprise(name="扫码直达科技有限公司")
    secret = codes.code_issue(enterprise=enterprise)
    response = client.get(f"/e/{secret}/")
    assert response.status_code == 302 and response["Location"] == "/e/"
    page = client.get("/e/")
    assert "扫码直达科技有限公司" in page.content.decode()
    assert secret not in page.content.decode()


def test_an_unknown_or_old_code_says_so_and_is_not_logged(client, caplog):
    enterprise = f.enterprise()
    old = codes.code_issue(enterprise=enterprise)
    codes.code_rotate(enterprise=enterprise, actor=None)
    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/e/{old}/")
    assert response.status_code == 404
    assert "data-unknown-code" in response.content.decode()
    assert old not in caplog.text


def test_the_page_is_rate_limited_without_logging_the_secret(client, settings, caplog):
    settings.INTAKE_RATE_LIMITS_ENABLED = True
    settings.INSPECTION_PAGE_RATE = "2/h"
    secret = codes.code_issue(enterprise=f.enterprise())
    assert client.get(f"/e/{secret}/").status_code == 302
    assert client.get(f"/e/{secret}/").status_code == 302
    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/e/{secret}/")
    assert response.status_code == 429
    assert secret not in caplog.text


# --- The staff workplace --------------------------------------------------------------------


def _staff_with_code_permission() -> User:
    user = casework_factories.user("head")  # office heads change supervision codes
    assert user.has_perm("inspections.change_supervisioncode")
    return user


def test_staff_issue_a_code_and_see_its_link_once(client):
    enterprise = f.enterprise()
    client.force_login(_staff_with_code_permission())
    url = f"/admin/inspections/supervisioncode/enterprise/{enterprise.pk}/"
    assert "data-code-issue" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(url, 302)]  # reloading the page cannot rotate again
    body = response.content.decode()
    link = re.search(r"data-code-link>([^<]+)<", body).group(1)
    secret = link.rstrip("/").rsplit("/", 1)[1]
    assert codes.enterprise_by_code(secret) == enterprise
    assert "data-code-qr" in body
    assert "no-store" in response["Cache-Control"]
    again = client.get(url).content.decode()
    assert secret not in again and "data-code-rotate" in again


def test_rotating_in_the_admin_shows_a_new_link_and_the_old_one_stops(client):
    enterprise = f.enterprise()
    old = codes.code_issue(enterprise=enterprise)
    client.force_login(_staff_with_code_permission())
    url = f"/admin/inspections/supervisioncode/enterprise/{enterprise.pk}/"
    body = client.post(url, follow=True).content.decode()
    new = re.search(r"data-code-link>[^<]*/e/([^/<]+)/<", body).group(1)
    assert (
        new != old and codes.enterprise_by_code(old) is None and codes.enterprise_by_code(new) == enterprise
    )


def test_rotating_needs_the_change_permission(client):
    enterprise = f.enterprise()
    old = codes.code_issue(enterprise=enterprise)
    reader = casework_factories.user("leader")
    reader.user_permissions.add(Permission.objects.get(codename="view_supervisioncode"))
    reader = User.objects.get(pk=reader.pk)
    assert not reader.has_perm("inspections.change_supervisioncode")
    client.force_login(reader)
    response = client.post(f"/admin/inspections/supervisioncode/enterprise/{enterprise.pk}/")
    assert response.status_code == 403
    assert codes.enterprise_by_code(old) == enterprise


def test_the_add_page_finds_the_enterprise_by_credit_code(client):
    enterprise = f.enterprise()
    client.force_login(_staff_with_code_permission())
    response = client.post(
        "/admin/inspections/supervisioncode/add/", {"credit_code": enterprise.credit_code.lower()}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/enterprise/{enterprise.pk}/")
    wrong = client.post("/admin/inspections/supervisioncode/add/", {"credit_code": "91330106000000000X"})
    assert wrong.status_code == 200
    assert "credit_code" in wrong.context["form"].errors
