"""The security battery's shared parts: canary identities and the ways they are written, the
needles searched for, the normalised views of a haystack, text out of responses, e-mails and
workbooks, the URL conf walked into routes, and the figures the battery prints at the end.

Everything the battery's note quotes is data here: ``CANARIES`` (who), ``WRITTEN_FORMS`` (how the
complaints write them), ``NEEDLES`` (what is searched for) and ``SURFACES`` (where).
"""

from __future__ import annotations

import email.message
import html
import io
import json
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import openpyxl
from django.urls import URLResolver, get_resolver, reverse

from core.validators import credit_code_check_character, organization_code_check_character

# --- Canary identities ------------------------------------------------------------------------


def credit_code(division: str, organization_body: str) -> str:
    """A valid unified social credit code (GB 32100) for an enterprise (91…) in ``division``."""
    first = "91" + division + organization_body + organization_code_check_character(organization_body)
    return first + credit_code_check_character(first)


def id_card_number(first17: str) -> str:
    """A resident ID number with its GB 11643 check character."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


@dataclass(frozen=True)
class Canary:
    key: str
    anonymous: bool
    contact_name: str
    surname_title: str
    phone: str
    email: str
    enterprise_name: str
    enterprise_short: str
    enterprise_core: str  # CJK characters found in no other name of the test data
    credit_code: str
    id_number: str

    @property
    def email_local(self) -> str:
        return self.email.split("@")[0]


REAL = Canary(
    key="real-name",
    anonymous=False,
    contact_name="甄珂蕾",
    surname_title="甄总",
    phone="13907318264",
    email="zklcanary@example.com",
    enterprise_name="杭州翠鸾织造有限公司",
    enterprise_short="翠鸾织造",
    enterprise_core="翠鸾织",
    credit_code=credit_code("330106", "MA2H7K3Q"),
    id_number=id_card_number("33010619880315123"),  # check character X
)
# Anonymous: the form keeps nothing about who it is, but the description writes it out. Only what
# a recogniser can know without an identity row is written: numbers, e-mail and the full name of
# the enterprise (its "有限公司" says what it is). A bare personal name in an anonymous text cannot
# be told from any other name, so none is written.
ANONYMOUS = Canary(
    key="anonymous",
    anonymous=True,
    contact_name="",
    surname_title="",
    phone="15867392041",
    email="lyjgcanary@example.org",
    enterprise_name="宁波澜屿精工有限公司",
    enterprise_short="",
    enterprise_core="澜屿精",
    credit_code=credit_code("330203", "MA2J8P5W"),
    id_number=id_card_number("33020319910722456"),
)
CANARIES = (REAL, ANONYMOUS)


def _fullwidth(digits: str) -> str:
    return "".join(chr(ord(d) + 0xFEE0) for d in digits)


def _dashed(phone: str) -> str:
    return f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"


def _split(code: str) -> str:
    return f"{code[:9]} {code[9:]}"


# (canary, form, text): every way the complaints write the identity, each in a sentence of its own.
WRITTEN_FORMS: list[tuple[Canary, str, str]] = [
    (REAL, "exact name", f"联系人{REAL.contact_name}。"),
    (REAL, "name with a space", f"我是{REAL.contact_name[0]} {REAL.contact_name[1:]},"),
    (REAL, "name split by punctuation", f"签名:{REAL.contact_name[0]}·{REAL.contact_name[1:]}。"),
    (REAL, "name split by a zero-width space", f"落款{REAL.contact_name[0]}\u200b{REAL.contact_name[1:]}。"),
    (REAL, "surname + title", f"员工都叫我{REAL.surname_title}。"),
    (REAL, "exact phone", f"电话{REAL.phone}。"),
    (REAL, "phone's last 8 digits", f"有事打我手机尾号{REAL.phone[-8:]}。"),
    (REAL, "full-width digits", f"或者拨{_fullwidth(REAL.phone)}。"),
    (REAL, "phone with separators", f"也可以打{_dashed(REAL.phone)}。"),
    (REAL, "phone with spaces", f"或{_dashed(REAL.phone).replace('-', ' ')}。"),
    (REAL, "exact e-mail", f"邮箱{REAL.email}。"),
    (REAL, "e-mail with 'at'", f"邮箱写作{REAL.email_local} at example.com,"),
    (REAL, "e-mail with full-width ＠", f"也就是{REAL.email_local}＠example．com,"),
    (REAL, "e-mail with [at]", f"或{REAL.email_local}[at]example[dot]com。"),
    (REAL, "e-mail with (at)", f"备用{REAL.email_local}(at)example(dot)com。"),
    (REAL, "exact enterprise", f"本公司{REAL.enterprise_name}。"),
    (REAL, "enterprise short name", f"{REAL.enterprise_short}在本地经营十年,"),
    (REAL, "exact credit code", f"信用代码{REAL.credit_code}。"),
    (REAL, "credit code split in two", f"统一社会信用代码 {_split(REAL.credit_code)},"),
    (REAL, "ID card number", f"法定代表人身份证号{REAL.id_number}。"),
    (ANONYMOUS, "exact enterprise", f"本公司{ANONYMOUS.enterprise_name}多次被重复检查,"),
    (ANONYMOUS, "full-width digits", f"联系电话{_fullwidth(ANONYMOUS.phone)},"),
    (ANONYMOUS, "phone with separators", f"或{_dashed(ANONYMOUS.phone)},"),
    (ANONYMOUS, "phone's last 8 digits", f"手机尾号{ANONYMOUS.phone[-8:]},"),
    (ANONYMOUS, "e-mail with 'at'", f"邮箱{ANONYMOUS.email_local} at example.org,"),
    (ANONYMOUS, "e-mail with full-width ＠", f"即{ANONYMOUS.email_local}＠example．org,"),
    (ANONYMOUS, "credit code split in two", f"信用代码{_split(ANONYMOUS.credit_code)},"),
    (ANONYMOUS, "ID card number", f"经办人身份证号{ANONYMOUS.id_number}。"),
]

_GRIEVANCE = "市场监管所执法人员以检查为名多次上门索要好处,被拒绝后对企业罚款两万元且不出具任何依据。"


def complaint_texts(canary: Canary) -> tuple[str, str]:
    """(description, desired outcome) of a canary complaint: the grievance and the written forms,
    the first half in the description, the rest in the outcome wanted."""
    forms = [text for owner, _form, text in WRITTEN_FORMS if owner is canary]
    half = (len(forms) + 1) // 2
    return _GRIEVANCE + "".join(forms[:half]), "退还罚款并书面答复。" + "".join(forms[half:])


# --- Needles and haystacks ----------------------------------------------------------------------

TEXT, DIGITS = "text", "digits"


@dataclass(frozen=True)
class Needle:
    canary: str
    key: str
    value: str  # already normalised for its view
    view: str


def _normalised(text: str) -> str:
    # NFKC folds full-width forms; casefold; then drop everything that is not a letter or a digit
    # (spaces, punctuation, symbols such as ＠ and ·, zero-width and other format characters).
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


# Separators people put between digits; at most three in a row, so that numbers in different
# table cells or lines do not run together into one long number.
_BETWEEN_DIGITS = re.compile(r"(?<=\d)[ \u00a0\u3000\-‐‑–—.·・/()]{1,3}(?=\d)")


def _digit_runs(text: str) -> str:
    text = _BETWEEN_DIGITS.sub("", unicodedata.normalize("NFKC", text))
    return "|".join(re.findall(r"\d+", text))


def needles_of(canary: Canary) -> list[Needle]:
    values = [
        ("name", canary.contact_name, TEXT),
        ("surname + title", canary.surname_title, TEXT),
        ("phone's last 7 digits", canary.phone[-7:], DIGITS),
        ("e-mail local part", canary.email_local, TEXT),
        ("enterprise core", canary.enterprise_core, TEXT),
        ("credit code", canary.credit_code, TEXT),
        ("ID card number", canary.id_number, TEXT),
    ]
    return [
        Needle(canary.key, key, _normalised(value) if view == TEXT else value, view)
        for key, value, view in values
        if value
    ]


NEEDLES: list[Needle] = [needle for canary in CANARIES for needle in needles_of(canary)]


@dataclass(frozen=True)
class Hit:
    needle: Needle
    where: str
    context: str

    def __str__(self) -> str:
        return f"{self.needle.canary}/{self.needle.key} in {self.where}: …{self.context}…"


class Haystack:
    """One searched text in its two normalised views."""

    def __init__(self, where: str, text: str):
        self.where = where
        self.text = _normalised(text)
        self.digits = _digit_runs(text)

    def hits(self, needles: Iterable[Needle] = NEEDLES) -> list[Hit]:
        found = []
        for needle in needles:
            view = self.text if needle.view == TEXT else self.digits
            at = view.find(needle.value)
            if at >= 0:
                found.append(Hit(needle, self.where, view[max(0, at - 25) : at + len(needle.value) + 25]))
        return found


# --- Text out of what the portal answers and sends ----------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_text(content: bytes) -> str:
    """Every cell of every sheet (openpyxl), and every XML part of the package as text (shared
    strings, comments, document properties): a workbook hides text in more places than cells."""
    parts = []
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    for sheet in book.worksheets:
        parts.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            parts.extend(str(value) for value in row if value is not None)
    book.close()
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        for name in package.namelist():
            if name.endswith((".xml", ".rels")):
                parts.append(
                    html.unescape(re.sub(r"<[^>]+>", " ", package.read(name).decode("utf-8", "replace")))
                )
    return "\n".join(parts)


def response_content(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def response_text(response) -> str:
    """A response as text: workbooks opened, JSON with its escapes undone, HTML entities decoded."""
    content = response_content(response)
    content_type = response.get("Content-Type", "")
    if content.startswith(b"PK") and ("spreadsheet" in content_type or "octet-stream" in content_type):
        return workbook_text(content)
    text = content.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            return text
    return html.unescape(text)


def message_texts(message: email.message.EmailMessage) -> Iterator[tuple[str, str]]:
    """(part, text) of an e-mail: headers, each text part, each attachment (workbooks opened)."""
    yield "headers", "\n".join(f"{name}: {value}" for name, value in message.items())
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename() or ""
        payload = part.get_payload(decode=True) or b""
        if filename.endswith(".xlsx") or payload.startswith(b"PK"):
            yield f"attachment {filename}", filename + "\n" + workbook_text(payload)
        elif part.get_content_maintype() == "text":
            charset = part.get_content_charset() or "utf-8"
            yield part.get_content_type(), html.unescape(payload.decode(charset, "replace"))
        else:
            yield f"attachment {filename}", filename


def prefilled_released_text(client, case) -> str:
    """The released text the staff workplace prefills in the referral form (from redaction)."""
    response = client.get(reverse("admin:casework_case_action", args=[case.pk, "refer"]))
    assert response.status_code == 200, response.content.decode()[:2000]
    match = re.search(
        r'<textarea name="released_text"[^>]*>(.*?)</textarea>', response.content.decode(), re.S
    )
    assert match, "the referral form has no released_text field"
    return html.unescape(match.group(1)).strip()


# --- The URL conf as data -----------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # namespaced: "department_portal:referral", "admin:casework_case_change"
    route: str  # the pattern as written, prefixes joined: "dept/referrals/<int:pk>/"
    params: tuple[str, ...]
    callback: object

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")


def _params_of(pattern) -> tuple[str, ...]:
    converters = getattr(pattern.pattern, "converters", None)
    if converters:
        return tuple(converters)
    regex = getattr(pattern.pattern, "regex", None)
    return tuple(regex.groupindex) if regex is not None else ()


def url_routes() -> list[Route]:
    """Every named URL pattern of the project, with its parameters, walked from the URL conf."""
    routes: list[Route] = []

    def walk(resolver, prefix: str, namespace: str, params: tuple[str, ...]) -> None:
        for entry in resolver.url_patterns:
            text = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry, text, inner, params + _params_of(entry))
            elif entry.name:
                routes.append(Route(namespace + entry.name, text, params + _params_of(entry), entry.callback))

    walk(get_resolver(), "", "", ())
    return routes


def admin_model_of(callback):
    """The ModelAdmin behind an admin URL's view: Django marks its own views with ``model_admin``;
    a custom view wrapped by ``admin_site.admin_view`` wraps a bound method of the ModelAdmin."""
    view = callback
    while view is not None:
        model_admin = getattr(view, "model_admin", None)
        if model_admin is not None:
            return model_admin
        owner = getattr(view, "__self__", None)
        if owner is not None and hasattr(owner, "model") and hasattr(owner, "admin_site"):
            return owner
        view = getattr(view, "__wrapped__", None)
    return None


# --- The figures the battery prints -------------------------------------------------------------


@dataclass
class SurfaceResult:
    searched: int = 0
    hits: list[Hit] = field(default_factory=list)


@dataclass
class Figures:
    canary: dict[str, SurfaceResult] = field(default_factory=dict)
    idor: dict[str, dict[str, int]] = field(default_factory=dict)
    idor_findings: list[str] = field(default_factory=list)
    schemathesis: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    schemathesis_findings: list[str] = field(default_factory=list)
    browser_pages: list[str] = field(default_factory=list)
    browser_findings: list[str] = field(default_factory=list)

    def surface(self, name: str) -> SurfaceResult:
        return self.canary.setdefault(name, SurfaceResult())

    def lines(self) -> list[str]:
        out = []
        if self.canary:
            forms = len(WRITTEN_FORMS)
            total = sum(len(result.hits) for result in self.canary.values())
            searched = sum(result.searched for result in self.canary.values())
            out.append(
                f"canaries: {len(CANARIES)} complaints, {forms} written forms, {len(NEEDLES)} needles × "
                f"{len(self.canary)} surfaces ({searched} texts searched): {total} hits"
            )
            for name, result in self.canary.items():
                needles = sorted({f"{hit.needle.canary}/{hit.needle.key}" for hit in result.hits})
                out.append(
                    f"  {name}: {result.searched} texts, {len(result.hits)} hits"
                    + (f" ({', '.join(needles)})" if needles else "")
                )
        if self.idor:
            attempts = sum(row["attempts"] for row in self.idor.values())
            leaks = sum(row["leaks"] for row in self.idor.values())
            errors = sum(row["5xx"] for row in self.idor.values())
            out.append(
                f"IDOR: {len(self.idor)} URL patterns with an object id, {attempts} attempts: "
                f"{leaks} leaks, {errors} 5xx"
            )
            out += [f"  {finding}" for finding in self.idor_findings[:40]]
        if self.schemathesis:
            for role, row in sorted(self.schemathesis.items()):
                out.append(
                    f"schemathesis ({role}): {row['operations']} operations, {row['cases']} cases: "
                    f"{row['5xx']} 5xx, {row['schema']} schema violations, "
                    f"{row['status']} undocumented statuses"
                )
            out += [f"  {finding}" for finding in self.schemathesis_findings[:40]]
        if self.browser_pages:
            out.append(
                f"browser: {len(self.browser_pages)} staff and department pages opened with the script "
                f"complaint: {len(self.browser_findings)} findings"
            )
            out += [f"  {finding}" for finding in self.browser_findings[:40]]
        return out


FIGURES = Figures()
