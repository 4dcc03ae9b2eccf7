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
  kioskIdle();
  kioskKeypads();
  autoPrint();
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

// Kiosk: any touch keeps the screen; after the idle time ask "还在使用吗？" with a countdown; at
// zero, leave (the server ends the session and the start screen comes back) (ux.md, kiosk).
function kioskIdle() {
  var body = document.body;
  var idle = parseInt(body.dataset.kioskIdle || "0", 10);
  var dialog = document.getElementById("kiosk-idle-dialog");
  var exitForm = document.getElementById("kiosk-exit");
  if (!idle || !dialog || !exitForm || typeof dialog.showModal !== "function") { return; }
  var countdownFrom = parseInt(body.dataset.kioskCountdown || "30", 10);
  var countdown = document.getElementById("kiosk-idle-countdown");
  var idleTimer, tick;
  function restart() {
    if (dialog.open) { return; }
    clearTimeout(idleTimer);
    idleTimer = setTimeout(ask, idle * 1000);
  }
  function ask() {
    var left = countdownFrom;
    countdown.textContent = left;
    dialog.showModal();
    tick = setInterval(function () {
      left -= 1;
      countdown.textContent = left;
      if (left <= 0) { clearInterval(tick); exitForm.submit(); }
    }, 1000);
  }
  document.getElementById("kiosk-idle-continue").addEventListener("click", function () {
    clearInterval(tick);
    dialog.close();
    var token = document.querySelector('meta[name="csrf-token"]').content;
    fetch(body.dataset.keepAlive, {method: "POST", headers: {"X-CSRFToken": token},
                                   credentials: "same-origin"});
    restart();
  });
  ["pointerdown", "keydown", "input", "scroll"].forEach(function (name) {
    document.addEventListener(name, restart, {passive: true});
  });
  restart();
}

// Kiosk: an on-screen keypad under number fields (no keyboard on the terminal).
function kioskKeypads() {
  if (!document.body.classList.contains("kiosk")) { return; }
  document.querySelectorAll('input[inputmode="numeric"], input[inputmode="tel"], ' +
                            'input[inputmode="decimal"], input[data-keypad]').forEach(function (input) {
    var pad = document.createElement("div");
    pad.className = "keypad";
    pad.setAttribute("role", "group");
    pad.setAttribute("aria-label", input.dataset.keypadLabel || "数字键盘");
    ["1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "0", "⌫"].forEach(function (key) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "keypad-key";
      button.textContent = key;
      if (key === "⌫") { button.setAttribute("aria-label", "删除"); }
      button.addEventListener("click", function () {
        input.value = key === "⌫" ? input.value.slice(0, -1) : input.value + key;
        input.dispatchEvent(new Event("input", {bubbles: true}));
      });
      pad.appendChild(button);
    });
    input.insertAdjacentElement("afterend", pad);
  });
}

// The receipt page prints itself on the terminal's receipt printer (kiosk printing is silent).
function autoPrint() {
  if (document.body.hasAttribute("data-autoprint") && window.print) { window.print(); }
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
}

// Consent by signature: the resident signs with a finger; the drawing goes up as a PNG.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-signature-pad]").forEach(function (pad) {
    var canvas = pad.querySelector("canvas");
    var field = pad.querySelector('input[name="signature_png"]');
    var context = canvas.getContext("2d");
    var drawing = false;
    pad.hidden = false;
    context.lineWidth = 4;
    context.lineCap = "round";
    function point(event) {
      var box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * canvas.width / box.width,
              (event.clientY - box.top) * canvas.height / box.height];
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      var p = point(event);
      context.beginPath();
      context.moveTo(p[0], p[1]);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      var p = point(event);
      context.lineTo(p[0], p[1]);
      context.stroke();
    });
    ["pointerup", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () {
        if (drawing) { field.value = canvas.toDataURL("image/png"); }
        drawing = false;
      });
    });
    pad.querySelector("[data-signature-clear]").addEventListener("click", function () {
      context.clearRect(0, 0, canvas.width, canvas.height);
      field.value = "";
    });
  });
});
