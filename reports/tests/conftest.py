import pytest


@pytest.fixture(autouse=True)
def _notification_urls(settings):
    settings.ROOT_URLCONF = "reports.tests.urls"
