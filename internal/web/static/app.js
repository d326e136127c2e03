// fairdebt web UI: the little JavaScript it has. Pages work without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Disable a form's submit button once sent, so a slow answer is not sent twice.
  for (const form of document.querySelectorAll("form")) {
    form.addEventListener("submit", () => {
      for (const b of form.querySelectorAll("button[type=submit]")) b.disabled = true;
    });
  }
});
