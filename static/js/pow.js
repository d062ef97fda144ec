/*
 * Proof of work for forms marked <form data-pow> (server side: complaints/pow.py).
 *
 * On submit, finds a decimal nonce such that SHA-256(challenge + ":" + nonce) starts with
 * data-pow-difficulty zero bits, puts it into the hidden input pow_nonce and submits the
 * same form again, so everything the user typed, chose or attached is sent as is.
 *
 * Plain ES2017, no dependencies, no network. crypto.subtle only exists in secure contexts
 * (https, localhost); intranets on plain http get the pure-JS SHA-256 below.
 */
(function () {
  "use strict";

  var BATCH = 2000; // attempts between checks of the clock
  var SLICE_MS = 40; // hand the main thread back at least this often
  var SETTLE_MS = 15000; // re-enable the buttons if a sent form is still on screen after this
  // crypto.subtle pays a thread hop per digest: in Chromium it searched 15-30x slower than
  // the pure-JS path below (16 bits: ~2 s against ~0.1 s). False makes solve() use pure JS.
  var PREFER_SUBTLE = false; // measured: per-call overhead makes subtle 15-30x slower here

  // --- SHA-256 (FIPS 180-4) ----------------------------------------------------------

  var K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);
  var H0 = new Int32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  var W = new Int32Array(64);

  // One 64-byte block of m at offset p into state s (Int32Array(8)), in place.
  function compress(s, m, p) {
    var i, x, y, t1, t2;
    for (i = 0; i < 16; i++, p += 4) {
      W[i] = (m[p] << 24) | (m[p + 1] << 16) | (m[p + 2] << 8) | m[p + 3];
    }
    for (i = 16; i < 64; i++) {
      x = W[i - 15];
      y = W[i - 2];
      W[i] =
        (W[i - 16] +
          (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
          W[i - 7] +
          (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10))) |
        0;
    }
    var a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
    for (i = 0; i < 64; i++) {
      t1 =
        (h +
          (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
          ((e & f) ^ (~e & g)) +
          K[i] +
          W[i]) |
        0;
      t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
        ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    s[0] = (s[0] + a) | 0;
    s[1] = (s[1] + b) | 0;
    s[2] = (s[2] + c) | 0;
    s[3] = (s[3] + d) | 0;
    s[4] = (s[4] + e) | 0;
    s[5] = (s[5] + f) | 0;
    s[6] = (s[6] + g) | 0;
    s[7] = (s[7] + h) | 0;
  }

  // Pads and hashes the last n bytes of a message held in buf (room for 128 bytes needed),
  // `processed` bytes of it having already gone into s.
  function finish(s, processed, buf, n) {
    var padded = (n + 72) & ~63;
    buf[n] = 0x80;
    buf.fill(0, n + 1, padded - 8);
    var bitLen = (processed + n) * 8;
    var hi = Math.floor(bitLen / 4294967296);
    var lo = bitLen >>> 0;
    buf[padded - 8] = hi >>> 24;
    buf[padded - 7] = hi >>> 16;
    buf[padded - 6] = hi >>> 8;
    buf[padded - 5] = hi;
    buf[padded - 4] = lo >>> 24;
    buf[padded - 3] = lo >>> 16;
    buf[padded - 2] = lo >>> 8;
    buf[padded - 1] = lo;
    for (var off = 0; off < padded; off += 64) compress(s, buf, off);
  }

  function sha256Pure(bytes) {
    var s = new Int32Array(H0);
    var full = bytes.length - (bytes.length % 64);
    for (var off = 0; off < full; off += 64) compress(s, bytes, off);
    var buf = new Uint8Array(128);
    buf.set(bytes.subarray(full));
    finish(s, full, buf, bytes.length - full);
    return s;
  }

  // --- Helpers -----------------------------------------------------------------------

  var encoder = typeof TextEncoder === "function" ? new TextEncoder() : null;

  function utf8(str) {
    if (encoder) return encoder.encode(str);
    var out = [];
    for (var i = 0; i < str.length; i++) {
      var c = str.charCodeAt(i);
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < str.length) {
        var lowSurrogate = str.charCodeAt(i + 1);
        if (lowSurrogate >= 0xdc00 && lowSurrogate < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (lowSurrogate - 0xdc00);
          i++;
        }
      }
      if (c >= 0xd800 && c < 0xe000) c = 0xfffd; // lone surrogate, as TextEncoder does
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(out);
  }

  function wordsHex(s) {
    var hex = "";
    for (var i = 0; i < 8; i++) hex += ("0000000" + (s[i] >>> 0).toString(16)).slice(-8);
    return hex;
  }

  function bytesHex(bytes) {
    var hex = "";
    for (var i = 0; i < bytes.length; i++) hex += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return hex;
  }

  function zeroBitsWords(s) {
    for (var i = 0; i < 8; i++) if (s[i] !== 0) return i * 32 + Math.clz32(s[i]);
    return 256;
  }

  function zeroBitsBytes(bytes) {
    for (var i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return i * 8 + Math.clz32(bytes[i]) - 24;
    return bytes.length * 8;
  }

  function hasSubtle() {
    return !!(window.crypto && window.crypto.subtle && typeof window.crypto.subtle.digest === "function");
  }

  var now =
    typeof performance === "object" && typeof performance.now === "function"
      ? function () { return performance.now(); }
      : function () { return Date.now(); };

  // A fresh task, so input and painting get a turn; MessageChannel is not throttled like
  // setTimeout in a background tab.
  function nextTask() {
    return new Promise(function (resolve) {
      if (typeof MessageChannel === "function") {
        var channel = new MessageChannel();
        channel.port1.onmessage = function () {
          channel.port1.close();
          resolve();
        };
        channel.port2.postMessage(null);
      } else {
        setTimeout(resolve, 0);
      }
    });
  }

  function asciiInto(buf, at, text) {
    for (var i = 0; i < text.length; i++) buf[at + i] = text.charCodeAt(i);
    return at + text.length;
  }

  // --- Solvers: both return the smallest nonce, like pow_solve() in Python -------------

  async function solvePure(challenge, bits) {
    var prefix = utf8(challenge + ":");
    // The blocks made of the challenge alone are the same for every nonce: hash them once.
    var full = prefix.length - (prefix.length % 64);
    var mid = new Int32Array(H0);
    for (var off = 0; off < full; off += 64) compress(mid, prefix, off);
    var buf = new Uint8Array(192);
    buf.set(prefix.subarray(full));
    var rest = prefix.length - full;
    var s = new Int32Array(8);
    var nonce = 0;
    var sliceStart = now();
    for (;;) {
      for (var end = nonce + BATCH; nonce < end; nonce++) {
        var digits = String(nonce);
        s.set(mid);
        finish(s, full, buf, asciiInto(buf, rest, digits));
        if (zeroBitsWords(s) >= bits) return digits;
      }
      if (now() - sliceStart > SLICE_MS) {
        await nextTask();
        sliceStart = now();
      }
    }
  }

  async function solveSubtle(challenge, bits) {
    var prefix = utf8(challenge + ":");
    var nonce = 0;
    var sliceStart = now();
    for (;;) {
      var jobs = new Array(BATCH);
      for (var i = 0; i < BATCH; i++) {
        var digits = String(nonce + i);
        var message = new Uint8Array(prefix.length + digits.length);
        message.set(prefix);
        asciiInto(message, prefix.length, digits);
        jobs[i] = window.crypto.subtle.digest("SHA-256", message);
      }
      var digests = await Promise.all(jobs);
      for (i = 0; i < BATCH; i++) {
        if (zeroBitsBytes(new Uint8Array(digests[i])) >= bits) return String(nonce + i);
      }
      nonce += BATCH;
      if (now() - sliceStart > SLICE_MS) {
        await nextTask();
        sliceStart = now();
      }
    }
  }

  function checkBits(bits) {
    if (typeof bits !== "number" || !(bits >= 0 && bits <= 256) || Math.floor(bits) !== bits) {
      throw new RangeError("pow: difficulty must be a whole number of bits from 0 to 256");
    }
  }

  async function solve(challenge, bits) {
    checkBits(bits);
    challenge = String(challenge);
    if (PREFER_SUBTLE && hasSubtle()) {
      try {
        return await solveSubtle(challenge, bits);
      } catch (err) {
        // Some embedded browsers expose crypto.subtle but refuse to use it.
        if (window.console) console.warn("pow: crypto.subtle failed, using pure JS", err);
      }
    }
    return solvePure(challenge, bits);
  }

  async function sha256Hex(str) {
    var bytes = utf8(String(str));
    if (hasSubtle()) {
      try {
        return bytesHex(new Uint8Array(await window.crypto.subtle.digest("SHA-256", bytes)));
      } catch (err) {
        // fall through to the pure implementation
      }
    }
    return wordsHex(sha256Pure(bytes));
  }

  // --- Forms ---------------------------------------------------------------------------

  var states = typeof WeakMap === "function" ? new WeakMap() : null;
  var bound = [];

  function field(form, name) {
    var el = form.elements.namedItem(name);
    if (el && !(el instanceof Element)) el = el[0]; // several with one name: use the first
    return el || null;
  }

  function isSubmitControl(el) {
    var type = (el.getAttribute("type") || "").toLowerCase();
    return (
      (el.tagName === "BUTTON" && (type === "" || type === "submit")) ||
      (el.tagName === "INPUT" && (type === "submit" || type === "image"))
    );
  }

  function submitControls(form) {
    var list = [];
    for (var i = 0; i < form.elements.length; i++) {
      if (isSubmitControl(form.elements[i])) list.push(form.elements[i]);
    }
    return list;
  }

  function setStatus(form, text) {
    var status = form.querySelector("[data-pow-status]");
    if (status) status.textContent = text || "";
  }

  function setBusy(form, st, busy) {
    if (busy) {
      submitControls(form).forEach(function (el) {
        if (!el.disabled) {
          el.disabled = true;
          st.disabledByUs.push(el);
        }
      });
      form.setAttribute("aria-busy", "true");
    } else {
      st.disabledByUs.forEach(function (el) {
        el.disabled = false;
      });
      st.disabledByUs = [];
      form.removeAttribute("aria-busy");
    }
  }

  function release(form, st) {
    clearTimeout(st.settleTimer);
    st.working = false;
    setBusy(form, st, false);
  }

  // form.submit() leaves out the clicked button's name/value; carry it in a hidden input.
  function submitterStandIn(form, submitter) {
    var old = form.querySelector("input[data-pow-submitter]");
    if (old) old.parentNode.removeChild(old);
    if (submitter && submitter.name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = submitter.name;
      input.value = submitter.value;
      input.setAttribute("data-pow-submitter", "");
      form.appendChild(input);
    }
  }

  // Submits again; true when the browser went ahead (not cancelled, not invalid).
  function resubmit(form, st, submitter) {
    // A disabled submitter would be left out of the submitted data.
    setBusy(form, st, false);
    if (submitter && (submitter.form !== form || !submitter.isConnected)) submitter = null;
    st.passthrough = true;
    st.lastEvent = null;
    try {
      if (typeof form.requestSubmit === "function") {
        if (submitter) form.requestSubmit(submitter);
        else form.requestSubmit();
      } else {
        submitterStandIn(form, submitter);
        form.submit();
        return true;
      }
    } finally {
      st.passthrough = false;
    }
    return !!(st.lastEvent && !st.lastEvent.defaultPrevented);
  }

  async function work(form, st, submitter, challengeInput, nonceInput) {
    st.working = true;
    setBusy(form, st, true);
    setStatus(form, form.getAttribute("data-pow-working"));
    try {
      // Leave the submit event first: requestSubmit() is ignored while it is being dispatched,
      // and the status text gets painted.
      await nextTask();
      var challenge = challengeInput.value;
      if (!(st.solvedFor === challenge && st.solvedNonce === nonceInput.value && nonceInput.value)) {
        var bits = Number(form.getAttribute("data-pow-difficulty"));
        checkBits(bits);
        nonceInput.value = "";
        var nonce = await solve(challenge, bits);
        nonceInput.value = nonce;
        st.solvedFor = challenge;
        st.solvedNonce = nonce;
      }
    } catch (err) {
      release(form, st);
      setStatus(form, form.getAttribute("data-pow-error"));
      if (window.console) console.error("pow: could not complete the check", err);
      return;
    }
    st.working = false;
    if (resubmit(form, st, submitter)) {
      // Navigating away: keep the buttons off against double submission, but not forever,
      // in case the user stops the page or the response does not replace it.
      setBusy(form, st, true);
      st.settleTimer = setTimeout(function () {
        release(form, st);
        setStatus(form, "");
      }, SETTLE_MS);
    } else {
      setStatus(form, "");
    }
  }

  function onSubmit(form, st, event) {
    if (st.passthrough) {
      st.lastEvent = event; // our own resubmission: let it through
      return;
    }
    if (event.defaultPrevented) return;
    var challengeInput = field(form, "pow_challenge");
    var nonceInput = field(form, "pow_nonce");
    if (!challengeInput || !nonceInput || !challengeInput.value) {
      // Nothing to solve; the server explains what is missing.
      if (window.console) console.warn("pow: form has no pow_challenge/pow_nonce inputs", form);
      return;
    }
    event.preventDefault();
    if (st.working) return;
    // Browsers without SubmitEvent.submitter: the last submit control clicked.
    var submitter = "submitter" in event ? event.submitter : st.lastClicked;
    work(form, st, submitter || null, challengeInput, nonceInput);
  }

  function bind(form) {
    if (states ? states.has(form) : form.__envoptPow) return;
    var st = {
      working: false,
      passthrough: false,
      lastEvent: null,
      solvedFor: null,
      solvedNonce: null,
      disabledByUs: [],
      settleTimer: null,
      lastClicked: null,
    };
    if (states) states.set(form, st);
    else form.__envoptPow = st;
    bound.push({ form: form, st: st });
    var status = form.querySelector("[data-pow-status]");
    if (status && !status.hasAttribute("aria-live")) status.setAttribute("aria-live", "polite");
    form.addEventListener("submit", function (event) {
      onSubmit(form, st, event);
    });
    form.addEventListener("click", function (event) {
      var el = event.target && event.target.closest ? event.target.closest("button, input") : null;
      if (el && isSubmitControl(el)) st.lastClicked = el;
    });
  }

  function bindAll() {
    var forms = document.querySelectorAll("form[data-pow]");
    for (var i = 0; i < forms.length; i++) bind(forms[i]);
  }

  // Back/forward cache: the page comes back as it was left, buttons disabled.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    bound.forEach(function (entry) {
      release(entry.form, entry.st);
      setStatus(entry.form, "");
    });
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bindAll);
  else bindAll();

  window.envoptPow = {
    sha256Hex: sha256Hex,
    solve: solve,
    bind: bind,
    // For tests: the pure-JS path, whatever the browser offers.
    _sha256HexPure: function (str) {
      return wordsHex(sha256Pure(utf8(String(str))));
    },
    _solvePure: function (challenge, bits) {
      checkBits(bits);
      return solvePure(String(challenge), bits);
    },
    _hasSubtle: hasSubtle,
  };
})();
