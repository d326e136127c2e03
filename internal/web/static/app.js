// fairdebt web UI: the little JavaScript it has. Pages work without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Disable a form's submit button once sent, so a slow answer is not sent twice.
  // Later, not during the submit event: a disabled submitter would drop its own
  // name and value (the promise form's kept/broken) from what is sent.
  for (const form of document.querySelectorAll("form")) {
    form.addEventListener("submit", () => {
      setTimeout(() => {
        for (const b of form.querySelectorAll("button[type=submit]")) b.disabled = true;
      }, 0);
    });
  }

  // Times a person types (the third-party report) are in their own time zone.
  for (const tz of document.querySelectorAll("input[name=tz]")) {
    try { tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* the server assumes Beijing time */ }
  }

  // The composer screens the message as it is written: the same check runs on the
  // server when the page loads and, for real, in the gate when it is sent.
  const box = document.querySelector("textarea[data-screen]");
  const out = document.getElementById("screen-result");
  const form = box && box.form;
  if (box && out && form) {
    let timer;
    box.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const body = new URLSearchParams({
          csrf: form.elements.csrf.value, case_id: form.elements.case_id.value,
          party_id: form.elements.party_id.value, text: box.value,
        });
        try {
          const res = await fetch(box.dataset.screen, { method: "POST", body, credentials: "same-origin" });
          if (!res.ok) return;
          const { categories } = await res.json();
          const p = document.createElement("p");
          if (categories.length) {
            p.className = "error";
            p.id = "screen-findings";
            p.textContent = out.dataset.findings + " " + categories.join(" ");
          } else {
            p.className = "muted";
            p.id = "screen-clean";
            p.textContent = out.dataset.clean;
          }
          out.replaceChildren(p);
        } catch (e) {
          // The gate still screens the message when it is sent.
        }
      }, 300);
    });
  }
});
