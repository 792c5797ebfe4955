"""`GET /chat.js`: the ticket page's chat panel script (served by the resource, chat_ws.py).

It binds `[data-chat]` (again after an htmx swap of the page), opens the browser WebSocket at
its `data-ws-url`, shows the transcript (the `history` frame replaces the server-rendered one,
so a reconnect never shows a message twice), appends each `message`, says whether support (for
staff: the customer) is online, and sends the form's text as `{"type": "say"}` — without a
connection the form posts to the page instead. It reconnects with backoff, except after a
refusal (4400, 4403, 4404: shown) or a lost session (4401, 1008: to the login page). Messages
are built with textContent only.
"""

from __future__ import annotations

SCRIPT = """(function () {
  "use strict";
  if (window.TicketsChat) { window.TicketsChat.scan(); return; }
  var LABELS = { connecting: "Connecting…", live: "Live", reconnecting: "Connection lost — reconnecting…" };
  var REFUSED = { 4400: true, 4403: true, 4404: true };
  var current = null;

  function wsUrl(path) {
    if (/^wss?:\\/\\//.test(path)) return path;
    return (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + path;
  }

  function when(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  function item(m) {
    var li = document.createElement("li");
    li.className = "chat__message chat__message--" + m.author_kind;
    li.setAttribute("data-chat-message", String(m.id));
    li.setAttribute("data-kind", m.author_kind);
    var meta = document.createElement("p");
    meta.className = "muted";
    meta.textContent = when(m.at) + " — " + m.name + (m.author_kind === "staff" ? " (support)" : "");
    var text = document.createElement("p");
    text.textContent = m.text;
    li.appendChild(meta);
    li.appendChild(text);
    return li;
  }

  function Chat(root) {
    this.root = root;
    this.list = root.querySelector("[data-chat-transcript]");
    this.state = root.querySelector("[data-chat-state]");
    this.presence = root.querySelector("[data-chat-presence]");
    this.problem = root.querySelector("[data-chat-error]");
    this.form = root.querySelector("[data-chat-form]");
    this.socket = null;
    this.timer = null;
    this.attempt = 0;
    this.stopped = false;
    var self = this;
    if (this.form) {
      this.form.addEventListener("submit", function (event) {
        var box = self.form.querySelector("textarea");
        if (!box || !self.socket || self.socket.readyState !== WebSocket.OPEN) return;
        event.preventDefault();
        var text = box.value.trim();
        if (!text) { self.fail("The message is empty."); return; }
        self.socket.send(JSON.stringify({ type: "say", text: text }));
        box.value = "";
        self.fail("");
      });
    }
    this.open();
  }

  Chat.prototype.setState = function (text, name) {
    if (!this.state) return;
    this.state.textContent = text;
    this.state.setAttribute("data-state", name);
  };

  Chat.prototype.fail = function (message) {
    if (!this.problem) return;
    this.problem.textContent = message;
    this.problem.hidden = !message;
  };

  Chat.prototype.show = function (messages, replace) {
    if (replace) this.list.textContent = "";
    var empty = this.list.querySelector("[data-chat-empty]");
    if (empty && messages.length) empty.parentNode.removeChild(empty);
    for (var i = 0; i < messages.length; i++) {
      var m = messages[i];
      if (this.list.querySelector('[data-chat-message="' + String(m.id) + '"]')) continue;
      this.list.appendChild(item(m));
    }
    if (!this.list.children.length) {
      var li = document.createElement("li");
      li.className = "empty";
      li.setAttribute("data-chat-empty", "");
      li.textContent = "No messages yet.";
      this.list.appendChild(li);
    }
    this.list.scrollTop = this.list.scrollHeight;
  };

  Chat.prototype.onPresence = function (p) {
    if (!this.presence) return;
    var staff = this.root.getAttribute("data-viewer") === "staff";
    var text;
    if (staff) {
      var n = p.customers_online || 0;
      text = n === 1 ? "The customer is online" : n + " customer users are online";
      if (!n) text = "The customer is offline";
    } else {
      text = p.staff_online ? "Support is online" : "Support is offline: leave a message, we answer here";
    }
    this.presence.textContent = text;
    var online = staff ? (p.customers_online || 0) > 0 : !!p.staff_online;
    this.presence.setAttribute("data-online", String(online));
  };

  Chat.prototype.onFrame = function (frame) {
    if (!frame || typeof frame !== "object") return;
    if (frame.type === "history") this.show(frame.messages || [], true);
    else if (frame.type === "message") this.show([frame], false);
    else if (frame.type === "presence") this.onPresence(frame);
    else if (frame.type === "error") this.fail(String(frame.message || "The chat refused that."));
  };

  Chat.prototype.open = function () {
    var self = this;
    this.timer = null;
    var again = this.attempt > 0;
    this.setState(again ? LABELS.reconnecting : LABELS.connecting, again ? "reconnecting" : "connecting");
    try {
      this.socket = new WebSocket(wsUrl(this.root.getAttribute("data-ws-url")));
    } catch (err) {
      this.socket = null;
      this.schedule();
      return;
    }
    this.socket.addEventListener("open", function () {
      self.attempt = 0;
      self.setState(LABELS.live, "live");
    });
    this.socket.addEventListener("message", function (event) {
      var frame = null;
      try { frame = JSON.parse(event.data); } catch (err) { return; }
      self.onFrame(frame);
    });
    this.socket.addEventListener("close", function (event) {
      self.socket = null;
      if (self.stopped) return;
      if (event.code === 4401 || event.code === 1008) {
        window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
      } else if (REFUSED[event.code]) {
        self.stopped = true;
        self.setState("Chat unavailable: " + (event.reason || "refused"), "refused");
      } else {
        self.schedule();
      }
    });
  };

  Chat.prototype.schedule = function () {
    this.attempt += 1;
    var delay = Math.min(30000, 500 * Math.pow(2, Math.min(this.attempt - 1, 10)));
    delay = delay / 2 + Math.random() * delay / 2;
    this.setState(LABELS.reconnecting, "reconnecting");
    this.timer = window.setTimeout(this.open.bind(this), delay);
  };

  Chat.prototype.stop = function () {
    this.stopped = true;
    if (this.timer !== null) window.clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000);
  };

  function scan() {
    var root = document.querySelector("[data-chat][data-ws-url]");
    if (current && (current.root === root)) return;
    if (current) { current.stop(); current = null; }
    if (root) current = new Chat(root);
  }

  window.TicketsChat = { scan: scan };
  document.addEventListener("htmx:load", scan);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
  else scan();
})();
"""
