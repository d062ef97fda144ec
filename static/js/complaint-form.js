/* Progressive enhancement of the complaint form; the server validates everything again. */
(function () {
  "use strict";
  var form = document.querySelector("form.complaint-form");
  if (!form) return;

  // Identity fields only matter for real-name complaints.
  var identity = form.querySelector("[data-identity]");
  var note = form.querySelector("[data-anonymous-note]");
  function syncIdentity() {
    var checked = form.querySelector("input[name=identity_mode]:checked");
    var anonymous = checked && checked.value === "anonymous";
    if (identity) identity.hidden = anonymous;
    if (note) note.hidden = !anonymous;
    var enterprise = form.querySelector("input[name=complainant_type]:checked");
    var isEnterprise = !enterprise || enterprise.value === "enterprise";
    ["enterprise_name", "credit_code"].forEach(function (name) {
      var box = document.getElementById("field-" + name);
      if (box) box.hidden = !isEnterprise;
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "identity_mode" || event.target.name === "complainant_type") syncIdentity();
  });
  syncIdentity();

  // "Don't know" reveals the free-text description of the unit.
  var unknown = form.querySelector("input[name=department_unknown]");
  var textBox = document.getElementById("field-department_text");
  var selectBox = document.getElementById("field-department");
  function syncUnknown() {
    if (!unknown || !textBox) return;
    textBox.hidden = !unknown.checked;
    if (selectBox) selectBox.hidden = unknown.checked;
  }
  if (unknown) unknown.addEventListener("change", syncUnknown);
  syncUnknown();

  // Search the department directory by filtering the options of the select.
  var filterBox = form.querySelector("[data-department-filter]");
  var select = form.querySelector("select[name=department]");
  if (filterBox && select) {
    filterBox.hidden = false;
    var search = filterBox.querySelector("input");
    var options = Array.prototype.slice.call(select.options);
    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase();
      var firstMatch = null;
      options.forEach(function (opt) {
        if (!opt.value) return;
        var match = !q || opt.text.toLowerCase().indexOf(q) !== -1;
        opt.hidden = !match;
        opt.disabled = !match;
        if (match && !firstMatch) firstMatch = opt;
      });
      if (q && firstMatch && (select.selectedIndex <= 0 || select.options[select.selectedIndex].hidden)) {
        select.value = firstMatch.value;
      }
    });
  }

  // The association or intermediary is asked for the category about them only (issue 16); a value
  // already chosen (or refused by the server) stays visible, so nothing typed is hidden.
  var category = form.querySelector("select[name=category]");
  var associationBox = document.getElementById("field-association");
  var association = form.querySelector("select[name=association]");
  function syncAssociation(changed) {
    if (!category || !associationBox || !association) return;
    var wanted = category.value === "associations";
    if (changed && !wanted) association.value = "";
    associationBox.hidden = !wanted && !association.value;
  }
  if (category) category.addEventListener("change", function () { syncAssociation(true); });
  syncAssociation(false);

  // Tell the user about file limits before the upload, so nothing typed is lost to a refusal.
  var files = form.querySelector("input[type=file][name=attachments]");
  var fileMessage = form.querySelector("[data-file-check]");
  function checkFiles() {
    if (!files || !fileMessage) return true;
    var maxFiles = +form.dataset.maxFiles, maxSize = +form.dataset.maxFileSize, maxTotal = +form.dataset.maxTotalSize;
    var total = 0, problem = "";
    if (files.files.length > maxFiles) problem = form.dataset.msgTooMany;
    Array.prototype.forEach.call(files.files, function (f) {
      total += f.size;
      if (!problem && f.size > maxSize) problem = form.dataset.msgTooBig + " " + f.name;
    });
    if (!problem && total > maxTotal) problem = form.dataset.msgTotal;
    fileMessage.textContent = problem;
    fileMessage.hidden = !problem;
    return !problem;
  }
  if (files) files.addEventListener("change", checkFiles);
  form.addEventListener("submit", function (event) {
    if (!checkFiles()) { event.preventDefault(); event.stopImmediatePropagation(); return; }
    // Nothing attached: send plain fields, which the server reads at a third of multipart's cost.
    if (files) form.enctype = files.files.length ? "multipart/form-data" : "application/x-www-form-urlencoded";
  }, true);
})();
