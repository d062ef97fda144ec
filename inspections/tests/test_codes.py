"""Supervision codes: two secrets of ≥ 80 bits each (the QR code on the wall opens only the
scan-to-enter page behind an inspector's login; the private link opens the enterprise's own
page), each stored only as a keyed hash under its own key, found in one query, rotated apart,
drawn as QR codes here, never in a log; the admin shows each once."""

import logging
import math
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casework.tests import factories as casework_factories
from inspections.models import Inspection, SupervisionCode
from inspections.services import codes
from inspections.tests import factories as f
from liaison.tests.test_enterprise_name_index import INDEX, admin_search, index_scans_by_condition_only

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"[A-Za-z0-9_-]{22}")


def test_each_secret_carries_at_least_80_bits_and_is_url_safe(db):
    made = codes.code_issue(enterprise=f.enterprise())
    for secret in (made.scan, made.private):
        assert SECRET.fullmatch(secret)
        assert len(secret) * math.log2(64) >= 80
    assert codes.SECRET_BYTES * 8 >= 80
    assert made.scan != made.private


def test_only_keyed_hashes_are_stored_each_under_its_own_key(db, settings):
    enterprise = f.enterprise()
    made = codes.code_issue(enterprise=enterprise)
    row = SupervisionCode.objects.get(enterprise=enterprise)
    assert row.scan_hash == codes.scan_hash(made.scan) and made.scan not in row.scan_hash
    assert row.private_hash == codes.private_hash(made.private) and made.private not in row.private_hash
    # The same text hashes differently as a scan secret and as a private one.
    assert codes.scan_hash(made.private) != row.private_hash
    assert codes.private_hash(made.scan) != row.scan_hash
    settings.SUPERVISION_CODE_KEY = "another key"
    assert codes.scan_hash(made.scan) != row.scan_hash
    assert codes.private_hash(made.private) != row.private_hash


def test_each_secret_finds_its_enterprise_in_one_query(db):
    enterprise = f.enterprise()
    made = codes.code_issue(enterprise=enterprise)
    with CaptureQueriesContext(connection) as queries:
        assert codes.enterprise_by_scan_secret(made.scan) == enterprise
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert codes.enterprise_by_private_secret(made.private) == enterprise
    assert len(queries) == 1


def test_neither_secret_opens_the_other_door(db):
    made = codes.code_issue(enterprise=f.enterprise())
    assert codes.enterprise_by_private_secret(made.scan) is None
    assert codes.enterprise_by_scan_secret(made.private) is None


@pytest.mark.parametrize("bad", ["", "short", "x" * 21, "x" * 23, "a/b" + "x" * 19, "漢" * 22])
def test_text_that_cannot_be_a_code_makes_no_query(db, bad):
    with CaptureQueriesContext(connection) as queries:
        assert codes.enterprise_by_scan_secret(bad) is None
        assert codes.enterprise_by_private_secret(bad) is None
    assert len(queries) == 0


def test_a_new_qr_code_stops_the_old_one_and_keeps_the_private_link(db):
    enterprise = f.enterprise()
    made = codes.code_issue(enterprise=enterprise)
    new = codes.code_scan_rotate(enterprise=enterprise, actor=None)
    assert new != made.scan
    assert codes.enterprise_by_scan_secret(made.scan) is None
    assert codes.enterprise_by_scan_secret(new) == enterprise
    assert codes.enterprise_by_private_secret(made.private) == enterprise
    assert SupervisionCode.objects.filter(enterprise=enterprise).count() == 1


def test_a_new_private_link_stops_the_old_one_and_keeps_the_qr_code(db):
    enterprise = f.enterprise()
    made = codes.code_issue(enterprise=enterprise)
    new = codes.code_private_rotate(enterprise=enterprise, actor=None)
    assert new != made.private
    assert codes.enterprise_by_private_secret(made.private) is None
    assert codes.enterprise_by_private_secret(new) == enterprise
    assert codes.enterprise_by_scan_secret(made.scan) == enterprise


def test_a_code_from_before_the_private_link_opens_no_enterprise_page_until_one_is_issued(db, client):
    # What migration 0002 leaves of a code made with one secret: the scan secret alone.
    enterprise = f.enterprise()
    scan = codes.code_issue(enterprise=enterprise).scan
    SupervisionCode.objects.filter(enterprise=enterprise).update(private_hash=None, private_issued_at=None)
    assert codes.enterprise_by_scan_secret(scan) == enterprise
    assert client.get(f"/e/own/{scan}/").status_code == 404
    private = codes.code_private_rotate(enterprise=enterprise, actor=None)
    assert codes.enterprise_by_private_secret(private) == enterprise
    assert codes.enterprise_by_scan_secret(scan) == enterprise


def test_an_inactive_enterprise_is_not_found(db):
    enterprise = f.enterprise(is_active=False)
    made = codes.code_issue(enterprise=enterprise)
    assert codes.enterprise_by_scan_secret(made.scan) is None
    assert codes.enterprise_by_private_secret(made.private) is None


def test_the_links_and_their_qr_codes(db, settings):
    settings.SITE_URL = "https://envopt.example"
    made = codes.code_issue(enterprise=f.enterprise())
    assert codes.scan_link(made.scan) == f"https://envopt.example/e/{made.scan}/"
    assert codes.private_link(made.private) == f"https://envopt.example/e/own/{made.private}/"
    assert codes.qr_svg_data_uri(codes.scan_link(made.scan)).startswith("data:image/svg+xml")


# --- The two doors ---------------------------------------------------------------------------------


@pytest.fixture
def coded(db):
    department = f.department(name="市消防救援支队")
    enterprise = f.enterprise(name="扫码直达科技有限公司", address="滨江区江南大道18号")
    inspection = f.filed(department=department, enterprise=enterprise, status=Inspection.Status.CONCLUDED)
    return {
        "department": department,
        "enterprise": enterprise,
        "inspection": inspection,
        "inspector": f.inspector(department),
        "made": codes.code_issue(enterprise=enterprise),
    }


def _nothing_of_the_enterprise(body: str, coded) -> None:
    enterprise = coded["enterprise"]
    for needle in (enterprise.name, "扫码直达", enterprise.credit_code, enterprise.address, "市消防救援支队"):
        assert needle not in body, needle
    assert "data-inspection=" not in body and "data-rating-form" not in body


def test_a_visitor_scanning_the_qr_code_gets_a_login_prompt_and_nothing_of_the_enterprise(client, coded):
    response = client.get(f"/e/{coded['made'].scan}/")
    assert response.status_code == 302 and response["Location"] == "/e/"
    page = client.get("/e/")
    body = page.content.decode()
    assert page.status_code == 200 and "data-scan-login" in body
    assert 'href="/accounts/login/?next=/e/"' in body
    assert coded["made"].scan not in body
    _nothing_of_the_enterprise(body, coded)
    # Nor does the scan open the enterprise's own page.
    _nothing_of_the_enterprise(client.get("/e/own/").content.decode(), coded)


def test_an_inspector_who_scans_and_logs_out_sees_nothing_of_the_enterprise(client, coded):
    client.force_login(coded["inspector"])
    client.get(f"/e/{coded['made'].scan}/")
    assert coded["enterprise"].name in client.get("/e/").content.decode()  # logged in: the right code
    client.post("/accounts/logout/")
    for url in ("/e/", "/e/own/"):
        _nothing_of_the_enterprise(client.get(url).content.decode(), coded)


def test_a_signed_in_user_who_is_not_an_inspector_sees_nothing_of_the_enterprise(client, coded):
    client.force_login(f.dept_user(coded["department"]))
    client.get(f"/e/{coded['made'].scan}/")
    body = client.get("/e/").content.decode()
    assert "data-not-inspector" in body
    _nothing_of_the_enterprise(body, coded)


def test_the_private_link_opens_the_enterprise_page_and_drops_the_secret_from_the_url(client, coded):
    response = client.get(f"/e/own/{coded['made'].private}/")
    assert response.status_code == 302 and response["Location"] == "/e/own/"
    body = client.get("/e/own/").content.decode()
    assert "扫码直达科技有限公司" in body and f'data-inspection="{coded["inspection"].pk}"' in body
    assert coded["made"].private not in body
    # The private link is no inspector's way in: the scan-to-enter page stays closed.
    assert "data-expired" in client.get("/e/").content.decode()


def test_the_qr_code_does_not_open_the_private_door_nor_the_link_the_scan_door(client, coded, caplog):
    with caplog.at_level(logging.DEBUG):
        assert client.get(f"/e/own/{coded['made'].scan}/").status_code == 404
        assert client.get(f"/e/{coded['made'].private}/").status_code == 404
    assert coded["made"].scan not in caplog.text and coded["made"].private not in caplog.text


def test_an_unknown_or_old_code_says_so_and_is_not_logged(client, caplog):
    enterprise = f.enterprise()
    old = codes.code_issue(enterprise=enterprise)
    codes.code_scan_rotate(enterprise=enterprise, actor=None)
    codes.code_private_rotate(enterprise=enterprise, actor=None)
    with caplog.at_level(logging.DEBUG):
        scan = client.get(f"/e/{old.scan}/")
        private = client.get(f"/e/own/{old.private}/")
    for response in (scan, private):
        assert response.status_code == 404
        assert "data-unknown-code" in response.content.decode()
    assert old.scan not in caplog.text and old.private not in caplog.text


@pytest.mark.parametrize("door", ["/e/{scan}/", "/e/own/{private}/"])
def test_opening_either_link_is_rate_limited_without_logging_the_secret(client, settings, caplog, door):
    settings.INTAKE_RATE_LIMITS_ENABLED = True
    settings.INSPECTION_PAGE_RATE = "2/h"
    made = codes.code_issue(enterprise=f.enterprise())
    url = door.format(scan=made.scan, private=made.private)
    assert client.get(url).status_code == 302
    assert client.get(url).status_code == 302
    with caplog.at_level(logging.DEBUG):
        response = client.get(url)
    assert response.status_code == 429
    assert made.scan not in caplog.text and made.private not in caplog.text


def test_guessing_one_door_counts_against_the_other(client, settings):
    settings.INTAKE_RATE_LIMITS_ENABLED = True
    settings.INSPECTION_PAGE_RATE = "2/h"
    made = codes.code_issue(enterprise=f.enterprise())
    assert client.get(f"/e/{'x' * 22}/").status_code == 404
    assert client.get(f"/e/own/{'y' * 22}/").status_code == 404
    assert client.get(f"/e/own/{made.private}/").status_code == 429


# --- The staff workplace --------------------------------------------------------------------


def _staff_with_code_permission() -> User:
    user = casework_factories.user("head")  # office heads change supervision codes
    assert user.has_perm("inspections.change_supervisioncode")
    return user


def _shown(body: str, marker: str) -> str | None:
    found = re.search(rf"{marker}>([^<]+)<", body)
    return found.group(1).rstrip("/").rsplit("/", 1)[1] if found else None


def test_staff_issue_a_code_and_see_both_links_once_never_logged(client, caplog):
    enterprise = f.enterprise()
    client.force_login(_staff_with_code_permission())
    url = f"/admin/inspections/supervisioncode/enterprise/{enterprise.pk}/"
    assert "data-code-issue" in client.get(url).content.decode()
    with caplog.at_level(logging.DEBUG):
        response = client.post(url, {"which": "both"}, follow=True)
    assert response.redirect_chain == [(url, 302)]  # reloading the page cannot rotate again
    body = response.content.decode()
    scan, private = _shown(body, "data-scan-link"), _shown(body, "data-private-link")
    assert codes.enterprise_by_scan_secret(scan) == enterprise
    assert codes.enterprise_by_private_secret(private) == enterprise
    assert "data-code-qr" in body and "data-private-qr" in body and "data-code-letter" in body
    assert "no-store" in response["Cache-Control"]
    assert scan not in caplog.text and private not in caplog.text
    again = client.get(url).content.decode()
    assert scan not in again and private not in again
    assert 'data-code-rotate="scan"' in again and 'data-code-rotate="private"' in again


def test_a_new_qr_code_in_the_admin_shows_only_it_and_keeps_the_private_link(client):
    enterprise = f.enterprise()
    old = codes.code_issue(enterprise=enterprise)
    client.force_login(_staff_with_code_permission())
    url = f"/admin/inspections/supervisioncode/enterprise/{enterprise.pk}/"
    body = client.post(url, {"which": "scan"}, follow=True).content.decode()
    new = _shown(body, "data-scan-link")
    assert _shown(body, "data-private-link") is None and "data-code-letter" not in body
    assert new != old.scan and codes.enterprise_by_scan_secret(old.scan) is None
    assert codes.enterprise_by_scan_secret(new) == enterprise
    assert codes.enterprise_by_private_secret(old.private) == enterprise


def test_a_new_private_link_in_the_admin_shows_only_it_and_keeps_the_qr_code(client):
    enterprise = f.enterprise()
    old = codes.code_issue(enterprise=enterprise)
    client.force_login(_staff_with_code_permission())
    url = f"/admin/inspections/supervisioncode/enterprise/{enterprise.pk}/"
    body = client.post(url, {"which": "private"}, follow=True).content.decode()
    new = _shown(body, "data-private-link")
    assert _shown(body, "data-scan-link") is None and "data-code-qr" not in body
    assert new != old.private and codes.enterprise_by_private_secret(old.private) is None
    assert codes.enterprise_by_private_secret(new) == enterprise
    assert codes.enterprise_by_scan_secret(old.scan) == enterprise


def test_staff_issue_the_private_link_of_a_code_made_before_it_existed(client):
    enterprise = f.enterprise()
    scan = codes.code_issue(enterprise=enterprise).scan
    SupervisionCode.objects.filter(enterprise=enterprise).update(private_hash=None, private_issued_at=None)
    client.force_login(_staff_with_code_permission())
    url = f"/admin/inspections/supervisioncode/enterprise/{enterprise.pk}/"
    page = client.get(url).content.decode()
    assert 'data-code-rotate="private"' in page
    listed = client.get("/admin/inspections/supervisioncode/?private_link=no").content.decode()
    assert enterprise.name in listed
    body = client.post(url, {"which": "private"}, follow=True).content.decode()
    assert codes.enterprise_by_private_secret(_shown(body, "data-private-link")) == enterprise
    assert codes.enterprise_by_scan_secret(scan) == enterprise


def test_a_rotation_of_nothing_known_is_refused(client):
    enterprise = f.enterprise()
    made = codes.code_issue(enterprise=enterprise)
    client.force_login(_staff_with_code_permission())
    url = f"/admin/inspections/supervisioncode/enterprise/{enterprise.pk}/"
    assert client.post(url, {"which": "everything"}).status_code == 400
    assert codes.enterprise_by_scan_secret(made.scan) == enterprise
    assert codes.enterprise_by_private_secret(made.private) == enterprise


def test_rotating_needs_the_change_permission(client):
    enterprise = f.enterprise()
    made = codes.code_issue(enterprise=enterprise)
    reader = casework_factories.user("leader")
    reader.user_permissions.add(Permission.objects.get(codename="view_supervisioncode"))
    reader = User.objects.get(pk=reader.pk)
    assert not reader.has_perm("inspections.change_supervisioncode")
    client.force_login(reader)
    for which in ("scan", "private"):
        url = f"/admin/inspections/supervisioncode/enterprise/{enterprise.pk}/"
        response = client.post(url, {"which": which})
        assert response.status_code == 403
    assert codes.enterprise_by_scan_secret(made.scan) == enterprise
    assert codes.enterprise_by_private_secret(made.private) == enterprise


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


# --- The enterprise's page in the directory links here (liaison's link registry) ----------------------


def test_the_enterprise_page_in_the_directory_links_to_its_supervision_code(db):
    enterprise = f.enterprise()
    code_page = f"/admin/inspections/supervisioncode/enterprise/{enterprise.pk}/"
    head = casework_factories.user("head")
    assert head.has_perm("liaison.change_enterprise") and head.has_perm("inspections.view_supervisioncode")
    client = Client()
    client.force_login(head)
    body = client.get(f"/admin/liaison/enterprise/{enterprise.pk}/change/").content.decode()
    assert f'href="{code_page}" data-enterprise-link' in body
    assert client.get(code_page).status_code == 200


def test_no_link_to_the_code_for_staff_who_may_not_see_codes(db):
    enterprise = f.enterprise()
    reader = casework_factories.user("handler")
    assert reader.has_perm("liaison.view_enterprise")
    assert not reader.has_perm("inspections.view_supervisioncode")
    client = Client()
    client.force_login(reader)
    response = client.get(f"/admin/liaison/enterprise/{enterprise.pk}/change/")
    assert response.status_code == 200
    assert "data-enterprise-link" not in response.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL index (pg_trgm)")
def test_the_codes_search_by_enterprise_name_uses_the_trigram_index(db):
    for n in range(30):
        codes.code_issue(enterprise=f.enterprise(name=f"临江{n}精细化工有限公司"))
    index_scans_by_condition_only()
    queryset = admin_search(SupervisionCode, "精细化工").order_by()
    assert queryset.count() == 30
    plan = queryset.explain()
    assert INDEX in plan, plan
