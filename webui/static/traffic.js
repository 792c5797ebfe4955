/* Switchboard traffic pages: the live monitor (websocket client) and the history chart.
 * CSP-safe: no eval, no inline code, no style attributes (uPlot sizes its elements through
 * element.style properties, which `style-src 'self'` allows).
 *
 * Live protocol (docs/traffic-contracts.md "Live websocket protocol"):
 *  - connect to wss://<this host>/traffic/live/ws?select=<value>[&since=<stamp of the last frame>]
 *  - hello {now, window, selection, choices, resumed, fields}: not resumed → start from nothing
 *  - frame {stamp, points: [[second, v0..v10, concurrent]], calls: [CallSummary]}: points are
 *    absolute values (applying one twice is harmless); calls replace by call_id, the newest
 *    `data-recent` are kept
 *  - ping {now}
 *  - closed: 4404 = selection not available (no retry); anything else → reconnect with backoff
 *    0.5 s, 1 s, 2 s, 4 s, 5 s… passing `since`, so the server resends what was missed.
 * Redraws happen at most once per animation frame (and once a second, so the window slides).
 */
(function () {
  "use strict";

  var STATUS_TEXT = { connecting: "connecting…", live: "live", reconnecting: "reconnecting…" };
  var MIN_DELAY = 500;
  var MAX_DELAY = 5000;

  function cssColor(name, fallback) {
    var value = window.getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function utcDate(ts) {
    return window.uPlot.tzDate(new Date(ts * 1000), "Etc/UTC");
  }

  /* x-axis labels in UTC, 24 h; the date under the first tick and under midnight */
  function timeLabels(u, splits) {
    return splits.map(function (s, i) {
      var iso = new Date(s * 1000).toISOString();
      var hm = iso.slice(11, 16);
      return i === 0 || hm === "00:00" ? hm + "\n" + iso.slice(0, 10) : hm;
    });
  }

  function chartWidth(el) {
    return Math.max(240, Math.floor(el.clientWidth || el.getBoundingClientRect().width || 600));
  }

  function makeChart(el, series, height) {
    var opts = {
      width: chartWidth(el),
      height: height,
      tzDate: utcDate,
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
      series: [{}].concat(series.map(function (s) {
        return { label: s.label, stroke: s.color, width: 2, points: { show: false } };
      })),
      axes: [{ values: timeLabels, space: 60 }, { size: 50 }]
    };
    var empty = [[]].concat(series.map(function () { return []; }));
    var chart = new window.uPlot(opts, empty, el);
    if (typeof window.ResizeObserver === "function") {
      new window.ResizeObserver(function () {
        var w = chartWidth(el);
        if (w !== chart.width) chart.setSize({ width: w, height: height });
      }).observe(el);
    }
    return chart;
  }

  function fmtPct(v) { return v === null ? "—" : (v * 100).toFixed(1) + " %"; }
  function fmtSecs(v) { return v === null ? "—" : v.toFixed(1) + " s"; }
  function ratio(a, b) { return b ? a / b : null; }
  function utcTime(epoch) {
    return epoch === null || epoch === undefined ? "—" : new Date(epoch * 1000).toISOString().slice(11, 19);
  }

  var WORDS = {
    answered: "Answered", short: "Short call", abandoned: "Didn't wait", no_answer: "Didn't answer",
    busy: "Busy", all_trunks_busy: "All trunks busy", blocked: "Blocked", failed: "Failed"
  };

  /* ---- the live monitor ------------------------------------------------------------------- */

  function LiveMonitor(root) {
    this.root = root;
    this.path = root.getAttribute("data-ws-url") || "/traffic/live/ws";
    this.select = root.getAttribute("data-select") || "all";
    this.window = parseInt(root.getAttribute("data-window"), 10) || 900;
    this.recentMax = parseInt(root.getAttribute("data-recent"), 10) || 50;
    this.status = document.getElementById("traffic-status");
    this.problem = document.getElementById("traffic-problem");
    this.selector = document.getElementById("traffic-select");
    this.tbody = document.getElementById("traffic-recent");
    this.tiles = {};
    var tiles = root.querySelectorAll("[data-tile]");
    for (var i = 0; i < tiles.length; i++) this.tiles[tiles[i].getAttribute("data-tile")] = tiles[i];
    this.fields = null;
    this.index = {};
    this.points = {};      /* second → [v0..v10, concurrent] */
    this.calls = {};       /* call_id → CallSummary */
    this.since = null;     /* stamp of the last applied frame */
    this.offset = 0;       /* server clock − browser clock (ms) */
    this.attempt = 0;
    this.socket = null;
    this.timer = null;
    this.pending = false;
    this.callsDirty = true;
    var el = document.getElementById("traffic-chart-rates");
    var con = document.getElementById("traffic-chart-concurrent");
    this.ratesEl = el;
    this.concurrentEl = con;
    this.rates = makeChart(el, [
      { label: "Offered", color: cssColor("--c-primary", "#1f4e79") },
      { label: "Answered", color: cssColor("--c-success", "#1e7a3c") },
      { label: "Blocked", color: cssColor("--c-danger", "#b42318") }
    ], 240);
    this.concurrent = makeChart(con, [{ label: "Concurrent", color: cssColor("--c-accent", "#0f7b6c") }], 240);
    var self = this;
    if (this.selector) {
      this.selector.addEventListener("change", function () { self.choose(self.selector.value); });
    }
    window.setInterval(function () { self.schedule(false); }, 1000);
    this.setStatus("connecting");
    this.connect();
  }

  LiveMonitor.prototype.setStatus = function (state, text) {
    if (!this.status) return;
    var label = text || STATUS_TEXT[state] || state;
    if (this.status.getAttribute("data-state") === state && this.status.textContent === label) return;
    this.status.setAttribute("data-state", state);
    this.status.textContent = label;
  };

  LiveMonitor.prototype.url = function () {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var q = "?select=" + encodeURIComponent(this.select);
    if (this.since !== null) q += "&since=" + encodeURIComponent(String(this.since));
    return scheme + window.location.host + this.path + q;
  };

  LiveMonitor.prototype.connect = function () {
    var self = this;
    var ws;
    this.timer = null;
    try {
      ws = new WebSocket(this.url());
    } catch (err) {
      this.retry();
      return;
    }
    this.socket = ws;
    ws.addEventListener("message", function (event) {
      if (self.socket !== ws || typeof event.data !== "string") return;
      var msg;
      try { msg = JSON.parse(event.data); } catch (err) { return; }
      self.receive(msg);
    });
    ws.addEventListener("close", function (event) {
      if (self.socket !== ws) return; /* replaced on purpose */
      self.socket = null;
      if (event.code === 4404) {
        self.setStatus("error", "not available");
        self.showProblem(event.reason || "This selection is not available to you.");
        return;
      }
      self.retry();
    });
  };

  LiveMonitor.prototype.retry = function () {
    var self = this;
    var delay = Math.min(MAX_DELAY, MIN_DELAY * Math.pow(2, this.attempt));
    this.attempt += 1;
    this.setStatus("reconnecting");
    if (this.attempt >= 3) this.checkSession();
    this.timer = window.setTimeout(function () { self.connect(); }, delay);
  };

  /* After repeated failures: if the session has ended, go to the login page. */
  LiveMonitor.prototype.checkSession = function () {
    if (typeof window.fetch !== "function") return;
    window.fetch(window.location.pathname, { credentials: "same-origin", redirect: "manual" })
      .then(function (r) {
        if (r.type === "opaqueredirect" || r.status === 401) {
          var here = window.location.pathname + window.location.search;
          window.location.assign("/login?next=" + encodeURIComponent(here));
        }
      })
      .catch(function () { /* offline: keep retrying */ });
  };

  LiveMonitor.prototype.showProblem = function (text) {
    if (!this.problem) return;
    this.problem.textContent = text;
    this.problem.hidden = !text;
  };

  LiveMonitor.prototype.choose = function (value) {
    if (value === this.select) return;
    this.select = value;
    this.since = null;
    this.points = {};
    this.calls = {};
    this.callsDirty = true;
    this.attempt = 0;
    this.showProblem("");
    if (this.timer !== null) { window.clearTimeout(this.timer); this.timer = null; }
    var old = this.socket;
    this.socket = null;
    if (old) old.close(1000);
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname + "?select=" + encodeURIComponent(value));
    }
    this.setStatus("connecting");
    this.schedule(true);
    this.connect();
  };

  LiveMonitor.prototype.receive = function (msg) {
    if (msg.type === "hello") this.hello(msg);
    else if (msg.type === "frame") this.frame(msg);
    else if (msg.type === "ping" && typeof msg.now === "number") this.offset = msg.now - Date.now();
  };

  LiveMonitor.prototype.hello = function (msg) {
    this.attempt = 0;
    if (typeof msg.now === "number") this.offset = msg.now - Date.now();
    if (typeof msg.window === "number") this.window = msg.window;
    this.fields = msg.fields || this.fields;
    this.index = {};
    for (var i = 0; i < (this.fields || []).length; i++) this.index[this.fields[i]] = i;
    if (!msg.resumed) {
      this.points = {};
      this.calls = {};
      this.callsDirty = true;
    }
    if (msg.selection && msg.selection.value) this.select = msg.selection.value;
    this.fillChoices(msg.choices || [], this.select);
    this.showProblem("");
    this.setStatus("live");
    this.schedule(true);
  };

  LiveMonitor.prototype.fillChoices = function (choices, selected) {
    var sel = this.selector;
    if (!sel || !choices.length) return;
    var same = sel.options.length === choices.length;
    for (var i = 0; same && i < choices.length; i++) {
      same = sel.options[i].value === choices[i].value && sel.options[i].textContent === choices[i].label;
    }
    if (!same) {
      while (sel.firstChild) sel.removeChild(sel.firstChild);
      choices.forEach(function (c) {
        var opt = document.createElement("option");
        opt.value = c.value;
        opt.textContent = c.label;
        sel.appendChild(opt);
      });
    }
    sel.value = selected;
  };

  LiveMonitor.prototype.frame = function (msg) {
    var points = msg.points || [];
    for (var i = 0; i < points.length; i++) this.points[points[i][0]] = points[i].slice(1);
    var calls = msg.calls || [];
    for (var j = 0; j < calls.length; j++) this.calls[calls[j].call_id] = calls[j];
    if (calls.length) this.callsDirty = true;
    if (typeof msg.stamp === "number") this.since = msg.stamp;
    this.schedule(true);
  };

  /* at most one redraw per animation frame */
  LiveMonitor.prototype.schedule = function (changed) {
    if (changed) this.changed = true;
    if (this.pending) return;
    this.pending = true;
    var self = this;
    window.requestAnimationFrame(function () {
      self.pending = false;
      self.draw();
    });
  };

  LiveMonitor.prototype.draw = function () {
    var end = Math.floor((Date.now() + this.offset) / 1000);
    var start = end - this.window + 1;
    for (var key in this.points) {
      if (+key > end) end = +key; /* a point from the server's future: its clock is ahead */
    }
    start = end - this.window + 1;
    var ix = this.index;
    var nf = this.fields ? this.fields.length : 12;
    var iConc = ix.concurrent !== undefined ? ix.concurrent : nf - 1;
    /* concurrency carries forward from the newest point before the window */
    var carry = 0;
    var before = null;
    var k;
    for (k in this.points) {
      if (+k < start && (before === null || +k > before)) before = +k;
    }
    if (before !== null) carry = this.points[before][iConc] || 0;
    for (k in this.points) {
      if (+k < start - 60 && +k !== before) delete this.points[k]; /* a minute of slack */
    }
    var xs = [], off = [], ans = [], blk = [], conc = [];
    var sum = {};
    var names = ["offered", "answered", "short", "abandoned", "no_answer", "busy", "all_trunks_busy",
      "blocked", "failed", "talk_seconds", "tta_ms"];
    names.forEach(function (n) { sum[n] = 0; });
    var peak = 0;
    for (var sec = start; sec <= end; sec++) {
      var p = this.points[sec];
      xs.push(sec);
      if (p) {
        for (var n = 0; n < names.length; n++) {
          var idx = ix[names[n]];
          if (idx !== undefined) sum[names[n]] += p[idx] || 0;
        }
        carry = p[iConc] || 0;
      }
      off.push(p && ix.offered !== undefined ? p[ix.offered] : 0);
      ans.push(p && ix.answered !== undefined ? p[ix.answered] : 0);
      blk.push(p && ix.blocked !== undefined ? p[ix.blocked] : 0);
      conc.push(carry);
      if (carry > peak) peak = carry;
    }
    this.rates.setData([xs, off, ans, blk]);
    this.concurrent.setData([xs, conc]);
    this.ratesEl.setAttribute("data-offered-total", String(sum.offered));
    this.concurrentEl.setAttribute("data-current", String(carry));
    var effective = sum.answered + sum.busy + sum.no_answer + sum.short + sum.abandoned + sum.blocked;
    var tta = ratio(sum.tta_ms, sum.answered);
    this.tile("offered", String(sum.offered));
    this.tile("answered", String(sum.answered));
    this.tile("asr", fmtPct(ratio(sum.answered, sum.offered)));
    this.tile("ner", fmtPct(ratio(effective, sum.offered)));
    this.tile("acd", fmtSecs(ratio(sum.talk_seconds, sum.answered)));
    this.tile("tta", fmtSecs(tta === null ? null : tta / 1000));
    this.tile("concurrent", String(carry));
    this.tile("peak", String(peak));
    if (this.callsDirty) this.drawCalls();
    this.changed = false;
  };

  LiveMonitor.prototype.tile = function (name, text) {
    var el = this.tiles[name];
    if (el && el.textContent !== text) el.textContent = text;
  };

  LiveMonitor.prototype.drawCalls = function () {
    this.callsDirty = false;
    var all = [];
    for (var id in this.calls) all.push(this.calls[id]);
    all.sort(function (a, b) {
      var d = (b.start || b.updated || 0) - (a.start || a.updated || 0);
      return d !== 0 ? d : (a.call_id < b.call_id ? 1 : -1);
    });
    var keep = all.slice(0, this.recentMax);
    var kept = {};
    keep.forEach(function (c) { kept[c.call_id] = c; });
    this.calls = kept;
    var tbody = this.tbody;
    if (!tbody) return;
    var frag = document.createDocumentFragment();
    keep.forEach(function (c) { frag.appendChild(callRow(c)); });
    if (!keep.length) {
      var tr = document.createElement("tr");
      tr.className = "traffic-empty";
      var td = document.createElement("td");
      td.colSpan = 7;
      td.className = "empty";
      td.textContent = "No calls in the last " + Math.round(this.window / 60) + " minutes yet.";
      tr.appendChild(td);
      frag.appendChild(tr);
    }
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    tbody.appendChild(frag);
  };

  function cell(tr, text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    tr.appendChild(td);
    return td;
  }

  function callRow(c) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-call", c.call_id);
    cell(tr, utcTime(c.start));
    cell(tr, c.number || "—");
    cell(tr, c.ani || "—");
    cell(tr, c.site ? "site " + c.site : (c.destination || "—"));
    var disp = cell(tr, c.disposition ? (WORDS[c.disposition] || c.disposition) : "In progress");
    disp.setAttribute("data-disposition", c.disposition || "open");
    cell(tr, c.billable === null || c.billable === undefined ? "—" : c.billable + " s", "num");
    var td = document.createElement("td");
    var a = document.createElement("a");
    a.href = "/traffic/calls/" + encodeURIComponent(c.call_id);
    a.textContent = "Details";
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = " of call " + c.call_id;
    a.appendChild(hidden);
    td.appendChild(a);
    tr.appendChild(td);
    return tr;
  }

  /* ---- the history chart ------------------------------------------------------------------ */

  function historyChart(el) {
    var data;
    try { data = JSON.parse(el.getAttribute("data-series") || "{}"); } catch (err) { return; }
    if (!data.times) return;
    var chart = makeChart(el, [
      { label: "Offered", color: cssColor("--c-primary", "#1f4e79") },
      { label: "Answered", color: cssColor("--c-success", "#1e7a3c") },
      { label: "Blocked", color: cssColor("--c-danger", "#b42318") }
    ], 260);
    chart.setData([data.times, data.offered, data.answered, data.blocked]);
  }

  function start() {
    if (typeof window.uPlot !== "function") return;
    var live = document.querySelector("[data-traffic-live]");
    if (live) window.trafficLive = new LiveMonitor(live);
    var hist = document.getElementById("traffic-chart-history");
    if (hist) historyChart(hist);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
