// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Error summary receives focus so screen readers announce what went wrong (ux.md).
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
  // A double tap on a submit button sends the form once.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitted) { event.preventDefault(); return; }
      form.dataset.submitted = "1";
    });
  });
});
