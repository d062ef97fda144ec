"""In Chromium, with the test's own Redis (broker and cache) killed: the complainant files through
the public form (the real proof of work in JavaScript) and reads the tracking code, which finds
the complaint; each complaint is filed once. Then the public figures still answer."""

import time

import pytest

from complaints.models import Complaint
from complaints.selectors import complaint_by_tracking_code
from core.models import FallbackCounter
from tests.browser.test_intake import fill_form, units  # noqa: F401 - the fixture, used by name
from tests.test_redis_outage import own_redis  # noqa: F401 - the fixture, used by name

pytestmark = [pytest.mark.browser, pytest.mark.services]


def test_a_complaint_filed_in_the_browser_while_redis_is_down_gets_its_code(page, units, own_redis):  # noqa: F811
    page.goto("/figures/")  # computed and stored while Redis is up
    own_redis.kill()
    started = time.monotonic()
    code = fill_form(page, anonymous=False, english=True)
    elapsed = time.monotonic() - started
    assert "received" in page.locator("h1").inner_text().lower()
    assert complaint_by_tracking_code(code) is not None
    assert Complaint.objects.count() == 1
    assert FallbackCounter.objects.exists()  # the rate limit and the proof of work, counted in the database
    second = fill_form(page, anonymous=True, english=True)
    assert second != code and Complaint.objects.count() == 2
    response = page.goto("/figures/")
    assert response.status == 200
    assert "Live figures as of" in page.content()  # the copy stored while Redis was up
    print(f"browser, Redis killed: first complaint filed in {elapsed:.1f} s (typing, proof of work)")
