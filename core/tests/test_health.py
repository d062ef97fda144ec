import os
import subprocess
from contextlib import contextmanager

import pytest
from django.core.cache import caches
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_reports_every_part_ok(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "storage": "ok",
    }


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


@contextmanager
def unwritable(directory):
    """A directory nobody can create a file in, root included (the tests run as root here, for
    whom permission bits are no obstacle: the immutable attribute is, on ext4 and most others)."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(directory)], check=True)
        try:
            yield directory
        finally:
            subprocess.run(["chattr", "-i", str(directory)], check=True)
    else:
        directory.chmod(0o500)
        try:
            yield directory
        finally:
            directory.chmod(0o700)


@pytest.mark.django_db
def test_healthz_names_the_storage_when_it_cannot_be_written(client, settings, tmp_path):
    storage = tmp_path / "private"
    storage.mkdir()
    settings.PRIVATE_MEDIA_ROOT = storage
    assert client.get(reverse("healthz")).json()["storage"] == "ok"
    with unwritable(storage):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["storage"] == "error: PermissionError"
    assert body["database"] == "ok"
    assert list(storage.iterdir()) == []  # and the probe left nothing behind when it worked


@pytest.mark.django_db
def test_healthz_storage_probe_leaves_no_file(client, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "new" / "private"  # created as the first upload would
    assert client.get(reverse("healthz")).json()["storage"] == "ok"
    assert list((tmp_path / "new" / "private").iterdir()) == []
