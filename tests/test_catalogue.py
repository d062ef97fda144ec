"""The zh-hans catalogue reads as Chinese: full-width punctuation, nothing missing, no collisions.

The checks are plain functions over a ``polib`` catalogue so that they can also be run on
another version of the file (``git show HEAD:locale/...``) or by a one-off fixing script.
"""

import re
from pathlib import Path

import django
import polib

BASE_DIR = Path(__file__).resolve().parent.parent
PO_FILE = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

HALF_WIDTH = ",;:?()"
FULL_WIDTH = dict(zip(HALF_WIDTH, "，；：？（）", strict=True))

# CJK ideographs, CJK symbols and punctuation (、。「」…), full-width forms (，：（）…).
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")

# The parts of a msgstr whose punctuation belongs to code, not to the Chinese sentence:
# printf placeholders (%(name)s, %s, %d, %%), brace placeholders ({name}, {0}),
# template variables and tags ({{ … }}, {% … %}), HTML tags, URLs and e-mail addresses,
# times and numbers (10:30, 1,000, 3.5).
_PROTECTED = re.compile(
    r"""
      %\([^)\s]+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]
    | %[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]
    | \{\{.*?\}\}
    | \{%.*?%\}
    | \{[A-Za-z_0-9.]*\}
    | <[^<>\n]*>
    | (?:https?|ftp|mailto)://[^\s<>"'，。；：（）]*
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)+
    | \d+(?:[:,.]\d+)+
    """,
    re.VERBOSE | re.DOTALL,
)
_MASK = "\x00"

_PRINTF = re.compile(
    r"%\([^)\s]+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %(name)s
    r"|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %s, %d, %.1f
)
_TEMPLATE_VAR = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_BRACE = re.compile(r"(?<!\{)\{[A-Za-z_][A-Za-z_0-9.]*\}(?!\})|(?<!\{)\{\d*\}(?!\})")


def mask(text):
    """The text with every protected span replaced by NULs of the same length."""
    return _PROTECTED.sub(lambda m: _MASK * len(m.group()), text)


def _neighbour(masked, index, step):
    """The first character from ``index`` in direction ``step``, skipping plain spaces."""
    i = index + step
    while 0 <= i < len(masked) and masked[i] == " ":
        i += step
    return masked[i] if 0 <= i < len(masked) else ""


def half_width_next_to_cjk(text):
    """Indexes of half-width ``,;:?()`` in ``text`` that stand next to a CJK character."""
    masked = mask(text)
    return [
        i
        for i, ch in enumerate(masked)
        if ch in HALF_WIDTH
        and (_CJK.match(_neighbour(masked, i, -1) or "a") or _CJK.match(_neighbour(masked, i, 1) or "a"))
    ]


def msgstrs(entry):
    if entry.msgid_plural:
        return [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def placeholders(text):
    """The placeholders of a message, as a sorted list (order may change in translation)."""
    found = [re.sub(r"\s+", "", m) for m in _PRINTF.findall(text)]
    found += ["{{" + v + "}}" for v in _TEMPLATE_VAR.findall(text)]
    found += _BRACE.findall(text)
    return sorted(found)


def _label(entry):
    return f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt else entry.msgid


def punctuation_problems(catalogue):
    problems = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        for text in msgstrs(entry):
            bad = half_width_next_to_cjk(text)
            if bad:
                shown = ", ".join(repr(text[max(0, i - 6) : i + 7]) for i in bad[:3])
                problems.append(f"{_label(entry)!r}: {shown}")
    return problems


def completeness_problems(catalogue):
    problems = [f"untranslated: {_label(e)!r}" for e in catalogue.untranslated_entries()]
    problems += [f"fuzzy: {_label(e)!r}" for e in catalogue.fuzzy_entries()]
    return problems


def placeholder_problems(catalogue):
    problems = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        expected = placeholders(entry.msgid)
        expected_plural = placeholders(entry.msgid_plural) if entry.msgid_plural else expected
        for text in msgstrs(entry):
            got = placeholders(text)
            # A plural msgstr may drop the count (nplurals=1: one form serves both).
            if got != expected and got != expected_plural:
                problems.append(f"{_label(entry)!r}: {expected} != {got} in {text!r}")
        for text in msgstrs(entry):
            if text and (entry.msgid[:1] == "\n") != (text[:1] == "\n"):
                problems.append(f"{_label(entry)!r}: leading newline differs")
            if text and (entry.msgid[-1:] == "\n") != (text[-1:] == "\n"):
                problems.append(f"{_label(entry)!r}: trailing newline differs")
    return problems


def _django_catalogue_paths():
    root = Path(django.__file__).resolve().parent
    paths = [root / "conf" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"]
    paths += sorted(root.glob("contrib/*/locale/zh_Hans/LC_MESSAGES/django.po"))
    try:
        import django_celery_beat

        beat = Path(django_celery_beat.__file__).resolve().parent
        paths += sorted(beat.glob("locale/zh_Hans/LC_MESSAGES/django.po"))
    except ImportError:  # pragma: no cover - an installed dependency
        pass
    return [p for p in paths if p.exists()]


def django_translations():
    """{(msgctxt, msgid): {msgstr, …}} from Django's and django-celery-beat's zh_Hans catalogues."""
    found = {}
    for path in _django_catalogue_paths():
        for entry in polib.pofile(str(path)):
            if entry.obsolete or not entry.translated():
                continue
            found.setdefault((entry.msgctxt, entry.msgid), set()).add(msgstrs(entry)[0])
    return found


def collision_problems(catalogue, theirs=None):
    """Our context-less msgids that Django translates differently: ours would override theirs."""
    theirs = django_translations() if theirs is None else theirs
    problems = []
    for entry in catalogue:
        if entry.obsolete or entry.msgctxt:
            continue
        their_strs = theirs.get((None, entry.msgid))
        if their_strs and msgstrs(entry)[0] not in their_strs:
            problems.append(f"{entry.msgid!r}: ours {msgstrs(entry)[0]!r}, Django's {sorted(their_strs)}")
    return problems


def _catalogue():
    return polib.pofile(str(PO_FILE))


def test_no_half_width_punctuation_next_to_chinese():
    problems = punctuation_problems(_catalogue())
    assert not problems, f"{len(problems)} msgstrs with half-width punctuation:\n" + "\n".join(problems[:20])


def test_every_entry_is_translated_and_not_fuzzy():
    catalogue = _catalogue()
    problems = completeness_problems(catalogue)
    assert not problems, "\n".join(problems[:20])
    assert len(catalogue) > 50


def test_placeholders_match_between_msgid_and_msgstr():
    problems = placeholder_problems(_catalogue())
    assert not problems, "\n".join(problems[:20])


def test_no_msgid_overrides_a_different_django_translation():
    problems = collision_problems(_catalogue())
    assert not problems, (
        "give these a context (pgettext / translate … context …) so Django's own translation stays:\n"
        + "\n".join(problems)
    )


def test_the_checks_catch_what_they_should():
    assert half_width_next_to_cjk("名称: 值") == [2]
    assert half_width_next_to_cjk("附件 (PDF)") == [3]
    assert half_width_next_to_cjk("共 %(count)s 件") == []
    assert half_width_next_to_cjk("见 {{ a|date:'H:i' }}。") == []
    assert half_width_next_to_cjk("时间 10:30,金额 1,000") == [8]
    assert half_width_next_to_cjk("See https://example.org/a?b=1 (help)") == []
    assert placeholders("%(a)s and {{ b }}") == ["%(a)s", "{{b}}"]


def test_django_admin_words_keep_django_translations_and_ours_keep_their_context():
    from django.utils import translation

    with translation.override("zh-hans"):
        # Through a variable, so that makemessages does not copy Django's msgids into our catalogue.
        django_words = {"Change": "修改", "Minutes": "分钟"}
        for msgid, msgstr in django_words.items():
            assert translation.gettext(msgid) == msgstr
        assert translation.pgettext("difference from the earlier period", "Change") == "增减"
        assert translation.pgettext("meeting minutes", "Minutes") == "会议纪要"
