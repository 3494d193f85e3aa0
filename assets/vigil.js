// Vigil console behaviour (no inline script anywhere): SLA countdowns,
// times in the browser's zone when the person has none, filters that apply
// on change, copy buttons, and selections kept across live refreshes.
(function () {
  "use strict";
  function span(ms) {
    var m = Math.floor(Math.max(0, ms) / 60000);
    if (m < 1) return "under a minute";
    if (m < 60) return m + " min";
    if (m < 1440) return Math.floor(m / 60) + " h" + (m % 60 ? " " + (m % 60) + " min" : "");
    return Math.floor(m / 1440) + " d" + (Math.floor((m % 1440) / 60) ? " " + Math.floor((m % 1440) / 60) + " h" : "");
  }
  // The server's clock minus this device's, from the page's data-now.
  var skew = 0;
  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll(".sla[data-deadline]").forEach(function (el) {
      if (el.hasAttribute("data-met")) return;
      var start = +el.dataset.start, due = +el.dataset.deadline;
      var left = el.querySelector(".left");
      var state = now >= due ? "breach" : (now - start >= 0.8 * (due - start) ? "warn" : "ok");
      el.classList.remove("ok", "warn", "breach");
      el.classList.add(state);
      if (left) left.textContent = now >= due ? span(now - due) + " over" : span(due - now) + " left";
    });
  }
  function localTimes(root) {
    if (document.body.dataset.zone) return;
    var fmt = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      if (el.dataset.local || /ago$/.test(el.textContent)) return;
      var d = new Date(el.getAttribute("datetime"));
      if (!isNaN(d)) { el.textContent = fmt.format(d); el.dataset.local = "1"; }
    });
  }
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = document.body.dataset.csrf || "";
  });
  var kept = [];
  document.addEventListener("htmx:beforeSwap", function (e) {
    kept = Array.prototype.map.call(e.detail.target.querySelectorAll("input[name=ids]:checked"), function (c) { return c.value; });
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    kept.forEach(function (id) {
      var c = e.detail.target.querySelector("input[name=ids][value='" + id.replace(/'/g, "") + "']");
      if (c) c.checked = true;
    });
    localTimes(e.detail.target);
    tick();
  });
  document.addEventListener("change", function (e) {
    if (e.target.classList && e.target.classList.contains("autosubmit") && e.target.form) e.target.form.requestSubmit();
  });
  document.addEventListener("click", function (e) {
    var id = e.target.dataset && e.target.dataset.copy;
    if (!id) return;
    var input = document.getElementById(id);
    if (!input) return;
    input.select();
    if (navigator.clipboard) navigator.clipboard.writeText(input.value);
    e.target.textContent = "Copied";
  });
  document.addEventListener("DOMContentLoaded", function () {
    var server = +document.body.dataset.now;
    if (server) skew = server - Date.now();
    localTimes(document);
    tick();
    setInterval(tick, 1000);
  });
})();
// Rota calendar: picking a shift fills the override form with its layer,
// person and times, and moves to the form.
(function () {
  "use strict";
  function pick(bar) {
    if (!bar.dataset.start) return;
    var set = function (id, v) { var el = document.getElementById(id); if (el && v !== undefined) el.value = v; };
    // One's own shift fills the swap offer as well.
    if (bar.dataset.person === document.body.dataset.me) {
      set("sw-layer", bar.dataset.layer);
      set("sw-start", bar.dataset.start);
      set("sw-end", bar.dataset.end);
    }
    var form = document.getElementById("override") || document.getElementById("swaps");
    if (!form) return;
    set("ov-layer", bar.dataset.layer);
    set("ov-replaces", bar.dataset.person);
    set("ov-start", bar.dataset.start);
    set("ov-end", bar.dataset.end);
    document.querySelectorAll("svg.bar.picked").forEach(function (b) { b.classList.remove("picked"); });
    bar.classList.add("picked");
    form.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("click", function (e) {
    if (document.body.dataset.dragged === "1") { document.body.dataset.dragged = ""; return; }
    var bar = e.target.closest && e.target.closest("svg.bar[data-start]");
    if (bar) pick(bar);
  });
  // Dragging across a layer's row selects a time range (to the half hour)
  // for an override; times are written in the rota's zone.
  var drag = null;
  function instantAt(week, x) {
    var st = week.dataset.starts.split(",").map(Number);
    var f = Math.min(Math.max(x, 0), 1) * 7, d = Math.min(Math.floor(f), 6);
    var t = f >= 7 ? st[7] : st[d] + (f - d) * 86400000;
    return Math.round(t / 1800000) * 1800000;
  }
  function inZone(ms, zone) {
    var s = new Intl.DateTimeFormat("sv-SE", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(ms));
    return s.replace(" ", "T");
  }
  document.addEventListener("pointerdown", function (e) {
    var svg = e.target.closest && e.target.closest(".cal-row[data-layer] svg.cal-bars");
    if (svg && document.getElementById("override")) drag = { svg: svg, x0: e.clientX };
  });
  document.addEventListener("pointerup", function (e) {
    if (!drag) return;
    var d = drag; drag = null;
    if (Math.abs(e.clientX - d.x0) < 6) return;
    document.body.dataset.dragged = "1";
    var r = d.svg.getBoundingClientRect();
    var a = (Math.min(d.x0, e.clientX) - r.left) / r.width, b = (Math.max(d.x0, e.clientX) - r.left) / r.width;
    var week = d.svg.closest(".cal-week"), zone = document.getElementById("calendar").dataset.rotaZone;
    var set = function (id, v) { var el = document.getElementById(id); if (el) el.value = v; };
    set("ov-layer", d.svg.closest(".cal-row").dataset.layer);
    set("ov-start", inZone(instantAt(week, a), zone));
    set("ov-end", inZone(instantAt(week, b), zone));
    document.querySelectorAll("rect.selection").forEach(function (x) { x.remove(); });
    var sel = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    sel.setAttribute("class", "selection");
    sel.setAttribute("x", (a * 100).toFixed(2) + "%");
    sel.setAttribute("width", ((b - a) * 100).toFixed(2) + "%");
    sel.setAttribute("y", "0");
    sel.setAttribute("height", "30");
    d.svg.appendChild(sel);
    document.getElementById("override").scrollIntoView({ block: "nearest" });
  });
  document.addEventListener("keydown", function (e) {
    if ((e.key === "Enter" || e.key === " ") && e.target.matches && e.target.matches("svg.bar[data-start]")) {
      e.preventDefault();
      pick(e.target);
    }
  });
})();
