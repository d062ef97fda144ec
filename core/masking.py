"""Masking of complainant identity, and the redaction engine for texts that leave the centre.

Two things live here:

* ``identity_for_viewer``/``mask``: the identity *fields* as a viewer may see them.
* ``redact_text``/``identity_findings``/``identity_validate``: one recogniser of a complainant's
  identity in free text, written the ways people actually write it (a space or a dot inside
  the name, 张总 for Mr Zhang, full-width digits, "尾号5678", "zhang at example dot com", the
  enterprise's short name, a credit code split in parts), plus the patterns that identify
  anybody (phone numbers, e-mail addresses, ID card and credit code numbers). Every text that
  goes to a department or the public passes through it, and the check and the redaction use
  the same recogniser, so a text that ``redact_text`` returns is always clean for
  ``identity_findings``.

How it works: the text is folded with NFKC (full-width letters, digits, ＠ and ． become
ASCII) and separators NFKC leaves alone are folded onto Latin-1 ones, keeping for every folded
character the index of the original character it came from, so matches are found in the folded
text and replaced in the original, leaving every other character exactly as it was. Identity
values are looked for as plain strings in views of the text without separators ("张 三" and
"139-1234-5678" read as 张三 and 13912345678; whether a number stands alone is checked in the
view with them), phone numbers also in a view where Chinese numerals (一三九…) are digits. The
patterns for anybody's numbers allow a few separators between digits; every repetition is
bounded and the character classes around it are disjoint, so matching stays linear on hostile
input. Overlapping matches are merged, so nothing of either survives.

Forms recognised (for the README): see ``test_masking.py``, one test per form.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.validators import credit_code_check_character, normalize_credit_code, normalize_phone

MASK = "＊＊"


def mask(value: str) -> str:
    # Nothing of the value survives: a first character, a domain or the ends of a credit code
    # already narrow down a small town's enterprises. The viewer only learns that it is on file.
    return MASK if value else ""


def identity_for_viewer(identity, *, can_see: bool) -> dict[str, str] | None:
    """The identity fields as this viewer may see them; None for an anonymous complaint."""
    if identity is None:
        return None
    if can_see:
        return {
            "enterprise_name": identity.enterprise_name,
            "credit_code": identity.credit_code,
            "contact_name": identity.contact_name,
            "phone": identity.phone,
            "email": identity.email,
            "masked": False,
        }
    return {
        "enterprise_name": mask(identity.enterprise_name),
        "credit_code": mask(identity.credit_code),
        "contact_name": mask(identity.contact_name),
        "phone": mask(identity.phone),
        "email": mask(identity.email),
        "masked": True,
    }


NAME_PLACEHOLDER = "〔投诉人〕"
ENTERPRISE_PLACEHOLDER = "〔企业〕"
PHONE_PLACEHOLDER = "〔电话〕"
EMAIL_PLACEHOLDER = "〔邮箱〕"
CREDIT_CODE_PLACEHOLDER = "〔信用代码〕"
ID_NUMBER_PLACEHOLDER = "〔身份证号〕"

IDENTITY_FIELDS = ("contact_name", "phone", "email", "enterprise_name", "credit_code")


class _Kind(NamedTuple):
    label: object  # lazy translation, rendered when findings are reported
    placeholder: str
    generic: bool  # found in anybody's text, not tied to this complainant


# In the fixed order in which findings are reported.
_KINDS = {
    "name": _Kind(gettext_lazy("the complainant's name"), NAME_PLACEHOLDER, False),
    "phone": _Kind(gettext_lazy("the complainant's phone number"), PHONE_PLACEHOLDER, False),
    "email": _Kind(gettext_lazy("the complainant's e-mail address"), EMAIL_PLACEHOLDER, False),
    "enterprise": _Kind(gettext_lazy("the complainant's enterprise"), ENTERPRISE_PLACEHOLDER, False),
    "credit_code": _Kind(gettext_lazy("the complainant's credit code"), CREDIT_CODE_PLACEHOLDER, False),
    "id_number": _Kind(gettext_lazy("an ID card number"), ID_NUMBER_PLACEHOLDER, True),
    "any_phone": _Kind(gettext_lazy("a phone number"), PHONE_PLACEHOLDER, True),
    "any_email": _Kind(gettext_lazy("an e-mail address"), EMAIL_PLACEHOLDER, True),
    "any_credit_code": _Kind(gettext_lazy("a credit code"), CREDIT_CODE_PLACEHOLDER, True),
}
_KIND_ORDER = {kind: index for index, kind in enumerate(_KINDS)}


def _words(text: str) -> list[str]:
    return text.split()


# --- Normalisation ---------------------------------------------------------------------------

# Phone numbers read out or typed with an IME: 一三九 幺三九 (幺 is "one" when reading digits).
_CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九幺", "001234567891")
# Separators that NFKC leaves alone, each folded one-for-one onto a Latin-1 stand-in, so that the
# patterns' character classes stay small (they compile ten times faster than Unicode ones):
# typographic dashes → "-", 、 → ",", • ・ → "·", zero-width characters → soft hyphen, CJK brackets.
_SEPARATOR_FOLD = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        "、": ",",
        "•": "·",
        "・": "·",
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff", "\xad"),
        **dict.fromkeys("【〔「『", "["),
        **dict.fromkeys("】〕」』", "]"),
    }
)
_HAS_SEPARATOR_TO_FOLD = re.compile("[" + "".join(chr(code) for code in _SEPARATOR_FOLD) + "]").search
_HAS_CHINESE_DIGIT = re.compile("[" + "".join(chr(code) for code in _CHINESE_DIGITS) + "]").search
# What may stand between the characters of a name, an enterprise or a credit code ("张 三",
# "张·三", "张\u200b三"), and what between the digits of a phone number (brackets around an area
# code, not the commas of an amount).
_NAME_KEEP = re.compile(r"[^\s\-_.,·/\\|*~\xad]+")
_DIGIT_KEEP = re.compile(r"[^\s\-_.·()/\xad]+")
_ALNUM_KEEP = re.compile(r"[0-9A-Za-z]+")
_ASCII_DIGITS = frozenset("0123456789")


def _squeeze_with_positions(text: str, keep: re.Pattern) -> tuple[str, list[int]]:
    parts: list[str] = []
    positions: list[int] = []
    for run in keep.finditer(text):
        parts.append(run.group())
        positions.extend(range(run.start(), run.end()))
    return "".join(parts), positions


class _NfkcTable(dict):
    """A translation table computing each character's NFKC form the first time it is seen, so
    that str.translate folds a text at C speed, character by character (NFKC never makes a
    character disappear, so equal lengths mean one character for one)."""

    def __missing__(self, code: int) -> str:
        if len(self) > 100_000:  # a text of every code point must not grow it without end
            self.clear()
        folded = self[code] = unicodedata.normalize("NFKC", chr(code))
        return folded


_NFKC_BY_CHARACTER = _NfkcTable()


class _View:
    """A text as the patterns see it. ``text`` is NFKC-folded with separators folded too,
    ``digits`` the same with Chinese numerals as digits; both have one character for each of
    ``origin`` (the index in the original). The squeezed views drop separators, so that an
    identity value is found as a plain string however it is spaced; each keeps, for every
    character, its index in ``text``."""

    def __init__(self, original: str):
        self.origin: list[int] | None = None
        if unicodedata.is_normalized("NFKC", original):
            folded = original
        else:
            # Character by character, so that each folded character knows where it came from.
            folded = original.translate(_NFKC_BY_CHARACTER)
            if len(folded) != len(original):
                # Some character became several (㈱ → (株)): map each back to its source.
                self.origin = [
                    index
                    for index, char in enumerate(original)
                    for _ in range(len(_NFKC_BY_CHARACTER[ord(char)]))
                ]
        # str.translate looks up every character; most texts have nothing to translate.
        self.text = folded.translate(_SEPARATOR_FOLD) if _HAS_SEPARATOR_TO_FOLD(folded) else folded
        self.digits = self.text.translate(_CHINESE_DIGITS) if _HAS_CHINESE_DIGIT(self.text) else self.text

    @functools.cached_property
    def squeezed(self) -> tuple[str, list[int]]:
        return _squeeze_with_positions(self.text, _NAME_KEEP)

    @functools.cached_property
    def squeezed_digits(self) -> tuple[str, list[int]]:
        return _squeeze_with_positions(self.digits, _DIGIT_KEEP)

    @functools.cached_property
    def alnum(self) -> tuple[str, list[int]]:
        return _squeeze_with_positions(self.text, _ALNUM_KEEP)

    def haystack(self, name: str) -> tuple[str, list[int] | None]:
        if name == "text":
            return self.text, None
        if name == "digits":
            return self.digits, None
        return getattr(self, name)


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().translate(_SEPARATOR_FOLD)


def _squeeze(value: str, keep: re.Pattern = _NAME_KEEP) -> str:
    return "".join(keep.findall(_fold(value)))


def _is_cjk(char: str) -> bool:
    return (
        "\u4e00" <= char <= "\u9fff"
        or "\u3400" <= char <= "\u4dbf"
        or "\uf900" <= char <= "\ufaff"
        or "\U00020000" <= char <= "\U0003134f"
    )


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _is_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


# --- Rules and the checks that go with them --------------------------------------------------


class _LazyPattern:
    """A regular expression compiled the first time it is used. A complainant's e-mail and
    enterprise patterns are long (every way of writing "at" and "dot", every short form) and
    most texts never mention either: with a needle (below) they are never compiled for those."""

    __slots__ = ("_compiled", "flags", "source")

    def __init__(self, source: str, flags: int = 0):
        self.source, self.flags, self._compiled = source, flags, None

    @property
    def compiled(self) -> re.Pattern:
        if self._compiled is None:
            self._compiled = re.compile(self.source, self.flags)
        return self._compiled

    @property
    def groupindex(self):
        return self.compiled.groupindex

    def finditer(self, text: str):
        return self.compiled.finditer(text)


class _Rule(NamedTuple):
    kind: str
    pattern: re.Pattern | _LazyPattern
    view: str = "text"  # text, digits, squeezed, squeezed_digits or alnum (see _View)
    # A further check of a match, given the view, its span in ``text`` and the ``text`` index
    # of each matched character (None in the text and digits views): boundaries that a squeezed
    # view cannot see, a check character.
    check: Callable[[_View, int, int, list[int] | None], bool] | None = None
    # Plain lower-case strings of which every match contains at least one (see _probe): when the
    # text contains none, the rule cannot match and is skipped without running (or compiling) it.
    needles: tuple[str, ...] = ()


def _not_within_digits(view: _View, start: int, end: int, _positions) -> bool:
    digits = view.digits
    return not (start > 0 and digits[start - 1] in _ASCII_DIGITS) and not (
        end < len(digits) and digits[end] in _ASCII_DIGITS
    )


def _no_digit_after(view: _View, start: int, end: int, _positions) -> bool:
    return not (end < len(view.digits) and view.digits[end] in _ASCII_DIGITS)


def _not_within_a_word(view: _View, start: int, end: int, _positions) -> bool:
    # Latin letters only: Chinese has no spaces between words, so a CJK match has no boundary.
    text = view.text
    if _is_latin(text[start]) and start > 0 and _is_latin(text[start - 1]):
        return False
    return not (_is_latin(text[end - 1]) and end < len(text) and _is_latin(text[end]))


def _within_one_clause(view: _View, start: int, end: int, positions) -> bool:
    # 张总 spaced out is still 张总, but "他姓张，经理说" is two clauses.
    return "," not in view.text[start:end] and _not_within_a_word(view, start, end, positions)


def _code_check(max_gap: int) -> Callable[[_View, int, int, list[int] | None], bool]:
    def check(view: _View, start: int, end: int, positions) -> bool:
        text = view.text
        if (start > 0 and _is_alnum(text[start - 1])) or (end < len(text) and _is_alnum(text[end])):
            return False
        return all(after - before - 1 <= max_gap for before, after in itertools.pairwise(positions))

    return check


def _credit_code_is_plausible(view: _View, start: int, end: int, _positions) -> bool:
    # A contiguous upper-case code is taken as it is (as the register prints it, even with a
    # typo); one with separators or in lower case must carry a valid check character, so that
    # ordinary words and numbers spread over a line are not taken for a code.
    matched = view.text[start:end]
    compact = re.sub(r"[^0-9A-Za-z]", "", matched)
    if compact == matched and compact.isupper():
        return True
    compact = compact.upper()
    try:
        return credit_code_check_character(compact[:17]) == compact[17]
    except (ValueError, IndexError):
        return False


# --- Patterns that identify anybody ----------------------------------------------------------

# A stranger's number: spaces, dashes and dots only, so amounts and dates stay numbers.
_GENERIC_GAP = r"[ \t\-.\xad]{0,2}"
_GENERIC_LANDLINE_GAP = r"[ \t\-.()\xad]{0,3}"
# "@" written out: ＠ (folded to @), (at) [at] 【at】 {at} <at>, " at ", 艾特, #.
_OPEN = r"[(\[{<]"
_CLOSE = r"[)\]}>]"
_AT = (
    rf"(?:\s{{0,2}}{_OPEN}\s{{0,2}}(?:at|@|艾特)\s{{0,2}}{_CLOSE}\s{{0,2}}"
    r"|\s{0,2}(?:@|艾特|#)\s{0,2}|\s{1,3}at\s{1,3})"
)
# "." written out: (dot) [dot] " dot " 点, and a dot with spaces around it.
_DOT = (
    rf"(?:\s{{0,2}}\.\s{{0,2}}|\s{{0,2}}{_OPEN}\s{{0,2}}(?:dot|点|\.)\s{{0,2}}{_CLOSE}\s{{0,2}}"
    r"|\s{1,3}dot\s{1,3}|\s{0,2}点\s{0,2})"
)
_AT_RE = re.compile(_AT, re.IGNORECASE)
_DOT_RE = re.compile(_DOT, re.IGNORECASE)


# What says that the digits after it are the end of a number (in the digits view: 后四位 → 后4位).
_TAIL_CONTEXT = r"(?:尾号|尾数|末尾|末[4-8]位|后[4-8]位)(?:数字|号码|号)?(?:是|为|:)?"


def _build_generic_rules() -> tuple[_Rule, ...]:
    g = _GENERIC_GAP
    month = rf"(?:0{g}[1-9]|1{g}[0-2])"
    day = rf"(?:0{g}[1-9]|[12]{g}\d|3{g}[01])"
    id18 = (
        rf"(?<![0-9A-Za-z])[1-9](?:{g}\d){{5}}{g}(?:1{g}9|2{g}0){g}\d{g}\d{g}{month}{g}{day}"
        rf"(?:{g}\d){{3}}{g}[\dXx](?![0-9A-Za-z])"
    )
    id15 = rf"(?<![0-9A-Za-z])[1-9](?:{g}\d){{5}}{g}\d{g}\d{g}{month}{g}{day}(?:{g}\d){{3}}(?![0-9A-Za-z])"
    code_char = "[0-9A-HJ-NPQRTUWXY]"
    credit = (
        rf"(?<![0-9A-Za-z]){code_char}{g}{code_char}(?:{g}\d){{6}}(?:{g}{code_char}){{10}}(?![0-9A-Za-z])"
    )
    local = r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}"
    label = r"[A-Za-z0-9-]{1,63}"
    email = rf"{local}\s{{0,2}}@\s{{0,2}}{label}(?:\.{label}){{1,8}}(?![A-Za-z0-9-])"
    # Written out, a top-level domain people use is required, so that "meet at noon.com" and the
    # like are not taken for an address; www. before the domain means a website, not mail.
    tld = r"(?:com|cn|net|org|edu|gov|info|biz|io|me|cc|co|top|xyz|vip|hk|mo|tw|us|uk|jp|de)"
    email_written = rf"{local}{_AT}(?!www\b){label}(?:{_DOT}{label}){{0,6}}{_DOT}{tld}(?![A-Za-z0-9-])"
    lg = _GENERIC_LANDLINE_GAP
    mobile = rf"(?<!\d)(?:(?:\+|00)?86{g}|\(\+?86\){g})?1{g}[3-9](?:{g}\d){{9}}(?!\d)"
    area = rf"(?:1{lg}0|2{lg}\d|[3-9]{lg}\d{lg}\d)"  # without the trunk 0: 010, 02X, else 0XXX
    landline = rf"(?<!\d)\(?(?:0|(?:\+|00){lg}86{lg}(?:0{lg})?){lg}{area}{lg}[2-9](?:{lg}\d){{6,7}}(?!\d)"
    hotline = rf"(?<!\d)[48]{g}0{g}0(?:{g}\d){{7}}(?!\d)"  # 400/800 numbers
    # "手机尾号12345678", "身份证后四位 1234": whoever's number it is, the text says it is one.
    tail = rf"{_TAIL_CONTEXT}[ \t]{{0,2}}(?P<v>\d(?:{g}\d){{3,7}})(?!\d)"
    return (
        _Rule("id_number", re.compile(id18)),
        _Rule("id_number", re.compile(id15)),
        _Rule("any_credit_code", re.compile(credit, re.IGNORECASE), check=_credit_code_is_plausible),
        _Rule("any_email", re.compile(email)),
        _Rule("any_email", re.compile(email_written, re.IGNORECASE)),
        _Rule("any_phone", re.compile(mobile), view="digits"),
        _Rule("any_phone", re.compile(landline), view="digits"),
        _Rule("any_phone", re.compile(hotline), view="digits"),
        _Rule("any_phone", re.compile(tail), view="digits"),
    )


# --- The complainant's name ------------------------------------------------------------------

_COMPOUND_SURNAMES = frozenset(
    _words(
        "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 闻人 澹台 公冶 "
        "太史 申屠 端木 西门 南宫 独孤 百里 呼延 赫连 万俟 司空 濮阳 淳于 单于 公羊 东郭 拓跋 第五"
    )
)
# Surnames that are also prepositions or conjunctions: "向经理反映" is "reported to the
# manager", not "Manager Xiang", so only 某/某某 and 老/小 forms are recognised for them.
_FUNCTION_WORD_SURNAMES = frozenset("于向和与从同跟把被给对由为以将在自及让叫比朝按经离往替当")

# 于某日, 王某单位: 某 as "a certain" before a noun.
_NOT_AFTER_MOU = "日年月天时处地些种单部个项家次位人样类件条段批"
# Title after the surname, longest first (the alternation takes the first that fits), with what
# must not follow so that a word is not taken for a title: 资金总额, 于某日, 文书记录, 原先生产.
# 总和 and 总是 are left to the lookbehinds: "张总和李经理", "张总是我们的客户" name people.
_TITLES = (
    ("总经理", ""),
    ("董事长", ""),
    ("工程师", ""),
    ("老板娘", ""),
    ("总监", ""),
    ("总工", ""),
    ("老总", ""),
    ("经理", ""),
    ("主任", ""),
    ("老板", ""),
    ("董事", ""),
    ("先生", "产"),
    ("女士", ""),
    ("小姐", ""),
    ("师傅", ""),
    ("老师", ""),
    ("律师", ""),
    ("会计", ""),
    ("主管", ""),
    ("书记", "录载员"),
    ("秘书", ""),
    ("助理", ""),
    ("医生", ""),
    ("同志", ""),
    ("处长", ""),
    ("科长", ""),
    ("局长", ""),
    ("所长", ""),
    ("厂长", ""),
    ("部长", ""),
    ("队长", ""),
    ("站长", ""),
    ("院长", ""),
    ("校长", ""),
    ("行长", ""),
    ("社长", ""),
    ("村长", ""),
    ("镇长", ""),
    ("大姐", ""),
    ("大哥", ""),
    ("阿姨", ""),
    ("某某", ""),
    ("某", _NOT_AFTER_MOU),
    (
        "总",
        "额计共结数量体部局署值价之算括裁包站则论统务账帐分成台线厂店会院归要能有表单重长队公司支行而的督指揽编",
    ),
    ("董", "事会"),
    ("姐", ""),
    ("哥", ""),
    ("叔", ""),
    ("姨", ""),
)
_ANONYMOUS_TITLES = (("某某", ""), ("某", _NOT_AFTER_MOU))

# What, before the surname, makes it part of a word or a measure word: 一张总表, 上周总经理.
_NOT_AFTER_ANY = "一二两三四五六七八九十百千万几每这那该本上下整半数多第各0-9"
_NOT_AFTER = {
    "张": "紧开主扩夸慌伸铺嚣纸乖",
    "王": "帝国大霸亲",
    "李": "行桃",
    "周": "四圆商",
    "孙": "子儿外",
    "马": "人兵车出落",
    "高": "提最升较很过偏更增抬拔崇身登",
    "金": "资奖租押罚现基黄美薪税证定订约本礼佣纳",
    "时": "当同按及准到平临随有小届适超暂此彼何定实即过限",
    "任": "担责主信离现曾继兼前新历出放委聘调就留首连胜专",
    "方": "对双甲乙丙各官地我他你她买卖校警院厂商资劳军东西南北处配药大平立",
    "安": "公治保平晚不心居西泰雅六延淮",
    "关": "相机有海无攸过把公开难报",
    "司": "公官总分寿",
    "门": "部专厂大出后热开关国校衙油闸窗家",
    "区": "园社小城市辖新发景特片街地管矿山灾全郊",
    "家": "店商厂卖买东国大专农作企人老住回全娘",
    "常": "经正异日非通照反寻往如平失无",
    "文": "公原全正中行发来收英条论",
    "全": "安完健齐周保成",
    "成": "完造形组构达促变赞建生收",
    "石": "岩宝砂",
    "林": "园森树",
    "江": "长浙",
    "钱": "价金工赚花付要收退罚零",
    "费": "收缴交付免经",
    "车": "停开汽货火",
    "许": "允准也或少些特",
    "何": "如任为",
    "程": "工过流章规课行日议全进",
    "范": "规示防模典",
    "田": "农油",
    "余": "其业剩结",
    "苏": "复",
    "温": "高气体保低",
    "白": "明空坦洁",
    "史": "历",
    "夏": "华",
    "付": "支应对预交",
    "易": "交容贸简",
    "单": "清罚订名简账",
    "尚": "时",
    "明": "说证表声查",
}
# 老/小 plus the surname, unless that makes a common word (小时, 小于, 小区, 老毛病); the value
# is what must not follow (empty: never a name).
_PREFIX_WORDS = {
    "小时": "",
    "小于": "",
    "小区": "",
    "小车": "",
    "小康": "",
    "小麦": "",
    "小马": "",
    "小牛": "",
    "小计": "",
    "小米": "",
    "小孔": "",
    "小商": "",
    "小包": "",
    "小路": "",
    "小白": "",
    "小钱": "",
    "小费": "",
    "小蓝": "",
    "小龙": "虾",
    "小金": "库额",
    "小高": "层",
    "小程": "序",
    "小方": "块",
    "小黄": "车",
    "小范": "围",
    "小毛": "病",
    "小苏": "打",
    "小周": "末期",
    "小卡": "片",
    "小红": "书",
    "小单": "位",
    "老牛": "",
    "老路": "",
    "老区": "",
    "老成": "",
    "老汤": "",
    "老马": "识",
    "老方": "法",
    "老房": "子",
    "老毛": "病",
    "老白": "干",
    "老黄": "历牛",
    "老花": "眼镜",
    "老古": "董",
    "老江": "湖",
    "老于": "世",
    "老关": "系",
    "老单": "位",
}
_LATIN_TITLES = r"(?:mr|mrs|ms|miss|dr|madam|madame)"


def _alternatives(values: Iterable[str]) -> str:
    return "|".join(re.escape(value) for value in values)


def _surname_rule(name: str) -> _Rule:
    surname = name[:2] if len(name) >= 3 and name[:2] in _COMPOUND_SURNAMES else name[0]
    titles = _ANONYMOUS_TITLES if surname in _FUNCTION_WORD_SURNAMES else _TITLES
    title_alternatives = "|".join(
        re.escape(title) + (f"(?![{ahead}])" if ahead else "") for title, ahead in titles
    )
    not_after = _NOT_AFTER_ANY + ("" if len(surname) > 1 else _NOT_AFTER.get(surname, ""))
    escaped = re.escape(surname)
    patterns = [
        rf"(?<![{not_after}]){escaped}副?(?:{title_alternatives})",
        # 姓张 names the surname outright (老百姓 is not 百+姓).
        rf"(?<!百)姓{escaped}",
    ]
    for prefix in "老小":
        ahead = _PREFIX_WORDS.get(prefix + surname)
        if ahead != "":
            patterns.append(f"{prefix}{escaped}" + (f"(?![{ahead}])" if ahead else ""))
    return _Rule("name", re.compile("|".join(patterns)), view="squeezed", check=_within_one_clause)


def _name_rules(contact_name: str) -> list[_Rule]:
    name = _squeeze(contact_name)
    if len(name) < 2:
        return []
    rules = [_Rule("name", re.compile(re.escape(name), re.IGNORECASE), "squeezed", _not_within_a_word)]
    if all(_is_cjk(char) for char in name) and len(name) <= 4:
        rules.append(_surname_rule(name))
    elif all(_is_latin(char) for char in name):
        tokens = [token for token in re.split(r"[^A-Za-z]+", _fold(contact_name)) if len(token) >= 2]
        if tokens:
            pattern = rf"{_LATIN_TITLES}(?:{_alternatives(sorted(tokens, key=len, reverse=True))})"
            rules.append(_Rule("name", re.compile(pattern, re.IGNORECASE), "squeezed", _not_within_a_word))
    return rules


# --- The complainant's phone -----------------------------------------------------------------


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _phone_rules(phone: str) -> list[_Rule]:
    folded = _fold(phone).translate(_CHINESE_DIGITS)
    if len(_digits(folded)) < 5:
        return []
    try:
        canonical = normalize_phone(folded)
    except ValidationError:
        canonical = ""
    if canonical.isdigit():  # a mobile: 11 digits
        number = canonical
        full = rf"(?:(?:\+|00)?86)?{number}"
        tails = [number[-8:], number[-7:]]  # 手机尾号12345678
    elif canonical:  # a landline: 0AREA-LOCAL[-EXTENSION]
        area, number = canonical.split("-")[:2]
        full = rf"(?:(?:\+|00)?860?|0){area[1:]}{number}"
        tails = [number, number[-7:]] if len(number) == 8 else [number]
    else:  # not a mainland number: the digits as they are
        number = _digits(folded)
        full, tails = number, []
    # Squeezed, "139 1234-5678" is 13912345678; whether a number stands alone is seen unsqueezed.
    rules = [_Rule("phone", re.compile(full), "squeezed_digits", _not_within_digits)]
    if tails:
        # A tail alone, not the end of another number even across a separator: 手机尾号12345678
        # is the phone, 0571-12345678 someone else's landline.
        pattern = rf"(?<!\d)(?:{_alternatives(tails)})"
        rules.append(_Rule("phone", re.compile(pattern), "squeezed_digits", _no_digit_after))
    if len(number) >= 7:
        # "尾号5678", "后四位 5678": a short tail is only the phone when the text says so.
        pattern = rf"{_TAIL_CONTEXT}(?P<v>{_alternatives(number[-n:] for n in (6, 5, 4))})"
        rules.append(_Rule("phone", re.compile(pattern), "squeezed_digits", _no_digit_after))
    return rules


# --- The complainant's e-mail address --------------------------------------------------------

# --- The complainant's e-mail address --------------------------------------------------------

# A local part this common says nothing about who wrote.
_GENERIC_LOCAL_PARTS = frozenset(
    _words(
        "info admin service contact mail email office support sales hello kefu test user webmaster "
        "postmaster noreply no-reply account accounts public"
    )
)
# A domain that many people share says nothing about who wrote.
_PUBLIC_MAIL_DOMAINS = frozenset(
    _words(
        "qq.com vip.qq.com foxmail.com 163.com vip.163.com 126.com yeah.net 188.com sina.com sina.cn "
        "sohu.com 139.com 189.cn wo.cn aliyun.com gmail.com outlook.com hotmail.com live.com msn.com "
        "yahoo.com icloud.com me.com proton.me protonmail.com"
    )
)


# Inside an e-mail address only invisible characters (folded to a soft hyphen); spaces belong to
# "at" and "dot".
_EMAIL_GAP = "\xad{0,2}"


def _email_part(value: str) -> str:
    return _DOT.join(_EMAIL_GAP.join(re.escape(char) for char in part) for part in value.split("."))


def _email_rules(email: str) -> list[_Rule]:
    folded = _fold(email).lower()
    local, at, domain = folded.rpartition("@")
    if not at or not local or "." not in domain:
        return []
    local_pattern, domain_pattern = _email_part(local), _email_part(domain)
    patterns = [rf"(?<![A-Za-z0-9._%+-]){local_pattern}{_AT}{domain_pattern}(?![A-Za-z0-9-])"]
    # The local part alone is the person's handle (often also their QQ number or WeChat id).
    if len(local) >= 5 and local not in _GENERIC_LOCAL_PARTS:
        patterns.append(rf"(?<![A-Za-z0-9]){local_pattern}(?![A-Za-z0-9])")
    # An enterprise's own domain names the enterprise; a mail provider's or a government's does not.
    own_domain = domain not in _PUBLIC_MAIL_DOMAINS and not domain.endswith((".gov.cn", ".edu.cn"))
    if own_domain and len(domain.split(".")[0]) >= 3:
        patterns.append(rf"(?<![A-Za-z0-9-]){domain_pattern}(?![A-Za-z0-9-])")
    # Every pattern above holds the local part's or the domain's first label as written (only
    # soft hyphens inside, which the probe drops).
    needles = (local.split(".")[0], domain.split(".")[0])
    pattern = _LazyPattern("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    return [_Rule("email", pattern, needles=needles if all(needles) else ())]


# --- The complainant's enterprise ------------------------------------------------------------

# --- The complainant's enterprise ------------------------------------------------------------

_LEGAL_FORMS = sorted(
    _words(
        "集团股份有限公司 集团有限公司 股份有限公司 有限责任公司 有限公司 集团公司 股份公司 分公司 子公司 "
        "公司 有限合伙 普通合伙 合伙企业 个人独资企业 独资企业 专业合作社 合作社 经营部 门市部 营业部 "
        "服务部 工作室 事务所 集团 股份 工厂 总厂 分厂 厂 商行 商店 门店 店"
    ),
    key=len,
    reverse=True,
)
# The line of business between the trade name and the legal form (华兴|机械制造|有限公司).
_INDUSTRY_WORDS = sorted(
    _words(
        "机械 制造 科技 贸易 商贸 实业 电子 信息 技术 网络 软件 建筑 工程 建设 装饰 装修 房地产 地产 开发 "
        "置业 物业 管理 服务 咨询 投资 控股 发展 文化 传媒 广告 餐饮 食品 农业 生物 医药 化工 材料 新材料 "
        "能源 新能源 环保 物流 运输 汽车 服装 纺织 印染 家具 包装 塑料 五金 电器 机电 设备 仪器 光电 通信 "
        "教育 培训 旅游 酒店 饭店 健康 医疗 器械 精密 模具 铸造 钢铁 金属 矿业 石化 电力 水务 燃气 供应链 "
        "进出口 国际 智能 自动化 数字 数据 电商 电子商务 商务 劳务 人力资源 家政 保洁 安防 消防 印刷 陶瓷 "
        "建材 门窗 照明 家居 日用品 百货 超市 连锁 药房 药业 制药 酒业 茶业 农产品 养殖 种植 水产 畜牧 "
        "园林 绿化 市政 交通 设计 规划 测绘 检测 认证 租赁 金融 保险 担保 典当 拍卖 会展 影视 娱乐 体育 "
        "美容 美发 汽修 维修 装备 重工 轻工 纸业 木业 石材 玻璃 橡胶 电缆 线缆 电池 光伏 半导体 集成电路 "
        "加工 销售 经营 生产 制品 用品 产品 工贸 工业 商业 企业 经贸 机器 电气 钢结构 混凝土 水泥 化学 "
        "医疗器械 环境 节能 网络科技 信息技术 工程技术 贸易发展"
    ),
    key=len,
    reverse=True,
)
_PLACE_NAMES = sorted(
    _words(
        "中华人民共和国 中国 北京 上海 天津 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 "
        "河南 湖北 湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 "
        "杭州 南京 广州 深圳 成都 武汉 西安 郑州 济南 青岛 长沙 合肥 福州 厦门 南昌 昆明 贵阳 南宁 海口 "
        "太原 石家庄 沈阳 大连 长春 哈尔滨 呼和浩特 兰州 西宁 银川 乌鲁木齐 拉萨 苏州 无锡 宁波 温州 东莞 "
        "佛山 常州 徐州 南通 绍兴 嘉兴 金华 台州 泉州 烟台 潍坊 唐山 保定"
    ),
    key=len,
    reverse=True,
)
_PLACE_PREFIX = re.compile(
    r"^[\u4e00-\u9fff]{1,7}?(?:特别行政区|自治区|自治州|自治县|地区|街道|省|市|盟|区|县|旗|镇|乡)"
)
# A place suffix that starts a word with what follows is not a place: 华兴市场 is not 华兴市 + 场.
_PLACE_WORD_STARTS = frozenset(
    _words(
        "市场 市政 市民 市区 市级 市容 市值 市面 市县 区域 区块 区间 区级 县城 县级 省级 省内 省外 省会 "
        "镇上 乡村 乡镇 旗舰 街道 盟友"
    )
)
# Two characters common enough in complaints that a trade name equal to them would redact text.
_COMMON_WORDS = frozenset(
    _words(
        "中国 中华 国家 全国 人民 公共 东方 北方 南方 西部 东部 长城 黄河 长江 新华 华夏 天下 世纪 未来 和谐 "
        "幸福 美好 优质 诚信 信用 全球 环球 天地 大众 联合 合作 第一 现代 时代 绿色 蓝天 明天 今天 一流 正大 "
        "城市 社会 经济 市场 政府 部门 单位 工作 生活 安全 平安 太平 和平 希望 创新 科学 文明 先进 红星 胜利 "
        "光明 前进 团结 友谊 阳光 宏大 大华 中心 综合 总部 某某 本地 当地 区域 地方 兴旺 发达 利民 便民 惠民"
    )
)
# A form made only of these has no trade name in it: 杭州科技, 机械制造, 有限.
_NO_TRADE_NAME = re.compile(
    "(?:"
    + "|".join(
        re.escape(word)
        for word in sorted(
            {*_LEGAL_FORMS, *_INDUSTRY_WORDS, *_PLACE_NAMES, "有限", "责任"}, key=len, reverse=True
        )
    )
    + "|[省市区县镇乡旗])+"
)
_PLACE_SUFFIX = re.compile(r"(?:特别行政区|自治区|自治州|自治县|地区|省|市|区|县)?")
_LATIN_LEGAL_FORM = re.compile(
    r"[\s,.]*(?:co\.?\s*,?\s*ltd|company\s+limited|limited|ltd|inc|incorporated|corp|corporation|llc|gmbh"
    r"|group|co|company)\.?$",
    re.IGNORECASE,
)
_LATIN_GENERIC = frozenset(
    _words(
        "china chinese machinery technology technologies tech trading trade industrial industry industries "
        "manufacturing electronics international holdings holding development investment consulting "
        "services service logistics engineering construction group company limited"
    )
)


# An anonymous complaint has no identity row, but "本公司宁波澜屿精工有限公司" names its
# complainant all the same: a full legal name right after the writer's "our company". The name
# may not run over words that end it (被, 去, 的 …), so "我公司被要求去某检测有限公司检测"
# keeps the intermediary the complaint is about.
_SELF = r"(?:本|我|我们|我方)(?:公司|司|厂|单位|企业|店|合作社)"
_NAME_CHAR = r"[^\W\d_被去到在向对把给让从的了和与及或也都又就还说因但而并且将已曾要求等]"
_SELF_NAMED_ENTERPRISE = _Rule(
    "enterprise",
    re.compile(
        rf"{_SELF}(?:[:(]|即|是|系|为|名为|叫|全称)?\s{{0,2}}"
        rf"(?P<v>{_NAME_CHAR}{{2,20}}?(?:{'|'.join(map(re.escape, _LEGAL_FORMS))}))"
    ),
)
_GENERIC_RULES = (*_build_generic_rules(), _SELF_NAMED_ENTERPRISE)


def self_named_enterprises(text: str) -> list[str]:
    """The enterprises a text names as the writer's own ("本公司X有限公司"), in order: what an
    intake that has only a text (an e-mail) records as the complainant's enterprise, so that its
    short names are redacted too. An enterprise the text complains about is not among them."""
    return [found.group("v") for found in _SELF_NAMED_ENTERPRISE.pattern.finditer(text or "")]


def _strip_suffixes(candidate: str) -> Iterable[str]:
    for form in _LEGAL_FORMS:
        if candidate.endswith(form) and len(candidate) > len(form):
            yield candidate[: -len(form)]
            break
    for word in _INDUSTRY_WORDS:
        if candidate.endswith(word) and len(candidate) > len(word):
            yield candidate[: -len(word)]
    # A legal form inside the name: 华兴有限公司杭州分公司 is also 华兴有限公司 and 华兴.
    for form in ("有限公司", "公司", "集团"):
        index = candidate.find(form)
        if index > 0 and index + len(form) < len(candidate):
            yield candidate[: index + len(form)]
            yield candidate[:index]


def _strip_prefixes(candidate: str) -> Iterable[str]:
    for place in _PLACE_NAMES:
        if candidate.startswith(place):
            # With its 省/市 if it has one: 杭州市华兴 → 华兴, not 市华兴.
            end = _PLACE_SUFFIX.match(candidate, len(place)).end()
            if end < len(candidate):
                yield candidate[end:]
            break
    match = _PLACE_PREFIX.match(candidate)
    if match and match.end() < len(candidate):
        rest = candidate[match.end() :]
        if candidate[match.end() - 1] + rest[0] not in _PLACE_WORD_STARTS:
            yield rest


def _acceptable_enterprise_form(form: str) -> bool:
    cjk = sum(_is_cjk(char) for char in form)
    if cjk == 0:
        letters = re.sub(r"[^A-Za-z]", "", form)
        return len(letters) >= 4 and letters.lower() not in _LATIN_GENERIC
    # A short form must keep a trade name and not be an ordinary word on its own (阳光 alone is
    # sunshine; 阳光科技 is an enterprise), nor start with the tail of a place (市华兴).
    return (
        cjk >= 2
        and form not in _COMMON_WORDS
        and form[0] not in "省市区县镇乡旗盟"
        and not _NO_TRADE_NAME.fullmatch(form)
    )


def enterprise_short_forms(enterprise_name: str) -> list[str]:
    """The enterprise's name and the shorter names people use for it, longest first:
    "某某市华兴机械制造有限公司" → …, "华兴机械制造", "华兴机械", "华兴". Forms that are only
    places, legal forms, lines of business or common words are left out."""
    folded = _fold(enterprise_name)
    if not folded:
        return []
    if not any(_is_cjk(char) for char in folded):
        return _latin_enterprise_forms(folded)
    start = _squeeze(folded)
    without_brackets = re.sub(r"[(（\[【][^()（）\[\]【】]*[)）\]】]", "", start)
    seen: set[str] = set()
    todo = [start, without_brackets]
    while todo:
        candidate = todo.pop()
        if candidate in seen or not candidate:
            continue
        seen.add(candidate)
        todo.extend(_strip_suffixes(candidate))
        todo.extend(_strip_prefixes(candidate))
    # The registered name itself always identifies, however generic its words.
    forms = {form for form in seen if _acceptable_enterprise_form(form)}
    forms |= {name for name in (start, without_brackets) if sum(_is_cjk(char) for char in name) >= 2}
    return sorted(forms, key=lambda f: (-len(f), f))


def _latin_enterprise_forms(folded: str) -> list[str]:
    forms = {folded}
    current = folded
    while True:
        shorter = _LATIN_LEGAL_FORM.sub("", current).strip(" ,.")
        if shorter == current or not shorter:
            break
        forms.add(current := shorter)
    words = current.split()
    while len(words) > 1 and words[-1].lower() in _LATIN_GENERIC:
        words.pop()
        forms.add(" ".join(words))
    return sorted((form for form in forms if _acceptable_enterprise_form(form)), key=lambda f: (-len(f), f))


def _enterprise_rules(enterprise_name: str) -> list[_Rule]:
    forms = [_squeeze(form) for form in enterprise_short_forms(enterprise_name)]
    if not forms:
        return []
    # 华兴公司, 华兴厂: a short name with a legal form that is not in the registered name.
    pattern = f"(?:{_alternatives(forms)})(?:{_alternatives(_LEGAL_FORMS)})?"
    return [
        _Rule(
            "enterprise",
            _LazyPattern(pattern, re.IGNORECASE),
            "squeezed",
            _not_within_a_word,
            needles=tuple(form.lower() for form in forms),
        )
    ]


# --- The complainant's credit code -----------------------------------------------------------


def _credit_code_rules(credit_code: str) -> list[_Rule]:
    code = _squeeze(normalize_credit_code(credit_code), _ALNUM_KEEP).upper()
    if len(code) < 6:
        return []
    if len(code) != 18:
        return [_Rule("credit_code", re.compile(re.escape(code), re.IGNORECASE), "alnum", _code_check(3))]
    return [
        # A code split in parts may have a few words between them ("前半段911100008，后半段
        # 02100433B"): eighteen given characters in order do not happen by chance.
        _Rule("credit_code", re.compile(code, re.IGNORECASE), "alnum", _code_check(12)),
        # The old organisation code inside it: 80210043-3.
        _Rule("credit_code", re.compile(code[8:17], re.IGNORECASE), "alnum", _code_check(3)),
    ]


# --- One identity's rules, built once ---------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _identity_rules(values: tuple[str, ...]) -> tuple[_Rule, ...]:
    # Cached on the values, so a run with thousands of items compiles each complainant once.
    contact_name, phone, email, enterprise_name, credit_code = values
    return (
        *_name_rules(contact_name),
        *_phone_rules(phone),
        *_email_rules(email),
        *_enterprise_rules(enterprise_name),
        *_credit_code_rules(credit_code),
    )


def _as_identities(identity) -> list:
    if identity is None:
        return []
    if isinstance(identity, Iterable) and not isinstance(identity, (str, bytes)):
        return [one for one in identity if one is not None]
    return [identity]


def _rules_for(identity) -> tuple[_Rule, ...]:
    rules = list(_GENERIC_RULES)
    for one in _as_identities(identity):
        values = tuple((getattr(one, name, "") or "").strip() for name in IDENTITY_FIELDS)
        rules.extend(_identity_rules(values))
    return tuple(rules)


# --- The centre's own public contacts --------------------------------------------------------


def _canonical(scheme: str, value: str) -> str:
    if scheme == "phone":
        digits = _digits(value)
        if digits.startswith("0086"):
            digits = digits[4:]
        elif digits.startswith("86") and len(digits) >= 12:
            digits = digits[2:]
        return digits.lstrip("0")
    if scheme == "email":
        return re.sub(r"\s", "", _DOT_RE.sub(".", _AT_RE.sub("@", value))).lower()
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


_SCHEME = {"any_phone": "phone", "any_email": "email", "any_credit_code": "code", "id_number": "code"}


@functools.lru_cache(maxsize=8)
def _allowed(entries: tuple[str, ...]) -> frozenset[tuple[str, str]]:
    return frozenset(
        (scheme, _canonical(scheme, _fold(entry)))
        for entry in entries
        for scheme in ("phone", "email", "code")
    )


def _allowed_entries() -> frozenset[tuple[str, str]]:
    # The centre's hotline and public address appear in texts on purpose; they identify nobody.
    return _allowed(tuple(getattr(settings, "IDENTITY_CHECK_ALLOWED", ()) or ()))


# --- The recogniser ----------------------------------------------------------------------------


class _Span(NamedTuple):
    start: int
    end: int
    kind: str


# Which kind names a merged span: the complainant's own before a generic one, then the longest.
_RANK = {kind: (info.generic, _KIND_ORDER[kind]) for kind, info in _KINDS.items()}


def _probe(view: _View, name: str, probes: dict[str, str]) -> str:
    """The view's haystack as needles are looked for in it: lower case, without soft hyphens."""
    if name not in probes:
        probes[name] = view.haystack(name)[0].replace("\xad", "").lower()
    return probes[name]


def _candidates(view: _View, rules: tuple[_Rule, ...]) -> list[tuple[int, int, str]]:
    allowed = None
    found = []
    probes: dict[str, str] = {}
    for rule in rules:
        if rule.needles:
            probe = _probe(view, rule.view, probes)
            if not any(needle in probe for needle in rule.needles):
                continue
        haystack, positions = view.haystack(rule.view)
        has_group = "v" in rule.pattern.groupindex
        generic = _KINDS[rule.kind].generic
        for match in rule.pattern.finditer(haystack):
            start, end = match.span("v" if has_group else 0)
            if start == end:
                continue
            matched_positions = None
            if positions is not None:
                matched_positions = positions[start:end]
                start, end = matched_positions[0], matched_positions[-1] + 1
            if rule.check and not rule.check(view, start, end, matched_positions):
                continue
            if (
                rule.view == "squeezed_digits"
                and start
                and view.text[start - 1] == "("
                and ")" in view.text[start:end]
            ):
                start -= 1  # "(0571)8888 6666": the bracket squeezed out goes with its number
            if generic:
                allowed = _allowed_entries() if allowed is None else allowed
                scheme = _SCHEME[rule.kind]
                if (scheme, _canonical(scheme, view.digits[start:end])) in allowed:
                    continue
            found.append((start, end, rule.kind))
    return found


def _recognise(text: str, rules: tuple[_Rule, ...]) -> list[_Span]:
    """Non-overlapping spans of the original text that identify someone, each with the kind
    that names it: overlapping matches are merged (nothing of either survives) and named by
    the complainant's own kind before a generic one, then by the longest match."""
    if not text:
        return []
    view = _View(text)
    merged: list[list] = []  # [start, end, best rank, kind]
    for start, end, kind in sorted(_candidates(view, rules)):
        generic, order = _RANK[kind]
        rank = (generic, start - end, order)
        if merged and start < merged[-1][1]:
            current = merged[-1]
            current[1] = max(current[1], end)
            if rank < current[2]:
                current[2], current[3] = rank, kind
        else:
            merged.append([start, end, rank, kind])
    origin = view.origin
    if origin is None:
        return [_Span(start, end, kind) for start, end, _rank, kind in merged]
    return [_Span(origin[start], origin[end - 1] + 1, kind) for start, end, _rank, kind in merged]


# A replacement can bring together what was apart (a name split around a removed number): look
# again until nothing is found. Real texts are clean after the second look.
_MAX_PASSES = 4


def redact_text(text: str, identity=None) -> str:
    """Remove from free text the complainant's identity however it is written (see the module
    docstring) and any phone number, e-mail address, ID card or credit code of anyone, each
    replaced by a placeholder (〔投诉人〕, 〔电话〕 …); everything else is left as it was.

    ``identity`` is one ComplainantIdentity, an iterable of them (a case with merged
    complaints) or None (anonymous: only the patterns that identify anybody). Staff still
    preview what is released; this is the automatic first pass.
    """
    if not text:
        return text
    rules = _rules_for(identity)
    for _pass in range(_MAX_PASSES):
        spans = _recognise(text, rules)
        if not spans:
            break
        parts, position = [], 0
        for span in spans:
            parts.append(text[position : span.start])
            parts.append(_KINDS[span.kind].placeholder)
            position = span.end
        parts.append(text[position:])
        text = "".join(parts)
    return text


# --- The identity check on department-bound and public texts ---------------------------------


def identity_findings(text: str, identity=None) -> list[str]:
    """What in ``text`` still identifies a complainant: translated labels, each once, in a fixed
    order (e.g. "the complainant's phone number", "an ID card number"). ``identity`` is one
    ComplainantIdentity, an iterable of them (a case with merged complaints) or None
    (anonymous: only the patterns any identity has are looked for). Empty means clean, and
    ``redact_text`` would leave the text as it is."""
    kinds = {span.kind for span in _recognise(text, _rules_for(identity))}
    return [str(kind.label) for name, kind in _KINDS.items() if name in kinds]


def identity_validate(text: str, identity=None, *, field: str | None = None) -> None:
    """Raise ValidationError (code ``identity_in_text``) when ``text`` still identifies a
    complainant; ``field`` names the form field the error belongs to."""
    found = identity_findings(text, identity)
    if not found:
        return
    error = ValidationError(
        _("This text still identifies the complainant (%(found)s). Remove it before it is sent.")
        % {"found": "、".join(found)},
        code="identity_in_text",
    )
    raise ValidationError({field: [error]}) if field else error
