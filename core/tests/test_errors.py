"""An unexpected error answers JSON under /api/ and Django's page elsewhere."""

import json

from django.test import RequestFactory

from core.errors import server_error
from envopt import urls


def test_a_server_error_under_the_api_is_json_without_the_error():
    response = server_error(RequestFactory().get("/api/v1/cases/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert set(json.loads(response.content)) == {"detail"}


def test_a_server_error_elsewhere_is_the_html_page():
    response = server_error(RequestFactory().get("/admin/"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def test_the_url_conf_names_the_handler():
    assert urls.handler500 == "core.errors.server_error"
