"""Proof of work: the Python side, and the browser script checked against it in Chromium."""

import email.policy
import hashlib
import re
import time
from email.parser import BytesParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import translation

from complaints import pow as pow_mod
from complaints.pow import (
    pow_challenge_difficulty,
    pow_challenge_issue,
    pow_leading_zero_bits,
    pow_solve,
    pow_verify,
)

POW_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "pow.js"

# pow_verify reads the single-use marks made in the database while the cache was down.
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pow_settings(settings):
    settings.INTAKE_POW_ENABLED = True
    settings.INTAKE_POW_DIFFICULTY = 8
    return settings


def _code(challenge, nonce):
    with pytest.raises(ValidationError) as exc:
        pow_verify(challenge, nonce)
    return exc.value.code


def _zero_bits(challenge, nonce):
    return pow_leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest())


def _failing_nonce(challenge, below):
    """The smallest nonce whose hash has fewer than `below` leading zero bits."""
    return next(str(n) for n in range(10_000) if _zero_bits(challenge, n) < below)


def _issued_at(monkeypatch, when):
    """A challenge whose signature timestamp is `when`, leaving the global clock alone."""
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: when))
    challenge = pow_challenge_issue()
    monkeypatch.setattr(signing, "time", time)
    return challenge


# --- Python ----------------------------------------------------------------------------


def test_leading_zero_bits():
    assert pow_leading_zero_bits(b"\x80" + b"\x00" * 31) == 0
    assert pow_leading_zero_bits(b"\x01" + b"\xff" * 31) == 7
    assert pow_leading_zero_bits(b"\x00\x00\x0f" + b"\xff" * 29) == 20
    assert pow_leading_zero_bits(b"\x00" * 32) == 256
    assert pow_leading_zero_bits(b"") == 0


def test_challenge_is_ascii_attribute_safe_and_unique():
    challenges = {pow_challenge_issue() for _ in range(50)}
    assert len(challenges) == 50
    for challenge in challenges:
        assert re.fullmatch(r"[A-Za-z0-9_:-]+", challenge), challenge
        assert len(challenge) < 200
        assert pow_challenge_difficulty(challenge) == 8


def test_solved_challenge_verifies():
    cache.clear()
    challenge = pow_challenge_issue()
    nonce = pow_solve(challenge)
    assert re.fullmatch(r"[0-9]+", nonce)
    assert _zero_bits(challenge, nonce) >= 8
    pow_verify(challenge, nonce)


def test_wrong_nonce_fails_and_does_not_use_up_the_challenge():
    cache.clear()
    challenge = pow_challenge_issue()
    assert _code(challenge, _failing_nonce(challenge, 8)) == "pow_insufficient"
    pow_verify(challenge, pow_solve(challenge))


@pytest.mark.parametrize("nonce", ["abc", "-1", "1.5", " 12", "12 ", "１２", "1" * 13, "0x1f"])
def test_malformed_nonce_fails(nonce):
    assert _code(pow_challenge_issue(), nonce) == "pow_nonce_invalid"


def test_missing_fields_fail():
    challenge = pow_challenge_issue()
    assert _code(challenge, "") == "pow_missing"
    assert _code("", "123") == "pow_missing"
    assert _code(None, None) == "pow_missing"


def test_tampered_challenge_fails():
    challenge = pow_challenge_issue()
    nonce = pow_solve(challenge)
    body, stamp, signature = challenge.split(":")
    flipped = signature[:-3] + ("A" if signature[-3] != "A" else "B") + signature[-2:]
    assert _code(f"{body}:{stamp}:{flipped}", nonce) == "pow_invalid"
    # An easier difficulty written into the payload is caught by the signature.
    forged_body = signing.b64_encode(b'{"s":"' + b"0" * 32 + b'","d":0}').decode()
    assert _code(f"{forged_body}:{stamp}:{signature}", "0") == "pow_invalid"
    # Signed with another salt (another use of signing in the project).
    other = signing.dumps({"s": "0" * 32, "d": 0}, salt="something.else")
    assert _code(other, "0") == "pow_invalid"
    for junk in ["x", "a:b:c", "<script>", challenge + "x", "中文", "A" * 5000]:
        assert _code(junk, "1") == "pow_invalid"


def test_expired_challenge_fails(monkeypatch):
    challenge = _issued_at(monkeypatch, time.time() - pow_mod.POW_MAX_AGE - 60)
    nonce = pow_solve(challenge)
    with pytest.raises(ValidationError) as exc:
        pow_verify(challenge, nonce)
    assert exc.value.code == "pow_expired"
    with translation.override("en"):
        assert "submit it again" in exc.value.messages[0]


def test_challenge_within_max_age_verifies(monkeypatch):
    cache.clear()
    challenge = _issued_at(monkeypatch, time.time() - pow_mod.POW_MAX_AGE + 120)
    pow_verify(challenge, pow_solve(challenge))


def test_reused_challenge_fails_the_second_time():
    cache.clear()
    challenge = pow_challenge_issue()
    nonce = pow_solve(challenge)
    pow_verify(challenge, nonce)
    assert _code(challenge, nonce) == "pow_reused"
    # Another answer to the same challenge is no way around it.
    other = next(str(n) for n in range(int(nonce) + 1, 100_000) if _zero_bits(challenge, n) >= 8)
    assert _code(challenge, other) == "pow_reused"
    # A fresh challenge is unaffected.
    fresh = pow_challenge_issue()
    pow_verify(fresh, pow_solve(fresh))


def test_difficulty_comes_from_the_challenge_not_the_setting(settings):
    cache.clear()
    settings.INTAKE_POW_DIFFICULTY = 8
    easy = pow_challenge_issue()
    settings.INTAKE_POW_DIFFICULTY = 24
    # Raised since it was issued: the form already open still works at 8 bits.
    pow_verify(easy, pow_solve(easy))

    settings.INTAKE_POW_DIFFICULTY = 12
    hard = pow_challenge_issue()
    assert pow_challenge_difficulty(hard) == 12
    settings.INTAKE_POW_DIFFICULTY = 4
    # Lowered since: 4 bits of work do not pass a 12-bit challenge.
    weak = next(str(n) for n in range(100_000) if 4 <= _zero_bits(hard, n) < 12)
    assert _code(hard, weak) == "pow_insufficient"
    pow_verify(hard, pow_solve(hard))


def test_disabled_setting_accepts_anything(settings):
    settings.INTAKE_POW_ENABLED = False
    challenge = pow_challenge_issue()
    for args in [("", ""), ("garbage", "x"), (challenge, "not-a-number"), (challenge, "0"), (challenge, "0")]:
        assert pow_verify(*args) is None


def test_solve_returns_the_smallest_nonce():
    challenge = pow_challenge_issue()
    nonce = pow_solve(challenge, 6)
    assert all(_zero_bits(challenge, n) < 6 for n in range(int(nonce)))
    assert _zero_bits(challenge, nonce) >= 6
    assert pow_solve(challenge, 0) == "0"


def test_messages_are_lazy_and_specific():
    with translation.override("en"):
        texts = {code: str(message) for code, message in pow_mod.MESSAGES.items()}
    assert len(set(texts.values())) == len(texts)
    assert "30 minutes" in texts["pow_expired"] and "kept" in texts["pow_expired"]
    assert "JavaScript" in texts["pow_missing"]


# --- The browser script against Python ---------------------------------------------------
#
# Pages are served by Playwright's router, never the network: https://pow.test is a secure
# context (crypto.subtle), http://pow.test is not, like an intranet on plain http.

SECURE = "https://pow.test"
PLAIN = "http://pow.test"
BLANK = "<html><body></body></html>"

SAMPLES = [
    "",
    "abc",
    "投诉内容：工厂夜间排放废气，气味刺鼻。",
    "混合 mixed 😀 text\n",
    "a" * 55,
    "a" * 56,
    "b" * 64,
    "c" * 119,
    "中" * 100,
]


@pytest.fixture
def pow_page(browser):
    """A page on the routed pow.test origins; `browser` is the shared Chromium (skips or fails if missing).

    GET answers with `page.html`; a POST is recorded in `page.posted` and answered with #done.
    `page.open(origin, html)` loads the page and pow.js.
    """
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(30000)
    page.html = BLANK
    page.posted = []

    def serve(route):
        if route.request.method == "POST":
            page.posted.append(route.request)
            route.fulfill(status=200, content_type="text/html", body="<p id=done>received</p>")
        else:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=page.html)

    def open_(origin, html=BLANK):
        page.html = html
        page.goto(origin + "/")
        page.add_script_tag(path=str(POW_JS))

    context.route(re.compile(r"^https?://pow\.test/"), serve)
    page.open = open_
    yield page
    context.close()


@pytest.mark.browser
def test_js_subtle_path_agrees_with_python(pow_page):
    cache.clear()
    pow_page.open(SECURE)
    assert pow_page.evaluate("window.isSecureContext && envoptPow._hasSubtle()")
    got = pow_page.evaluate("samples => Promise.all(samples.map(s => envoptPow.sha256Hex(s)))", SAMPLES)
    assert got == [hashlib.sha256(s.encode()).hexdigest() for s in SAMPLES]

    challenge = pow_challenge_issue()
    nonce = pow_page.evaluate("c => envoptPow.solve(c, 8)", challenge)
    assert nonce == pow_solve(challenge)
    pow_verify(challenge, nonce)


@pytest.mark.browser
def test_js_pure_path_agrees_with_python(pow_page):
    """The pure-JS SHA-256, directly and as the only path on a plain-http page."""
    cache.clear()
    pow_page.open(PLAIN)
    assert not pow_page.evaluate("envoptPow._hasSubtle()"), "http:// should not be a secure context"
    samples = SAMPLES + ["x" * n for n in range(140)] + ["é" * 40, "𝄞" * 20]
    want = [hashlib.sha256(s.encode()).hexdigest() for s in samples]
    assert pow_page.evaluate("samples => samples.map(s => envoptPow._sha256HexPure(s))", samples) == want
    assert (
        pow_page.evaluate("samples => Promise.all(samples.map(s => envoptPow.sha256Hex(s)))", SAMPLES)
        == (want[: len(SAMPLES)])
    )

    challenge = pow_challenge_issue()
    nonce = pow_page.evaluate("c => envoptPow.solve(c, 8)", challenge)
    assert nonce == pow_solve(challenge)
    pow_verify(challenge, nonce)
    # Prefixes around the 64-byte block boundary, where the solver reuses a midstate.
    for length in (0, 1, 54, 62, 63, 64, 65, 127, 128):
        prefix = "p" * length
        assert pow_page.evaluate("c => envoptPow._solvePure(c, 10)", prefix) == pow_solve(prefix, 10), length


FORM_HTML = """
<html><body>
<form data-pow data-pow-difficulty="{bits}" data-pow-working="Checking…" method="post"
      action="/submit" enctype="multipart/form-data" target="{target}">
  <input type="hidden" name="pow_challenge" value="{challenge}">
  <input type="hidden" name="pow_nonce" value="{stale}">
  <input name="subject">
  <textarea name="details"></textarea>
  <select name="district"><option value="n">North</option><option value="s">South</option></select>
  <input type="file" name="attachment">
  <p data-pow-status></p>
  <button type="submit" name="action" value="send">Send</button>
</form>
<iframe name="sink"></iframe>
<script>
  window.__log = [];
  window.__submits = 0;
  const form = document.querySelector("form");
  const note = () => window.__log.push(
    [form.querySelector("button").disabled, form.querySelector("[data-pow-status]").textContent]);
  new MutationObserver(note).observe(
    form, {{subtree: true, childList: true, characterData: true, attributes: true}});
  form.addEventListener("submit", () => window.__submits++);
</script>
</body></html>
"""


def _multipart(request):
    """{name: (filename, bytes)} of a captured multipart/form-data request."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=email.policy.default).parsebytes(head + request.post_data_buffer)
    return {
        part.get_param("name", header="content-disposition"): (
            part.get_filename(),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    }


@pytest.mark.browser
@pytest.mark.parametrize(
    "origin, stale", [(PLAIN, ""), (PLAIN, "999999"), (SECURE, "")], ids=["http", "http-stale-nonce", "https"]
)
def test_js_form_submits_everything_with_a_valid_nonce(pow_page, tmp_path, origin, stale):
    """The form is sent once, with the user's input, choice, file and button, and a nonce that verifies."""
    cache.clear()
    page = pow_page
    upload = tmp_path / "photo.txt"
    upload.write_text("smoke over the river")
    challenge = pow_challenge_issue()
    page.open(origin, FORM_HTML.format(bits=8, challenge=challenge, stale=stale, target="_self"))
    page.fill("input[name=subject]", "废气排放")
    page.fill("textarea[name=details]", "Every night after 22:00.")
    page.select_option("select[name=district]", "s")
    page.set_input_files("input[name=attachment]", str(upload))
    page.click("button[name=action]")
    page.wait_for_selector("#done")

    assert len(page.posted) == 1
    fields = _multipart(page.posted[0])
    assert fields["subject"] == (None, "废气排放".encode())
    assert fields["details"] == (None, b"Every night after 22:00.")
    assert fields["district"] == (None, b"s")
    assert fields["action"] == (None, b"send")
    # Chromium does not hand file bodies to request interception: the name shows it was sent.
    assert fields["attachment"][0] == "photo.txt"
    assert fields["pow_challenge"] == (None, challenge.encode())
    nonce = fields["pow_nonce"][1].decode()
    assert nonce != stale
    pow_verify(challenge, nonce)


@pytest.mark.browser
@pytest.mark.parametrize("origin", [PLAIN, SECURE], ids=["http", "https"])
def test_js_form_disables_and_announces_while_working(pow_page, origin):
    """While working the button is disabled and the status shown; one request goes out."""
    cache.clear()
    page = pow_page
    challenge = pow_challenge_issue()
    # 16 bits asked of the browser against an 8-bit challenge: extra work is harmless to the server.
    page.open(origin, FORM_HTML.format(bits=16, challenge=challenge, stale="", target="sink"))
    assert page.get_attribute("[data-pow-status]", "aria-live") == "polite"
    page.fill("input[name=subject]", "kept")
    page.set_input_files(
        "input[name=attachment]", {"name": "a.txt", "mimeType": "text/plain", "buffer": b"x"}
    )
    page.click("button[name=action]")
    page.frame_locator("iframe[name=sink]").locator("#done").wait_for()

    assert [True, "Checking…"] in page.evaluate("window.__log")
    assert page.evaluate("window.__submits") == 2  # the click (held back) and the resubmission
    assert len(page.posted) == 1
    # Sent: the button stays off against a double submission; the input is untouched.
    assert page.is_disabled("button[name=action]")
    assert page.input_value("input[name=subject]") == "kept"
    assert page.evaluate("document.querySelector('input[type=file]').files[0].name") == "a.txt"
    nonce = _multipart(page.posted[0])["pow_nonce"][1].decode()
    assert _zero_bits(challenge, nonce) >= 16
    pow_verify(challenge, nonce)
