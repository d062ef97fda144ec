import pytest
from django.contrib.auth.models import User
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    # Assertions read the English source text, whatever the default language and the catalogue say.
    with translation.override("en"):
        yield


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("root", "root@jw.example", "pw-12345678")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
