"""The admin's JavaScript catalogue is Chinese too, including the strings Django's own zh_Hans
catalogue leaves untranslated (locale/zh_Hans/LC_MESSAGES/djangojs.po fills them)."""

import json
import re

from django.contrib.auth import get_user_model


def test_the_admin_javascript_catalogue_has_no_english_left(client, db):
    admin = get_user_model().objects.create_superuser("jsi18n-admin", "a@example.cn", "x")
    client.force_login(admin)
    body = client.get("/admin/jsi18n/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});", body, re.S).group(1))
    for msgid in (
        'Choose %s by selecting them and then select the "Choose" arrow button.',
        "Choose all %s",
        "Remove all %s",
        "(click to clear)",
    ):
        assert msgid in catalog and catalog[msgid] != msgid, msgid
    assert catalog["Choose all %s"] == "选择全部%s"
