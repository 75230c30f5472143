/* Seba agent console: live queue (Server-Sent Events, polling as a fallback) and the
   conversation screen (transcript refresh, replies, canned replies). No dependencies.
   Everything the server sends is inserted with textContent, never as HTML. */
(function () {
  "use strict";

  var csrf = document.body.getAttribute("data-csrf") || "";
  var page = document.body.getAttribute("data-page");

  /* Translations: base.html puts this script's strings, in the page's language, in a JSON
     block (#i18n; empty in English). T("Hello %(name)s", {name: n}) like the server's _(). */
  var messages = {};
  var i18nNode = document.getElementById("i18n");
  if (i18nNode) { try { messages = JSON.parse(i18nNode.textContent) || {}; } catch (e) { messages = {}; } }
  function T(msgid, vars) {
    var text = Object.prototype.hasOwnProperty.call(messages, msgid) && messages[msgid] ? messages[msgid] : msgid;
    return text.replace(/%\(([a-z_]+)\)s/g, function (all, name) {
      return vars && Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : all;
    });
  }
  var STATES = { waiting: T("waiting"), assigned: T("with an agent"), resolved: T("resolved"), abandoned: T("abandoned") };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds || 0));
    if (seconds < 60) return T("%(seconds)s s", { seconds: seconds });
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return T("%(minutes)s min", { minutes: minutes });
    var hours = Math.floor(minutes / 60);
    var rest = minutes % 60;
    return T("%(hours)s h %(minutes)s min", { hours: hours, minutes: (rest < 10 ? "0" : "") + rest });
  }

  function hhmm(iso) { return iso ? iso.substring(11, 16) : ""; }

  function postJSON(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(data || {})
    }).then(function (response) {
      if (response.status === 401) { window.location.href = "/login"; throw new Error("logged out"); }
      return response.json().catch(function () { return { ok: false, message: T("Error %(status)s", { status: response.status }) }; });
    });
  }

  function csrfInput() { return el("input", { type: "hidden", name: "csrf_token", value: csrf }); }

  function showAlert(kind, text) {
    var box = document.querySelector("[data-alerts]");
    if (!box) return;
    box.textContent = "";
    if (text) box.appendChild(el("div", { className: "alert alert-" + kind, role: kind === "error" ? "alert" : "status", text: text }));
  }

  /* --- online / away toggle ---------------------------------------------------------- */
  var statusForm = document.querySelector("[data-status-form]");
  if (statusForm) {
    statusForm.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button) return; // old browsers: normal form post
      event.preventDefault();
      var status = button.getAttribute("data-status");
      postJSON("/status", { status: status }).then(function (body) {
        if (!body.ok) return;
        statusForm.querySelectorAll(".seg").forEach(function (seg) {
          seg.classList.toggle("on", seg.getAttribute("data-status") === status);
        });
      });
    });
  }

  /* confirmation for actions that give the conversation away */
  document.querySelectorAll("form[data-action='hand_back'], form[data-action='resolve']").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var question = form.getAttribute("data-action") === "resolve"
        ? T("Mark this conversation resolved? The bot takes over and asks for a rating.")
        : T("Hand this conversation back to the bot?");
      if (!window.confirm(question)) event.preventDefault();
    });
  });

  /* lifting an order lock: only after the customer was verified another way */
  document.querySelectorAll("form[data-lift-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var order = form.querySelector("input[name='order_number']").value;
      if (!window.confirm(T("Lift the lock on order %(order)s? Do it only after you have verified the customer another way.", { order: order }))) event.preventDefault();
    });
  });

  /* --- queue ------------------------------------------------------------------------- */
  function queuePage() {
    var initial = document.getElementById("initial-queue");
    var labels = { channels: {}, languages: {}, reasons: {} };
    var labelNode = document.getElementById("labels");
    if (labelNode) labels = JSON.parse(labelNode.textContent);
    var live = document.querySelector("[data-live]");

    function label(kind, key) { return (labels[kind] && labels[kind][key]) || key || "?"; }

    function badges(t) {
      return [
        el("td", {}, [el("span", { className: "badge badge-channel", text: label("channels", t.channel) })]),
        el("td", {}, [el("span", { className: "badge badge-lang", text: label("languages", t.language) })]),
        el("td", { text: label("reasons", t.reason) }),
        el("td", { className: "msg", lang: t.language, title: t.last_message || "", text: t.last_message || "—" })
      ];
    }

    function waitingRow(t) {
      var claim = el("form", { method: "post", action: "/tickets/" + t.id + "/claim", className: "inline" }, [
        csrfInput(), el("button", { type: "submit", className: "btn btn-sm btn-primary", text: T("Claim") })
      ]);
      var cells = [
        el("td", { className: "num", text: String(t.position) }),
        el("td", { className: "wait" + (t.wait_seconds > 600 ? " long" : ""), text: duration(t.wait_seconds) })
      ].concat(badges(t), [
        el("td", { className: "actions" }, [el("a", { className: "btn btn-sm", href: "/tickets/" + t.id, text: T("Open") }), claim])
      ]);
      return el("tr", {}, cells);
    }

    function assignedRow(t, me) {
      var cells = [
        el("td", { text: t.agent_name || "?" }),
        el("td", { text: hhmm(t.assigned_at) })
      ].concat(badges(t), [
        el("td", { className: "actions" }, [el("a", { className: "btn btn-sm" + (t.agent_id === me.id ? " btn-primary" : ""), href: "/tickets/" + t.id, text: T("Open") })])
      ]);
      return el("tr", { className: t.agent_id === me.id ? "mine" : null }, cells);
    }

    function fill(name, rows, empty) {
      var body = document.querySelector("[data-rows='" + name + "']");
      if (!body) return;
      body.textContent = "";
      if (!rows.length) body.appendChild(el("tr", { className: "empty" }, [el("td", { colspan: "7", text: empty })]));
      rows.forEach(function (row) { body.appendChild(row); });
    }

    function render(data) {
      fill("waiting", data.waiting.map(waitingRow), T("Nobody is waiting. The bot is handling everyone."));
      fill("assigned", data.assigned.map(function (t) { return assignedRow(t, data.me); }), T("No conversation is with an agent."));
      var counts = { waiting: data.waiting.length, assigned: data.assigned.length,
                     resolved_today: data.resolved_today, abandoned_today: data.abandoned_today };
      Object.keys(counts).forEach(function (key) {
        document.querySelectorAll("[data-stat='" + key + "'], [data-count='" + key + "']").forEach(function (node) {
          node.textContent = String(counts[key]);
        });
      });
      var next = document.querySelector("[data-claim-next]");
      if (next) next.disabled = data.waiting.length === 0;
      var banner = document.querySelector("[data-hours-banner]");
      if (banner) banner.classList.toggle("hidden", !!data.within_hours);
      var list = document.querySelector("[data-agents]");
      if (list) {
        list.textContent = "";
        data.agents.forEach(function (a) {
          list.appendChild(el("li", {}, [
            el("span", { className: "dot " + (a.online ? "dot-online" : "dot-away"), title: a.online ? T("online") : T("away") }),
            a.display_name,
            a.id === data.me.id ? el("span", { className: "muted", text: " " + T("(you)") }) : null
          ]));
        });
      }
      document.title = (data.waiting.length ? "(" + data.waiting.length + ") " : "") + T("Queue") + " · " + T("Seba agent console");
    }

    function setLive(ok, text) {
      if (!live) return;
      live.classList.toggle("offline", !ok);
      live.textContent = text;
    }

    if (initial) render(JSON.parse(initial.textContent));

    var polling = null;
    function poll() {
      if (polling) return;
      polling = window.setInterval(function () {
        fetch("/api/queue", { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) {
            if (r.status === 401) { window.location.href = "/login"; return null; }
            return r.json();
          })
          .then(function (data) { if (data) { render(data); setLive(true, T("Updates every 2 seconds.")); } })
          .catch(function () { setLive(false, T("Connection lost; retrying…")); });
      }, 2000);
    }

    if (window.EventSource) {
      var failures = 0;
      var source = new EventSource("/events");
      source.addEventListener("queue", function (event) {
        failures = 0;
        render(JSON.parse(event.data));
        setLive(true, T("Updates live."));
      });
      source.addEventListener("logout", function () { source.close(); window.location.href = "/login"; });
      source.onerror = function () {
        failures += 1;
        setLive(false, T("Connection lost; retrying…"));
        if (failures >= 3) { source.close(); poll(); }
      };
    } else {
      poll();
    }
  }

  /* --- one conversation ----------------------------------------------------------------- */
  function ticketPage() {
    var layout = document.querySelector("[data-ticket-id]");
    if (!layout) return;
    var id = layout.getAttribute("data-ticket-id");
    var transcript = document.querySelector("[data-transcript]");
    var form = document.querySelector("[data-reply-form]");
    var textarea = document.querySelector("[data-reply-text]");
    var sendButton = document.querySelector("[data-reply-send]");
    var lastRendered = null;

    function bubble(item) {
      if (item.kind === "system") {
        return el("div", { className: "note" }, [item.text, el("span", { className: "time", text: hhmm(item.time) })]);
      }
      var who = item.kind === "customer" ? T("Customer") : item.kind === "agent" ? T("%(agent)s · agent", { agent: item.agent }) : T("Bot");
      var whoNode = el("div", { className: "who" }, [who, item.while_waiting ? " " : null,
        item.while_waiting ? el("span", { className: "tag", text: T("while waiting") }) : null]);
      var buttons = null;
      if (item.buttons && item.buttons.length) {
        buttons = el("div", { className: "buttons" }, item.buttons.map(function (b) { return el("span", { className: "chip", text: b }); }));
      }
      return el("div", { className: "msg-row msg-" + item.kind }, [
        el("div", { className: "bubble", lang: layout.getAttribute("data-language") }, [
          whoNode, el("div", { className: "text", text: item.text }), buttons,
          el("div", { className: "time", text: hhmm(item.time) })
        ])
      ]);
    }

    function renderTranscript(data) {
      var key = JSON.stringify([data.rasa_error, data.transcript]);
      if (key === lastRendered) return;
      lastRendered = key;
      var nearBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 80;
      transcript.textContent = "";
      if (data.rasa_error) transcript.appendChild(el("div", { className: "note note-error", text: data.rasa_error }));
      if (!data.transcript.length && !data.rasa_error) transcript.appendChild(el("div", { className: "note", text: T("No messages yet.") }));
      data.transcript.forEach(function (item) { transcript.appendChild(bubble(item)); });
      if (nearBottom) transcript.scrollTop = transcript.scrollHeight;
    }

    function renderState(data) {
      var t = data.ticket;
      var pill = document.querySelector("[data-state]");
      if (pill) { pill.textContent = STATES[t.state] || t.state; pill.className = "pill pill-" + t.state; }
      var agentLine = document.querySelector("[data-agent-line]");
      if (agentLine) agentLine.textContent = t.agent_name ? T("with %(agent)s", { agent: t.agent_name }) : "";
      Object.keys(data.can).forEach(function (action) {
        var node = document.querySelector("form[data-action='" + action + "']");
        if (node) node.classList.toggle("hidden", !data.can[action]);
      });
      var refusal = document.querySelector("[data-refusal]");
      if (refusal) refusal.textContent = (!data.can.reply && !data.can.claim && data.refusal) ? data.refusal : "";
      if (form) form.classList.toggle("disabled", !data.can.reply);
      if (textarea) {
        textarea.disabled = !data.can.reply;
        textarea.placeholder = data.can.reply ? T("Write to the customer… (Ctrl+Enter sends)") : T("Claim the conversation to reply");
      }
      if (sendButton) sendButton.disabled = !data.can.reply;
      var paused = document.querySelector("[data-paused]");
      if (paused) paused.textContent = data.paused === null ? T("unknown (Rasa not reachable)") : data.paused ? T("paused: people answer") : T("answering");
      var wait = document.querySelector("[data-wait]");
      if (wait) wait.textContent = duration(t.wait_seconds);
    }

    function refresh() {
      return fetch("/api/tickets/" + id, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) {
          if (r.status === 401) { window.location.href = "/login"; return null; }
          return r.json();
        })
        .then(function (data) { if (data && data.ticket) { renderTranscript(data); renderState(data); } })
        .catch(function () { /* next round */ });
    }

    if (transcript) transcript.scrollTop = transcript.scrollHeight;
    refresh();
    window.setInterval(refresh, 2000);

    document.querySelectorAll("[data-canned] [data-text]").forEach(function (chip) {
      chip.addEventListener("click", function () {
        if (!textarea || textarea.disabled) return;
        var text = chip.getAttribute("data-text");
        var start = textarea.selectionStart || 0, end = textarea.selectionEnd || 0;
        var value = textarea.value;
        if (!value.trim()) textarea.value = text;
        else textarea.value = value.slice(0, start) + text + value.slice(end);
        textarea.focus();
      });
    });

    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var text = textarea.value.trim();
        if (!text) return;
        sendButton.disabled = true;
        postJSON("/tickets/" + id + "/reply", { text: text }).then(function (body) {
          if (body.ok) { textarea.value = ""; showAlert("ok", ""); refresh(); }
          else showAlert("error", body.message || T("Not sent."));
        }).catch(function () {
          showAlert("error", T("Not sent: the console is not reachable."));
        }).then(function () { sendButton.disabled = textarea.disabled; textarea.focus(); });
      });
      textarea.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
        }
      });
    }
  }

  if (page === "queue") queuePage();
  if (page === "ticket") ticketPage();
})();
