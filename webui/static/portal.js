/* Switchboard portal behaviour. Small, no dependencies, CSP-safe (no eval, no inline code).
 *  - CSRF: X-CSRF-Token header on every htmx request; hidden csrf_token input on every POST form.
 *  - Session expiry: an htmx 401 sends the browser to /login?next=<current page>.
 *  - data-confirm="Question?" on a form, submit button, link or htmx element asks first.
 *  - Portal.connect(url, {onMessage, onState}) — websocket with backoff and a live indicator
 *    ([data-live-indicator] gets data-state = connecting|live|reconnecting|offline|closed).
 */
(function () {
  "use strict";

  var STATE_LABELS = {
    connecting: "Connecting…",
    live: "Live",
    reconnecting: "Connection lost — reconnecting…",
    offline: "Offline — reload the page to try again",
    closed: ""
  };

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") || "" : "";
  }

  function addCsrfInputs(root) {
    var token = csrfToken();
    if (!token || !root || !root.querySelectorAll) return;
    var forms = Array.prototype.slice.call(root.querySelectorAll('form[method="post" i]'));
    if (root.matches && root.matches('form[method="post" i]')) forms.push(root);
    forms.forEach(function (form) {
      if (form.querySelector('input[name="csrf_token"]')) return;
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "csrf_token";
      input.value = token;
      form.appendChild(input);
    });
  }

  function loginUrl() {
    var here = window.location.pathname + window.location.search;
    return "/login?next=" + encodeURIComponent(here);
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) event.detail.headers["X-CSRF-Token"] = token;
  });

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.status === 401) window.location.assign(loginUrl());
  });

  document.addEventListener("htmx:load", function (event) {
    addCsrfInputs(event.detail && event.detail.elt);
  });

  /* Confirmation dialogs: capture phase, so we run before htmx and the browser act. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-confirm]");
    if (!el || el.tagName === "FORM") return;
    var isSubmit = (el.tagName === "BUTTON" && (el.type || "submit") === "submit") ||
      (el.tagName === "INPUT" && el.type === "submit");
    if (isSubmit && el.form) return; /* handled by the submit listener */
    if (!window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  function wsUrl(url) {
    if (/^wss?:\/\//.test(url)) return url;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + url;
  }

  function connect(url, options) {
    var opts = options || {};
    var indicator = opts.indicator || document.querySelector("[data-live-indicator]");
    var maxAttempts = typeof opts.maxAttempts === "number" ? opts.maxAttempts : Infinity;
    var baseDelay = opts.baseDelay || 500;
    var maxDelay = opts.maxDelay || 30000;
    var socket = null;
    var attempt = 0;
    var timer = null;
    var closedByUs = false;
    var state = null;

    function setState(next) {
      if (next === state) return;
      state = next;
      if (indicator) {
        indicator.setAttribute("data-state", next);
        indicator.textContent = STATE_LABELS[next] || "";
        indicator.hidden = next === "closed";
      }
      if (typeof opts.onState === "function") opts.onState(next);
    }

    function schedule() {
      attempt += 1;
      if (attempt > maxAttempts) {
        setState("offline");
        return;
      }
      var delay = Math.min(maxDelay, baseDelay * Math.pow(2, Math.min(attempt - 1, 10)));
      delay = delay / 2 + Math.random() * delay / 2; /* jitter */
      setState("reconnecting");
      timer = window.setTimeout(open, delay);
    }

    function open() {
      timer = null;
      setState(attempt === 0 ? "connecting" : "reconnecting");
      try {
        socket = new WebSocket(wsUrl(url));
      } catch (err) {
        socket = null;
        schedule();
        return;
      }
      socket.addEventListener("open", function () {
        attempt = 0;
        setState("live");
      });
      socket.addEventListener("message", function (event) {
        if (typeof opts.onMessage !== "function") return;
        var data = event.data;
        if (opts.json !== false && typeof data === "string") {
          try { data = JSON.parse(data); } catch (err) { /* not JSON: pass the text */ }
        }
        opts.onMessage(data, event);
      });
      socket.addEventListener("close", function (event) {
        socket = null;
        if (closedByUs) {
          setState("closed");
        } else if (event.code === 4401 || event.code === 1008) {
          window.location.assign(loginUrl()); /* session ended or refused */
        } else {
          schedule();
        }
      });
    }

    window.addEventListener("online", function () {
      if (!socket && !closedByUs && timer !== null) {
        window.clearTimeout(timer);
        open();
      }
    });

    open();
    return {
      send: function (data) {
        if (!socket || socket.readyState !== WebSocket.OPEN) return false;
        socket.send(typeof data === "string" ? data : JSON.stringify(data));
        return true;
      },
      close: function () {
        closedByUs = true;
        if (timer !== null) window.clearTimeout(timer);
        if (socket) socket.close(1000);
        else setState("closed");
      },
      state: function () { return state; }
    };
  }

  /* tollfree editor: a <dialog data-tf-dialog> swapped in by htmx opens as a modal dialog, so
   * the keyboard focus moves into it (Escape and its Cancel button close it natively). */
  document.addEventListener("htmx:load", function (event) {
    var root = event.detail && event.detail.elt;
    if (!root || !root.querySelectorAll) return;
    var dialogs = Array.prototype.slice.call(root.querySelectorAll("dialog[data-tf-dialog]"));
    if (root.matches && root.matches("dialog[data-tf-dialog]")) dialogs.push(root);
    dialogs.forEach(function (dialog) {
      if (!dialog.open && dialog.isConnected && typeof dialog.showModal === "function") dialog.showModal();
    });
  });

  window.Portal = { connect: connect, csrfToken: csrfToken, addCsrfInputs: addCsrfInputs };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { addCsrfInputs(document); });
  } else {
    addCsrfInputs(document);
  }
})();
