"""How an activity's name is compared with the cancelled items: without spaces, punctuation,
width or case, so "2026年度 优秀企业 评选" still matches the abolished "优秀企业评选"."""

import unicodedata

# Shorter keys would match too much ("评选" is in every award's name).
MIN_KEY_LENGTH = 4


def activity_name_key(name: str) -> str:
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    return "".join(char for char in folded if char.isalnum())
