import pytest
from django.core.cache import caches
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_reports_every_part_ok(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_names_the_broker_when_it_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["broker"].startswith("error:")
    assert body["database"] == "ok"


@pytest.mark.django_db
def test_healthz_names_the_cache_when_it_is_unreachable(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    caches._settings = None  # drop the cached handler so the override takes effect
    try:
        response = client.get(reverse("healthz"))
    finally:
        caches._settings = None
    assert response.status_code == 503
    assert response.json()["cache"].startswith("error:")
