"""Links from an enterprise's page in the directory to pages of the apps above liaison.

liaison sits below them in the layers and may not import them, yet an enterprise's page should
lead, say, to its supervision code (inspections). Each app registers a provider here when its
admin loads; the enterprise's change page asks every provider for its link. A provider takes the
request and the enterprise and returns (label, URL), or None when this user gets no link (a
permission it checks itself). Providers make no query: the page's statements stay constant."""

from __future__ import annotations

from collections.abc import Callable

from liaison.models import Enterprise

EnterpriseLinkProvider = Callable[[object, Enterprise], "tuple[str, str] | None"]

_providers: list[EnterpriseLinkProvider] = []


def enterprise_admin_link_register(provider: EnterpriseLinkProvider) -> None:
    """Add a provider of a link on the enterprise's change page (once, however often called)."""
    if provider not in _providers:
        _providers.append(provider)


def enterprise_admin_links(request, enterprise: Enterprise) -> list[tuple[str, str]]:
    """The links every registered provider gives this user for this enterprise, in order."""
    links = []
    for provider in _providers:
        link = provider(request, enterprise)
        if link is not None:
            links.append(link)
    return links
