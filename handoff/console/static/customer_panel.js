/* The customer panel beside the transcript (handoff/console/customer_panel.py).
 *
 * Loads /tickets/<id>/customer?part=1 (HTML rendered and escaped by the server) into the
 * conversation page's [data-customer-panel] box. A note is posted with fetch (the form's
 * own CSRF token) and the panel reloaded, so the page and a half-written reply stay as they
 * are. Without JavaScript the box keeps its link to the panel's own page. */
(function () {
  "use strict";

  function load(box) {
    return fetch(box.getAttribute("data-src"), {
      credentials: "same-origin",
      headers: { "Accept": "text/html" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    }).then(function (html) {
      box.innerHTML = html;
      box.setAttribute("data-loaded", "1");
      wire(box);
    });
  }

  function showError(form, message) {
    var old = form.parentNode.querySelector("[data-note-error]");
    if (old) { old.parentNode.removeChild(old); }
    var p = document.createElement("p");
    p.className = "note-error";
    p.setAttribute("data-note-error", "");
    p.setAttribute("role", "alert");
    p.textContent = message;
    form.parentNode.insertBefore(p, form);
  }

  function wire(box) {
    var form = box.querySelector("[data-note-form]");
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
      fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
        body: new URLSearchParams(new FormData(form))
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (result.ok) { return load(box); }
        if (button) { button.disabled = false; }
        showError(form, (result.data && result.data.message) || "");
      }).catch(function () {
        form.submit(); // the plain form: the server answers with a page
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-customer-panel]");
    if (box) { load(box).catch(function () { /* keep the link to the panel's page */ }); }
  });
})();
