/* The tracking code's buttons (templates/complaints/_tracking_code.html): copy it to the
   clipboard, or save it as a small text file. Listeners here, not inline handlers: the
   Content-Security-Policy refuses those. The buttons stay hidden without JavaScript. */
(function () {
  "use strict";

  function status(box, text) {
    var line = box.querySelector("[data-code-status]");
    if (line) {
      line.textContent = text;
    }
  }

  function copyByHand(code) {
    // Older browsers and plain-http intranets have no navigator.clipboard.
    var area = document.createElement("textarea");
    area.value = code;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var done = false;
    try {
      done = document.execCommand("copy");
    } catch (error) {
      done = false;
    }
    document.body.removeChild(area);
    return done;
  }

  function copy(button) {
    var box = button.closest("[data-tracking-code-box]");
    var code = button.getAttribute("data-code");
    var ok = function () { status(box, button.getAttribute("data-copied")); };
    var failed = function () {
      if (copyByHand(code)) {
        ok();
      } else {
        status(box, button.getAttribute("data-copy-failed"));
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(code).then(ok, failed);
    } else {
      failed();
    }
  }

  function download(button) {
    var blob = new Blob([button.getAttribute("data-text")], { type: "text/plain;charset=utf-8" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = button.getAttribute("data-filename") || "tracking-code.txt";
    document.body.appendChild(link);
    link.click();
    document.body.removeChild(link);
    window.setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
  }

  var boxes = document.querySelectorAll("[data-tracking-code-box]");
  for (var i = 0; i < boxes.length; i++) {
    var copyButton = boxes[i].querySelector("[data-code-copy]");
    var downloadButton = boxes[i].querySelector("[data-code-download]");
    if (copyButton) {
      copyButton.hidden = false;
      copyButton.addEventListener("click", function (event) { copy(event.currentTarget); });
    }
    if (downloadButton && window.Blob && window.URL) {
      downloadButton.hidden = false;
      downloadButton.addEventListener("click", function (event) { download(event.currentTarget); });
    }
  }
})();
