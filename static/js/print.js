/* Buttons marked data-print print the page: a listener here rather than an inline onclick,
   which the Content-Security-Policy refuses. */
(function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-print]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function () {
      window.print();
    });
  }
})();
