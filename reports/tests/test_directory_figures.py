"""Figures of associations, intermediaries and the conduct hotline: known answers for a quarter on
the Shanghai clock, staff links that list exactly the complaints counted, and aggregates only on
the public page."""

import dataclasses
import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from casework.tests import factories
from complaints.models import Category, Channel
from complaints.services import complaint_submit
from complaints.tests import factories as complaint_factories
from core.periods import SHANGHAI, Quarter
from liaison.tests.factories_associations import association
from reports.directory_figures import directory_figures

pytestmark = pytest.mark.django_db

CURRENT = Quarter(2026, 3)
SECRET_NAME = "保密中介评估有限公司"


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = "reports.tests.urls_dashboard"
    cache.clear()


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI)


def file(*, day: dt.date, body=None, channel=Channel.WEB, category=Category.ASSOCIATIONS, unit=None):
    data = complaint_factories.complaint_data(
        category=category, department=unit or (None if body else complaint_factories.department())
    )
    if body is not None:
        data = dataclasses.replace(data, association=body, department=None)
    return complaint_submit(data=data, identity=None, channel=channel, received_at=at(day)).complaint


@pytest.fixture
def data():
    housing = complaint_factories.department(name="市住建局")
    builders = association(name="市建筑业协会", supervising_department=housing)
    appraisers = association(name=SECRET_NAME, kind="intermediary", supervising_department=housing)
    lawyers = association(name="市律师协会")
    file(day=dt.date(2026, 7, 1), body=builders)
    file(day=dt.date(2026, 8, 15), body=builders)
    file(day=dt.date(2026, 9, 30), body=appraisers)  # 30 September, 10:00 in Shanghai: still Q3
    file(day=dt.date(2026, 10, 1), body=lawyers)  # Q4
    file(day=dt.date(2026, 8, 1))  # the category, no association named
    file(day=dt.date(2026, 8, 2), channel=Channel.CONDUCT_HOTLINE, category=Category.CONDUCT)
    file(day=dt.date(2026, 8, 3), channel=Channel.CONDUCT_HOTLINE, category=Category.CONDUCT)
    file(day=dt.date(2026, 8, 4), channel=Channel.CONDUCT_HOTLINE, body=lawyers)
    file(day=dt.date(2026, 6, 30), channel=Channel.CONDUCT_HOTLINE, category=Category.CONDUCT)  # Q2
    return {"housing": housing, "builders": builders, "appraisers": appraisers, "lawyers": lawyers}


def test_the_quarter_has_the_known_answers_in_three_statements(data):
    with translation.override("en"), CaptureQueriesContext(connection) as queries:
        figures = directory_figures(CURRENT)
    assert len(queries) == 3
    assert figures.association_total == 5
    assert [(row.label, row.count) for row in figures.by_kind] == [
        ("Trade association", 3),
        ("Market intermediary", 1),
        ("No association named", 1),
    ]
    assert [(row.label, row.count) for row in figures.by_association] == [
        ("市建筑业协会", 2),
        (SECRET_NAME, 1),
        ("市律师协会", 1),
    ]
    assert [(row.label, row.count) for row in figures.by_supervisor][0] == ("市住建局", 3)
    assert figures.hotline_total == 3
    assert [(row.label, row.count) for row in figures.hotline_by_category][0][1] == 2


def test_the_dashboard_links_each_count_to_exactly_the_complaints_counted(client, data, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(factories.user("leader"))
    response = client.get(f"/dashboard/?quarter={CURRENT.label}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-association-league" in page and SECRET_NAME in page
    figures = response.context["directory_figures"]
    for row in [*figures.by_association, *figures.hotline_by_category]:
        listed = client.get(row.url.replace("&amp;", "&"))
        assert listed.status_code == 200
        assert listed.context["cl"].result_count == row.count, row


def test_the_public_figures_show_totals_only(client, data):
    page = client.get(f"/figures/?quarter={CURRENT.label}").content.decode()
    section = page.split('data-section="directory"', 1)[1].split("</section>", 1)[0]
    assert "data-association-figures" in section
    assert SECRET_NAME not in page and "市建筑业协会" not in page and "/admin/" not in section
    assert "data-association-league" not in section and "data-hotline-figures" not in section
