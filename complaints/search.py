"""Staff search over complaint text for viewers who may not see who complained.

The staff workplace searches what complainants wrote. Searched raw, that text finds a complaint
by its complainant's phone number or name, and the list then tells a viewer without the identity
permission who complained. For such a viewer, ``search_without_identity`` answers like the admin's
own search (every word in some field, all words), except that

- a word shaped like a phone number, an e-mail address, an ID card number or a credit code
  (complaints.masking.identity_findings flags it on its own, or the whole search term), or a part
  of one (four digits in a row, an "@"), is not looked for in free text at all, only in the other
  fields (the unit's name, …): the masked text a viewer reads has those numbers removed, and a
  search must not find what the viewer cannot read (nor, digit by digit, tell it);
- rows whose complainant identity (contact name, phone, e-mail, enterprise name, credit code)
  contains a word are left out, whatever else matched.

Any model reaching complaints can use it through ``identity_path``: ``"identity"`` from a
complaint, ``"complaint_links__complaint__identity"`` from a case.
"""

import re
import unicodedata
from collections.abc import Sequence

from django.contrib.admin.utils import lookup_spawns_duplicates
from django.db.models import Q, QuerySet
from django.utils.text import smart_split, unescape_string_literal

from complaints.masking import identity_findings
from complaints.selectors import IDENTITY_FIELDS


def search_words(search_term: str) -> list[str]:
    """The words of a search box as the admin splits them: spaces separate, quotes group."""
    words = []
    for bit in smart_split(search_term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit.strip():
            words.append(bit)
    return words


# Four digits in a row once separators are gone: a phone's tail, part of an ID or credit code.
_NUMBER_PART = re.compile(r"\d{4,}")
_SEPARATORS = re.compile(r"[\s\-–—_.·/()（）]+")


def is_identity_shaped(word: str) -> bool:
    """The word looks like somebody's phone, e-mail, ID card number or credit code, or a part of
    one (full-width forms read as ASCII)."""
    if identity_findings(word):
        return True
    normal = unicodedata.normalize("NFKC", word)
    return "@" in normal or bool(_NUMBER_PART.search(_SEPARATORS.sub("", normal)))


def identity_match(word: str, *, identity_path: str) -> Q:
    """Rows whose complainant identity contains ``word`` (case-insensitive), through ``identity_path``."""
    query = Q()
    for name in IDENTITY_FIELDS:
        query |= Q(**{f"{identity_path}__{name}__icontains": word})
    return query


def search_without_identity(
    queryset: QuerySet,
    *,
    search_term: str,
    text_fields: Sequence[str],
    other_fields: Sequence[str] = (),
    identity_path: str,
) -> tuple[QuerySet, bool]:
    """Admin search (``ModelAdmin.get_search_results``'s contract: the queryset and whether it
    may hold duplicates) for a viewer without the identity permission. ``text_fields`` hold what
    complainants wrote (description, …), ``other_fields`` the rest (unit names, …), as ORM paths
    from the queryset's model; each word is matched case-insensitively as a substring."""
    words = search_words(search_term)
    if not words:
        return queryset, False
    opts = queryset.model._meta
    used_paths = set()
    # "137 0000 1111" is a phone number though none of its words is.
    whole_term_identifies = bool(identity_findings(search_term))
    for word in words:
        shaped = whole_term_identifies or is_identity_shaped(word)
        fields = list(other_fields) if shaped else [*text_fields, *other_fields]
        used_paths.update(fields)
        any_field = Q()
        for path in fields:
            any_field |= Q(**{f"{path}__icontains": word})
        # No field left to look in (an identity-shaped word and nothing else): nothing matches.
        queryset = queryset.filter(any_field) if fields else queryset.none()
    excluded = Q()
    for word in words:
        excluded |= identity_match(word, identity_path=identity_path)
    queryset = queryset.exclude(excluded)
    may_have_duplicates = any(lookup_spawns_duplicates(opts, path) for path in used_paths)
    return queryset, may_have_duplicates
