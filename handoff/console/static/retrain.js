// The Retrain page: the progress bar follows the running job (polls its status), and the
// "try it" chat talks to the newest trained model through the console (never to Rasa).
(function () {
  "use strict";
  var csrf = document.body.getAttribute("data-csrf") || "";
  var card = document.querySelector("[data-job-card]");
  // The page's strings in its language, as console.js does (#retrain-i18n; empty in English).
  var messages = {};
  var i18nNode = document.getElementById("retrain-i18n");
  if (i18nNode) { try { messages = JSON.parse(i18nNode.textContent) || {}; } catch (e) { messages = {}; } }
  function T(msgid) {
    return Object.prototype.hasOwnProperty.call(messages, msgid) && messages[msgid] ? messages[msgid] : msgid;
  }
  // seba.content writes the job's step and message in both languages: Bangla shows only its own.
  var bangla = document.documentElement.lang === "bn";

  function text(el, value) { if (el) { el.textContent = value; } }

  function showJob(job) {
    var box = card && card.querySelector("[data-job]");
    if (!job || !box || box.getAttribute("data-job") !== job.id) {
      // A job this page does not show yet (started elsewhere): show it whole.
      window.location.replace("/content/retrain");
      return;
    }
    var bar = box.querySelector("[data-bar]");
    if (bar) {
      bar.value = job.percent;
      bar.textContent = job.percent + "%";
      bar.className = "progress state-" + job.state;
    }
    if (bangla && job.step_label_bn) {
      text(box.querySelector("[data-step]"), job.percent + "% · " + job.step_label_bn);
      text(box.querySelector("[data-message]"), job.message_bn || job.message);
    } else {
      text(box.querySelector("[data-step]"), job.percent + "% · " + job.step_label +
           (job.step_label_bn ? " · " + job.step_label_bn : ""));
      text(box.querySelector("[data-message]"), job.message);
      text(box.querySelector("[data-message-bn]"), job.message_bn || "");
    }
    box.setAttribute("data-state", job.state);
    if (job.state !== "running") {
      // The result, the problems and the history, from the server (without "?done=started").
      window.location.replace("/content/retrain");
    }
  }

  function poll() {
    fetch("/content/retrain/status", {headers: {"Accept": "application/json"},
                                       credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        showJob(data.job);
        if (data.job && data.job.state === "running") { setTimeout(poll, 1500); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }

  if (card && card.getAttribute("data-running") === "yes") { setTimeout(poll, 1000); }

  // --- try it ---------------------------------------------------------------------------------
  var tryit = document.querySelector("[data-tryit]");
  if (!tryit) { return; }
  var log = tryit.querySelector("[data-tryit-log]");
  var formEl = tryit.querySelector("[data-tryit-form]");
  var input = formEl.querySelector("input[name=text]");
  var fresh = false;

  function add(kind, words) {
    var row = document.createElement("div");
    row.className = "msg-row msg-" + kind;
    var bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.textContent = words; // text, never HTML
    row.appendChild(bubble);
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  function send(words) {
    var body = new URLSearchParams();
    body.set("csrf_token", csrf);
    body.set("text", words);
    if (fresh) { body.set("fresh", "1"); fresh = false; }
    add("customer", words);
    add("bot", "…");
    var waiting = log.lastChild;
    return fetch("/content/retrain/try", {method: "POST", body: body,
                                          headers: {"Accept": "application/json"},
                                          credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        log.removeChild(waiting);
        if (!data.ok) { add("bot", data.message || T("Try it is not available now.")); return; }
        (data.replies || []).forEach(function (reply) {
          add("bot", reply.text + (reply.buttons && reply.buttons.length
            ? "\n[" + reply.buttons.join("] [") + "]" : ""));
        });
        if (!(data.replies || []).length) { add("bot", T("(no answer)")); }
      })
      .catch(function () { log.removeChild(waiting); add("bot", T("Try it did not answer.")); });
  }

  formEl.addEventListener("submit", function (event) {
    event.preventDefault();
    var words = input.value.trim();
    if (!words) { return; }
    input.value = "";
    send(words);
  });
  var freshButton = tryit.querySelector("[data-tryit-fresh]");
  if (freshButton) {
    freshButton.addEventListener("click", function () {
      fresh = true;
      log.textContent = "";
      input.focus();
    });
  }
})();
