"""Trainings and award activities in the figures (issue 16): counts per department on a known data
set, each dashboard number a link to exactly its rows, aggregates only on /figures/, the dispatch
pack's sheet read back, and a fixed query cost."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from core.periods import SHANGHAI, Quarter
from inspections.activities.tests import factories as af
from inspections.models import ActivityFiling, ActivityFlag
from inspections.tests import factories as f
from reports.activity_figures import KEYS, activity_figures

pytestmark = [pytest.mark.django_db, pytest.mark.urls("reports.tests.urls_dashboard")]

CURRENT = Quarter(2026, 3)
S = ActivityFiling.Status


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = "reports.tests.urls_dashboard"
    cache.clear()


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=SHANGHAI)


def _filing(department, status, day, **values):
    filing = af.approved(department, status=status, **values)
    ActivityFiling.objects.filter(pk=filing.pk).update(created_at=_at(day))
    return filing


def _flag(department, kind, day, **values):
    flag = ActivityFlag.objects.create(
        department=department, kind=kind, title="某活动", explanation="…", **values
    )
    ActivityFlag.objects.filter(pk=flag.pk).update(created_at=_at(day))
    return flag


@pytest.fixture
def data():
    a, b = f.department(name="培训甲局"), f.department(name="培训乙局")
    in_q = dt.date(2026, 8, 3)
    free = _filing(a, S.APPROVED_NO_FEE, in_q)
    _filing(a, S.APPROVED, in_q)
    _filing(a, S.REFUSED, in_q, decision_note="不符合规定")
    _filing(b, S.FILED, in_q)
    _filing(b, S.APPROVED, dt.date(2026, 6, 30))  # the quarter before
    # 30 September 23:30 in Shanghai is still the third quarter (15:30 UTC).
    late = _filing(b, S.APPROVED_NO_FEE, in_q)
    ActivityFiling.objects.filter(pk=late.pk).update(
        created_at=dt.datetime(2026, 9, 30, 23, 30, tzinfo=SHANGHAI)
    )
    _flag(a, ActivityFlag.Kind.FEE_WITHOUT_APPROVAL, in_q, filing=free)
    _flag(b, ActivityFlag.Kind.UNFILED, in_q)
    _flag(b, ActivityFlag.Kind.UNFILED, dt.date(2026, 10, 1))  # the next quarter
    return {"a": a, "b": b}


def test_filings_and_flags_are_counted_per_department(data):
    figures = activity_figures(CURRENT)
    rows = {row.name: row for row in figures.rows}
    a, b = rows["培训甲局"], rows["培训乙局"]
    assert (a["filed"], a["approved"], a["approved_no_fee"], a["refused"], a["pending"]) == (3, 1, 1, 1, 0)
    assert (b["filed"], b["approved"], b["approved_no_fee"], b["pending"]) == (2, 0, 1, 1)
    assert (a["flags"], a["flags_fee"], b["flags"], b["flags_unfiled"]) == (1, 1, 1, 1)
    assert figures.total["filed"] == 5 and figures.total["flags"] == 2


def _staff(*codenames):
    user = User.objects.create_user(
        f"fig-{len(codenames)}-{User.objects.count()}", password="pw-12345678", is_staff=True
    )
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return User.objects.get(pk=user.pk)


def test_every_dashboard_number_lists_exactly_its_rows(client, data):
    client.force_login(
        _staff("view_dashboard", "view_case", "view_activityfiling", "view_activityflag", "view_complaint")
    )
    response = client.get(reverse("dashboard:index"), {"quarter": CURRENT.label})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-section="activities"' in page
    figures = activity_figures(CURRENT)
    checked = 0
    for name, cells in response.context["activity_rows"] + [("total", response.context["activity_total"])]:
        for key, cell in zip(KEYS, cells, strict=True):
            if not cell.value:
                assert not cell.url
                continue
            listed = client.get(cell.url)
            assert listed.status_code == 200, cell.url
            assert listed.context["cl"].result_count == cell.value, (name, key, cell.url)
            checked += 1
    assert checked >= 12 and figures.total["filed"] == 5


def test_the_public_figures_have_aggregates_only(client, data):
    page = client.get(reverse("figures:index"), {"quarter": CURRENT.label}).content.decode()
    section = page[page.index('data-section="activities"') :]
    section = section[: section.index("</section>")]
    assert "培训甲局" in section and "/admin/" not in section and "不符合规定" not in section
    assert "某活动" not in section


def test_the_figures_cost_a_fixed_number_of_statements(data):
    with CaptureQueriesContext(connection) as few:
        activity_figures(CURRENT)
    for _n in range(6):
        department = f.department()
        _filing(department, S.APPROVED, dt.date(2026, 8, 4))
        _flag(department, ActivityFlag.Kind.UNFILED, dt.date(2026, 8, 4))
    with CaptureQueriesContext(connection) as many:
        assert len(activity_figures(CURRENT).rows) == 8
    assert len(many) == len(few) == 3


def test_the_dispatch_pack_has_a_sheet_for_who_reads_the_filings(client, data):
    from reports.ledger import services as ledger

    held = ledger.dispatch_meeting_schedule(
        quarter=CURRENT.label, scheduled_on=dt.date(2026, 9, 20), place="三楼会议室", actor=None
    )
    reader = _staff("view_dispatchmeeting", "view_ledgertask", "view_case", "view_activityfiling")
    client.force_login(reader)
    client.cookies["django_language"] = "en"
    printable = client.get(reverse("admin:reports_dispatchmeeting_pack", args=[held.pk])).content.decode()
    assert "data-activities" in printable and printable.count("data-activity-department") == 2
    section = printable[printable.index("data-activities") :]
    expected = "5 trainings and award activities filed: 1 approved, 2 approved without fee, 1 refused; " + (
        "2 flags raised."
    )
    assert expected in " ".join(section.split()), section[:800]
    assert "<td>培训甲局</td><td>3</td><td>1</td><td>1</td><td>1</td><td>1</td>" in section
    response = client.get(reverse("admin:reports_dispatchmeeting_pack_xlsx", args=[held.pk]))
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(book["Trainings and awards"].iter_rows(values_only=True))
    header = rows.index(next(row for row in rows if row and row[0] == "Department"))
    assert rows[header][1:4] == ("Trainings and awards filed", "Approved", "Approved without fee")
    assert rows[header + 1 :] == [
        ("培训乙局", 2, 0, 1, 0, 1, 1, 1, 0, 0),  # by name, as the dashboard lists them
        ("培训甲局", 3, 1, 1, 1, 0, 1, 0, 1, 0),
        ("All departments", 5, 1, 2, 1, 1, 2, 1, 1, 0),
    ]
    # Without the permission: the sheet says so and lists nothing.
    client.force_login(_staff("view_dispatchmeeting", "view_ledgertask", "view_case"))
    printable = client.get(reverse("admin:reports_dispatchmeeting_pack", args=[held.pk])).content.decode()
    assert "data-activities" not in printable
    response = client.get(reverse("admin:reports_dispatchmeeting_pack_xlsx", args=[held.pk]))
    rows = list(
        load_workbook(io.BytesIO(response.content), read_only=True)["Trainings and awards"].iter_rows(
            values_only=True
        )
    )
    assert any(row and row[0] and "not shown" in str(row[0]) for row in rows)
    assert not any(row and row[0] == "培训甲局" for row in rows)
