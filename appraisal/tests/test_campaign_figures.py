"""The appraisal in the dispatch pack's workbook (a sheet of aggregates), read back with openpyxl."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from appraisal.campaigns.selectors import closed_campaign_figures
from appraisal.campaigns.services import answer_submit
from appraisal.models import Campaign
from appraisal.tests import campaign_factories as f
from inspections.tests import factories as people
from reports.ledger import services as ledger

pytestmark = pytest.mark.django_db


def _closed_in_2026q4():
    campaign = f.campaign(public=True, starts_on=dt.date(2026, 11, 1), closes_on=dt.date(2026, 12, 31))
    department = campaign.departments.order_by("name").first()
    q = f.questions(campaign)
    for score in (5, 4, 3):
        answer_submit(
            campaign=campaign,
            answers={department.pk: {q["Attitude"].pk: score, q["Comments"].pk: "不应出现在汇总里"}},
            today=dt.date(2026, 12, 1),
        )
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    return campaign, department


def test_closed_campaign_figures_are_aggregates_per_department():
    campaign, department = _closed_in_2026q4()
    rows = closed_campaign_figures(first_day=dt.date(2026, 10, 1), last_day=dt.date(2026, 12, 31))
    mine = next(row for row in rows if row.department_id == department.pk)
    assert (mine.answers, mine.scores, mine.mean) == (3, 3, 4.0)
    assert len(rows) == 2  # the other department appraised, without answers
    assert closed_campaign_figures(first_day=dt.date(2026, 7, 1), last_day=dt.date(2026, 9, 30)) == []


def test_the_pack_workbook_has_the_appraisal_sheet(client):
    campaign, department = _closed_in_2026q4()
    meeting = ledger.dispatch_meeting_schedule(
        quarter="2026Q4", scheduled_on=dt.date(2026, 12, 20), place="三楼会议室", actor=None
    )
    client.force_login(people.staff("Office head"))
    response = client.get(f"/admin/reports/dispatchmeeting/{meeting.pk}/pack.xlsx")
    assert response.status_code == 200, response.status_code
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(book[book.sheetnames[-1]].iter_rows(values_only=True))
    assert any(
        len(row) > 4 and row[1] == department.name and row[2] == 3 and row[4] == 4.0 for row in rows
    ), rows
    assert "不应出现在汇总里" not in str(rows)


def test_the_dashboard_shows_the_quarter_s_campaigns_with_links_and_the_public_page_without(client, settings):
    campaign, department = _closed_in_2026q4()
    client.force_login(people.staff("Leader"))
    page = client.get("/dashboard/?quarter=2026Q4").content.decode()
    assert "data-appraisal-figures" in page
    assert f"/admin/appraisal/campaign/{campaign.pk}/change/" in page
    public = client.get("/figures/?quarter=2026Q4").content.decode()
    section = public.split("data-appraisal-figures", 1)[1].split("</table>", 1)[0]
    assert department.name in section and "/admin/" not in section
    assert "4.00" not in section  # three answers: under five, the mean is not published
    assert "不应出现在汇总里" not in public


def test_closed_campaign_figures_cost_the_same_statements_with_or_without_campaigns(
    django_assert_num_queries,
):

    with CaptureQueriesContext(connection) as none:
        closed_campaign_figures(first_day=dt.date(2026, 10, 1), last_day=dt.date(2026, 12, 31))
    _closed_in_2026q4()
    with CaptureQueriesContext(connection) as some:
        closed_campaign_figures(first_day=dt.date(2026, 10, 1), last_day=dt.date(2026, 12, 31))
    assert len(none) == len(some) == 4
