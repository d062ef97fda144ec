"""The department portal's front page leads to the inspection pages its user may open."""

from django.test import Client

from inspections.tests import factories as f


def test_an_inspector_finds_filings_plans_and_ratings_from_the_portal(db):
    department = f.department()
    for user, sees_filings in ((f.inspector(department), True), (f.dept_user(department), False)):
        client = Client()
        client.force_login(user)
        page = client.get("/dept/").content.decode()
        assert ("data-inspections-link" in page) is sees_filings
        assert "data-plans-link" in page and "data-ratings-link" in page
        for marker, url in (
            ("data-plans-link", "/dept/inspections/plans/"),
            ("data-ratings-link", "/dept/inspections/ratings/"),
        ):
            assert url in page, marker
            assert client.get(url).status_code == 200, url
