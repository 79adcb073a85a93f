// The screening keys of the terminal, in the browser: each key clicks its button, so a
// decision is an ordinary form POST (and works without this script, by mouse).
"use strict";
(function () {
  const form = document.getElementById("act");
  if (!form) return;
  const keys = JSON.parse(form.dataset.keys || "{}");
  const help = document.getElementById("help");
  const note = document.getElementById("note");
  let sent = false; // one request per page: a key held down or pressed twice sends once
  form.addEventListener("submit", function (event) {
    if (sent) { event.preventDefault(); return; }
    sent = true;
  });
  window.addEventListener("pageshow", function () { sent = false; });
  const toggleHelp = function () { if (help) help.hidden = !help.hidden; };
  const helpButton = document.getElementById("help-button");
  if (helpButton) helpButton.addEventListener("click", toggleHelp);
  if (note) {
    note.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { note.value = ""; note.blur(); }
      if (event.key === "Enter") {
        event.preventDefault();
        if (note.value.trim()) document.getElementById("save-note").click();
      }
    });
  }
  document.addEventListener("keydown", function (event) {
    if (event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA")) return;
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    if (action === "help") { toggleHelp(); return; }
    if (help && !help.hidden) { help.hidden = true; return; }
    if (action === "note") { if (note) note.focus(); return; }
    if (action === "open") { if (form.dataset.pdf) window.open(form.dataset.pdf, "_blank", "noopener"); return; }
    const button = form.querySelector('button[name="action"][value="' + action + '"]');
    if (button && !button.disabled) button.click();
  });
})();
