"""The tracking code shown in its groups (templates/complaints/_tracking_code.html)."""

from django import template
from django.conf import settings
from django.urls import reverse

register = template.Library()


@register.filter
def code_groups(code: str) -> list[str]:
    """'ABCDE-FGHJK-…' -> ['ABCDE', 'FGHJK', …]: each group is shown unbroken."""
    return [group for group in str(code or "").split("-") if group]


@register.simple_tag
def track_url() -> str:
    """The tracking page's full address, as e-mails give it (SITE_URL)."""
    return f"{settings.SITE_URL}{reverse('complaints:track')}"
