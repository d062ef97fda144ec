"""Staff search over complaint text for viewers who may not see who complained.

The staff workplace searches what complainants wrote. Searched raw, that text finds a complaint
by its complainant's phone number or name, and the list then tells a viewer without the identity
permission who complained. Such a viewer searches the masked text instead (Complaint.masked_text:
the words redacted once at filing, exactly as they read them), so a search finds only what the
viewer can read: not a phone number, not "张总", not an enterprise's short name — and, since the
masked text has none of it, not a part of any of them either. Every word must match in some
field, as in the admin's own search.

Any model reaching complaints uses it through the paths it passes: ``masked_text`` from a
complaint, ``complaint_links__complaint__masked_text`` from a case.
"""

from collections.abc import Sequence

from django.contrib.admin.utils import lookup_spawns_duplicates
from django.db.models import Q, QuerySet
from django.utils.text import smart_split, unescape_string_literal


def search_words(search_term: str) -> list[str]:
    """The words of a search box as the admin splits them: spaces separate, quotes group."""
    words = []
    for bit in smart_split(search_term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit.strip():
            words.append(bit)
    return words


def search_without_identity(
    queryset: QuerySet, *, search_term: str, fields: Sequence[str]
) -> tuple[QuerySet, bool]:
    """Admin search (``ModelAdmin.get_search_results``'s contract: the queryset and whether it
    may hold duplicates) for a viewer without the identity permission. ``fields`` are ORM paths
    holding only what such a viewer may read: masked complaint text, case titles (redacted at
    acceptance), unit names. Each word is matched case-insensitively as a substring."""
    words = search_words(search_term)
    if not words:
        return queryset, False
    for word in words:
        any_field = Q()
        for path in fields:
            any_field |= Q(**{f"{path}__icontains": word})
        queryset = queryset.filter(any_field)
    opts = queryset.model._meta
    return queryset, any(lookup_spawns_duplicates(opts, path) for path in fields)
