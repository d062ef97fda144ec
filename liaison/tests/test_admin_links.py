"""liaison's link registry: the apps above the directory give the enterprise's change page its
links (liaison imports none of them). The supervision code's own link is tested with the codes
(inspections/tests/test_codes.py)."""

import pytest

from liaison import admin_links
from liaison.models import Enterprise

pytestmark = pytest.mark.django_db


@pytest.fixture
def providers():
    kept = list(admin_links._providers)
    yield admin_links._providers
    admin_links._providers[:] = kept


def test_every_provider_is_asked_and_a_refusal_gives_no_link(providers, admin_client):
    enterprise = Enterprise.objects.create(credit_code="91110000000000013T", name="链接测试有限公司")
    seen = []

    def one(request, obj):
        seen.append(obj.pk)
        return ("Elsewhere", f"/elsewhere/{obj.pk}/")

    def refusing(request, obj):
        return None

    admin_links.enterprise_admin_link_register(one)
    admin_links.enterprise_admin_link_register(refusing)
    admin_links.enterprise_admin_link_register(one)  # once, however often registered
    assert providers.count(one) == 1
    body = admin_client.get(f"/admin/liaison/enterprise/{enterprise.pk}/change/").content.decode()
    assert f'href="/elsewhere/{enterprise.pk}/" data-enterprise-link>Elsewhere<' in body
    assert seen == [enterprise.pk]


def test_the_add_page_asks_no_provider(providers, admin_client):
    asked = []
    admin_links.enterprise_admin_link_register(lambda request, obj: asked.append(obj))
    assert admin_client.get("/admin/liaison/enterprise/add/").status_code == 200
    assert asked == []
