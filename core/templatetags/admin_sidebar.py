"""``{% nav_sidebar_kept %}``: the admin's sidebar (every model the user may see, over a hundred
rows of links), rendered once and kept in the process.

What the sidebar shows depends only on the user's list of models (built once per set of
permissions, language and script prefix: ``StaffAdminSite._build_app_dict``), the language of
its labels, and which entries the page's path falls under (the ``current-app`` and
``current-model`` marks: Django's template tests ``url in request.path|urlencode``). Those three
make the key; the page renders the sidebar only the first time a key is met. Kept in the
process, not in the shared cache: an admin page must not depend on Redis."""

from urllib.parse import quote

from django import template
from django.contrib import admin
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

BODY = "admin/nav_sidebar_body.html"


def _entries_under(path: str, apps) -> tuple[str, ...]:
    path = quote(path)
    return tuple(
        url
        for app in apps
        for url in (app.get("app_url"), *(model.get("admin_url") for model in app["models"]))
        if url and url in path
    )


@register.simple_tag(takes_context=True)
def nav_sidebar_kept(context):
    request = context.get("request")
    apps = context.get("available_apps") or []
    keep = getattr(admin.site, "sidebar_kept", None)  # StaffAdminSite (core.twofactor_admin)
    key = getattr(request, "admin_app_list_key", None)

    def render() -> str:
        return context.template.engine.get_template(BODY).render(context)

    if request is None or key is None or keep is None:
        return mark_safe(render())  # noqa: S308 - a rendered, autoescaped template
    kept = keep((key, get_language(), _entries_under(request.path, apps)), render)
    return mark_safe(kept)  # noqa: S308 - a rendered, autoescaped template

