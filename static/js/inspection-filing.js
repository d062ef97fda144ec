// The filing form: "Add another officer" clones the last officer row with the next index.
// Without JavaScript the form still offers four rows.
(function () {
  "use strict";
  var form = document.querySelector("[data-filing-form]");
  if (!form) return;
  var button = form.querySelector("[data-add-officer]");
  var counter = form.querySelector("input[name=officer_rows]");
  var MAX_ROWS = 12;
  if (!button || !counter) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var rows = form.querySelectorAll("[data-officer-row]");
    if (rows.length >= MAX_ROWS) return;
    var index = rows.length;
    var row = rows[rows.length - 1].cloneNode(true);
    row.querySelectorAll("input").forEach(function (input) {
      input.value = "";
      input.name = input.name.replace(/_\d+$/, "_" + index);
      input.id = input.id.replace(/_\d+$/, "_" + index);
    });
    rows[rows.length - 1].after(row);
    counter.value = String(index + 1);
    if (index + 1 >= MAX_ROWS) button.hidden = true;
    row.querySelector("input").focus();
  });
})();
