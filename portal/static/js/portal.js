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
  warnBeforeSignOut();
});

// Two minutes before the server ends an idle session, ask whether the person is still there
// and let one tap extend it (WCAG 2.2.1; ux.md "no time pressure without warning").
function warnBeforeSignOut() {
  var body = document.body;
  var dialog = document.getElementById("idle-dialog");
  var idle = parseInt(body.dataset.idleSeconds || "0", 10);
  if (!dialog || !idle || typeof dialog.showModal !== "function") { return; }
  var warnFor = Math.min(120, Math.floor(idle / 2));
  var countdown = document.getElementById("idle-countdown");
  var warnTimer, tick;
  function schedule() {
    clearTimeout(warnTimer);
    clearInterval(tick);
    warnTimer = setTimeout(warn, (idle - warnFor) * 1000);
  }
  function warn() {
    var left = warnFor;
    countdown.textContent = left;
    dialog.showModal();
    tick = setInterval(function () {
      left -= 1;
      countdown.textContent = left;
      if (left <= 0) { clearInterval(tick); window.location.href = body.dataset.signedOut; }
    }, 1000);
  }
  document.getElementById("idle-continue").addEventListener("click", function () {
    var token = document.querySelector('meta[name="csrf-token"]').content;
    fetch(body.dataset.keepAlive, {method: "POST", headers: {"X-CSRFToken": token},
                                   credentials: "same-origin"});
    dialog.close();
    schedule();
  });
  schedule();
}
