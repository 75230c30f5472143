/*!
 * Seba chat bubble loader (Apache-2.0). A shop adds ONE tag to its pages:
 *
 *   <script src="https://<bubble-host>/seba-bubble.js"
 *           data-rasa-url="https://<rasa-host>" async></script>
 *
 * It loads the widget (rasa-webchat 1.0.1, served by the same host as this file,
 * no CDN), keeps the session token the server issued in localStorage, sends the
 * page's language with every message (customData: {language: "bn" | "en"}) and
 * follows <html lang="..."> when the page switches language.
 *
 * Optional attributes: data-language="bn|en" (else <html lang>), data-socket-path
 * (default /socket.io/), data-init-payload (what is sent when the chat first
 * opens, default a hello in the page's language).
 * Without data-rasa-url the loader asks its own host (seba-config.json).
 *
 * Page API: window.SebaBubble.open(), .ask(text), .setLanguage("bn"|"en"),
 * .sessionId(), .ready (a Promise).
 */
(function (window, document) {
  'use strict';

  if (window.SebaBubble && window.SebaBubble.ready) return; // loaded twice

  var WIDGET_VERSION = '1.0.1'; // web/package.json pins rasa-webchat to this
  var SESSION_KEY = 'seba.sessionId'; // ours: the page's own conversation id
  var WIDGET_KEY = 'chat_session'; // rasa-webchat's storage (session id + transcript)
  var CONTAINER_ID = 'seba-bubble';

  var HELLO = { bn: 'হ্যালো', en: 'Hello' };
  var TEXTS = {
    bn: {
      title: 'সেবা',
      subtitle: 'অনলাইন সহকারী · ২৪ ঘণ্টা',
      hint: 'এখানে লিখুন…',
      connecting: 'সংযোগ হচ্ছে…'
    },
    en: {
      title: 'Seba',
      subtitle: 'Online assistant · 24/7',
      hint: 'Type your message…',
      connecting: 'Connecting…'
    }
  };

  // --- where this script came from ------------------------------------------
  var script = document.currentScript || (function () {
    var all = document.querySelectorAll('script[src*="seba-bubble"]');
    return all[all.length - 1];
  })();
  var data = (script && script.dataset) || {};
  var base = new URL('.', script ? script.src : window.location.href).href;

  // --- storage that never throws (private modes, blocked storage) -------------
  var memory = {};
  var storage = (function () {
    try {
      var s = window.localStorage;
      s.setItem('seba.probe', '1');
      s.removeItem('seba.probe');
      return s;
    } catch (e) {
      return null;
    }
  })();
  function getItem(key) {
    if (storage) {
      try { return storage.getItem(key); } catch (e) { /* fall through */ }
    }
    return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null;
  }
  function setItem(key, value) {
    memory[key] = value;
    if (storage) {
      try { storage.setItem(key, value); } catch (e) { /* quota: memory only */ }
    }
  }
  function readJSON(key) {
    try { return JSON.parse(getItem(key) || 'null'); } catch (e) { return null; }
  }

  // --- the session token (rasa-webchat#166) ---------------------------------
  // Only the server issues session tokens (channels/webchat.py): the page sends
  // the one it holds with session_request, and the server confirms it or issues
  // a new one. rasa-webchat asks with whatever id its own storage holds, and
  // forgets it when its storage is cleared (a widget upgrade), so the page keeps
  // the confirmed token itself and writes it into the widget's storage before
  // the widget starts and again before every (re)connect: a dropped socket or a
  // reload resumes the same conversation.
  var TOKEN_PATTERN = /^[0-9a-f]{64}$/;

  function sessionId() {
    var id = getItem(SESSION_KEY);
    return TOKEN_PATTERN.test(id || '') ? id : null;
  }

  function syncWidgetSession() {
    var id = sessionId();
    var widget = readJSON(WIDGET_KEY);
    if (!widget || typeof widget !== 'object') widget = {};
    if ((widget.session_id || null) === id) return id;
    if (widget.session_id) widget.conversation = []; // another conversation's transcript
    if (id) widget.session_id = id; else delete widget.session_id;
    setItem(WIDGET_KEY, JSON.stringify(widget));
    return id;
  }

  // --- language ---------------------------------------------------------------
  function normLang(value) {
    return String(value || '').toLowerCase().indexOf('en') === 0 ? 'en' : 'bn';
  }
  var language = normLang(data.language || document.documentElement.getAttribute('lang') || 'bn');
  // One object, shared with the widget: it sends this with every message, so
  // changing .language here changes what the next message carries.
  var customData = { language: language };

  // --- configuration ----------------------------------------------------------
  function loadConfig() {
    if (data.rasaUrl) return Promise.resolve({ rasaUrl: data.rasaUrl });
    if (window.SEBA_CONFIG) return Promise.resolve(window.SEBA_CONFIG);
    return fetch(base + 'seba-config.json', { credentials: 'omit' })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .catch(function () { return {}; });
  }

  function socketUrl(cfg) {
    if (cfg.rasaUrl) return String(cfg.rasaUrl).replace(/\/+$/, '');
    var port = cfg.rasaPort || 5005;
    return window.location.protocol + '//' + window.location.hostname + ':' + port;
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = src;
      s.async = true;
      s.onload = resolve;
      s.onerror = function () { reject(new Error('Seba: could not load ' + src)); };
      (document.head || document.documentElement).appendChild(s);
    });
  }

  function addStyles() {
    if (document.getElementById('seba-bubble-css')) return;
    var link = document.createElement('link');
    link.id = 'seba-bubble-css';
    link.rel = 'stylesheet';
    link.href = base + 'seba-bubble.css';
    (document.head || document.documentElement).appendChild(link);
  }

  // --- the widget -------------------------------------------------------------
  var container = null;
  var widgetRef = null;
  var props = null;
  var connected = false;

  function render() {
    var t = TEXTS[language];
    props.title = t.title;
    props.subtitle = t.subtitle;
    props.inputTextFieldHint = t.hint;
    props.connectingText = t.connecting;
    container.setAttribute('lang', language);
    window.WebChat.default(Object.assign({}, props), container);
  }

  function start(cfg) {
    syncWidgetSession();
    addStyles();
    container = document.getElementById(CONTAINER_ID);
    if (!container) {
      container = document.createElement('div');
      container.id = CONTAINER_ID;
      document.body.appendChild(container);
    }
    props = {
      socketUrl: socketUrl(cfg),
      socketPath: data.socketPath || cfg.socketPath || '/socket.io/',
      customData: customData,
      params: { storage: 'local' },
      withRules: false, // no Botfront rules: show as soon as mounted
      hideWhenNotConnected: false, // keep the window (and transcript) on screen while reconnecting
      displayUnreadCount: true,
      showMessageDate: false,
      customMessageDelay: function (message) {
        var ms = 15 * String(message || '').length;
        return Math.max(300, Math.min(ms, 1200));
      },
      onSocketEvent: {
        // Runs before the widget's own connect handler, which sends
        // session_request with the id found in storage: make sure it is ours.
        connect: function () { connected = true; syncWidgetSession(); },
        disconnect: function () { connected = false; },
        session_confirm: function (confirmed) {
          var id = confirmed && confirmed.session_id ? confirmed.session_id : confirmed;
          if (TOKEN_PATTERN.test(id || '') && id !== getItem(SESSION_KEY)) {
            setItem(SESSION_KEY, id); // a new session: the server issued this token
          }
          document.dispatchEvent(new CustomEvent('seba:session', { detail: { sessionId: id } }));
        }
      },
      innerRef: function (el) { if (el) widgetRef = el; }
    };
    // rasa-webchat sends initPayload the first time the chat opens, and sends an
    // EMPTY user message when there is none. Customers cannot send intents
    // ("/greet"), so it is a hello in the page's language: the bot greets back.
    props.initPayload = data.initPayload || cfg.initPayload || HELLO[language];
    render();
  }

  function setLanguage(value) {
    var next = normLang(value);
    if (next === language) return;
    language = next;
    customData.language = next;
    if (props && window.WebChat) render();
  }

  function isOpen() {
    return !!(container && container.querySelector('.rw-conversation-container'));
  }

  function open() {
    if (!container || isOpen()) return;
    var launcher = container.querySelector('.rw-launcher');
    if (launcher) launcher.click();
  }

  function ask(text) {
    return ready.then(function () {
      open();
      if (widgetRef && widgetRef.sendMessage) widgetRef.sendMessage(text, text);
    });
  }

  // Follow the page: a language switch that sets <html lang> is enough.
  if (window.MutationObserver) {
    new MutationObserver(function () {
      setLanguage(document.documentElement.getAttribute('lang'));
    }).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
  }

  var ready = loadConfig()
    .then(function (cfg) {
      return (window.WebChat ? Promise.resolve() : loadScript(base + 'vendor/rasa-webchat.js'))
        .then(function () { return cfg; });
    })
    .then(function (cfg) {
      // rasa-webchat mounts only once the page has loaded; so do we, so that
      // `ready` means "mounted" and SebaBubble.ask() works right after it.
      var loaded = document.readyState === 'complete' ? Promise.resolve() : new Promise(function (resolve) {
        window.addEventListener('load', resolve);
      });
      return loaded.then(function () { start(cfg); });
    });
  ready.catch(function (err) { window.console && console.error(err); });

  window.SebaBubble = {
    version: WIDGET_VERSION,
    ready: ready,
    open: open,
    isOpen: isOpen,
    ask: ask,
    setLanguage: setLanguage,
    language: function () { return language; },
    sessionId: sessionId,
    isConnected: function () { return connected; }
  };
})(window, document);
