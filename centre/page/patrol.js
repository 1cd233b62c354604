/* The patrol panel: the runner's timeline (one lane per drone, each sortie a bar coloured by its
   live state, a "now" line on the runner's schedule clock), where each drone is in its sortie,
   the revisit limits at risk, check tasks, launch confirmations and the runner's events.
   app.js calls gpPatrol(api) once; everything shown is text (textContent), never markup. */
window.gpPatrol = function (api) {
  "use strict";
  var t = api.t, html = api.html, svgEl = api.el, live = api.live;
  var ACTIVE = ["preflight", "uploading", "waiting_confirm", "airborne"];
  var LANE = 20, AXIS = 18, LABEL = 90, MAX_LANES = 20;
  var timeline = null, sorties = {}, tasks = {}, events = [], schedule = null, heardAt = 0;
  var checkErrors = {}, pending = false;
  var panel = document.getElementById("patrol");
  var strip = document.getElementById("timeline-panel");
  var svg = document.getElementById("timeline");
  var nameInput = document.getElementById("operator-name");
  var message = document.getElementById("patrol-message");

  var label = document.getElementById("operator-label");
  label.insertBefore(html("span", {}, null, t("operator_name")), label.firstChild);
  document.getElementById("patrol-empty").textContent = t("no_patrol");
  document.getElementById("timeline-title").textContent = t("timeline");
  ["patrol", "sorties_now", "at_risk", "tasks", "events"].forEach(function (key) {
    document.getElementById("h-" + key).textContent = t(key);
  });
  try { nameInput.value = window.localStorage.getItem("gridpatrol.ackName") || ""; } catch (e) { /* storage off */ }
  nameInput.addEventListener("change", function () {
    try { window.localStorage.setItem("gridpatrol.ackName", nameInput.value.trim()); } catch (e) { /* storage off */ }
  });

  function stateLabel(state) {
    var text = t("state." + state);
    return text === "state." + state ? String(state) : text;
  }

  function minutes(s) { return (s / 60).toFixed(s < 600 ? 1 : 0); }

  function heard(clock) {
    if (clock && typeof clock.schedule_s === "number") { schedule = clock; heardAt = performance.now(); }
  }

  function scheduleNow() {
    if (!schedule) return null;
    return schedule.schedule_s + (performance.now() - heardAt) / 1000 * schedule.clock_rate;
  }

  function apply(p) {
    if (!p || typeof p !== "object") return;
    panel.hidden = false;
    timeline = p.timeline || null;
    sorties = {}; tasks = {};
    (p.sorties || []).forEach(function (s) { sorties[s.sortie] = s; });
    (p.tasks || []).forEach(function (k) { tasks[k.id] = k; });
    events = (p.events || []).slice(-50);
    heard(p.schedule);
    render();
  }

  function update(m) {
    var d = m.data || {};
    if (m.kind === "timeline") { timeline = d; heard({ schedule_s: d.schedule_s, clock_rate: d.clock_rate }); }
    else if (m.kind === "sortie") { sorties[d.sortie] = d; heard(d.schedule); }
    else if (m.kind === "task") { tasks[d.id] = d; }
    else if (m.kind === "event") { events.push(d); events = events.slice(-50); heard(d.schedule); }
    else if (m.kind === "cleared") { delete (d.kind === "sortie" ? sorties : tasks)[d.id]; }
    render();
  }

  /* Coalesce a burst of messages into one drawing per frame. */
  function render() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; draw(); });
  }

  function draw() {
    var any = timeline || Object.keys(sorties).length || Object.keys(tasks).length || events.length;
    document.getElementById("patrol-empty").hidden = !!any;
    strip.hidden = !(timeline || Object.keys(sorties).length);
    drawTimeline();
    drawWhere();
    drawRisk();
    drawTasks();
    drawEvents();
    api.refresh();
  }

  function bars() {
    var out = {};
    ((timeline && timeline.sorties) || []).forEach(function (s) {
      out[s.id] = { id: s.id, drone: s.drone, kind: s.kind, start_s: s.start_s, end_s: s.end_s, state: "planned" };
    });
    Object.keys(sorties).forEach(function (id) {
      var s = sorties[id];
      out[id] = { id: id, drone: s.drone, kind: s.kind, start_s: s.start_s, end_s: s.end_s, state: s.state,
        reason: s.reason, item: s.item, items: s.items };
    });
    return Object.keys(out).map(function (id) { return out[id]; });
  }

  function drawTimeline() {
    svg.textContent = "";
    if (strip.hidden) return;
    var list = bars();
    var lanes = ((timeline && timeline.drones) || []).slice();
    list.forEach(function (b) { if (lanes.indexOf(b.drone) < 0) lanes.push(b.drone); });
    var hidden = Math.max(0, lanes.length - MAX_LANES);
    lanes = lanes.slice(0, MAX_LANES);
    var lo = 0, hi = timeline && timeline.horizon_s > 0 ? timeline.horizon_s : 0;
    if (!hi) list.forEach(function (b) { lo = Math.min(lo, b.start_s); hi = Math.max(hi, b.end_s); });
    if (!(hi > lo)) hi = lo + 3600;
    var width = Math.max(svg.clientWidth || 0, 400), height = AXIS + lanes.length * LANE + (hidden ? LANE : 0);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("height", height);
    var x = function (s) { return LABEL + Math.min(Math.max((s - lo) / (hi - lo), 0), 1) * (width - LABEL - 4); };
    var step = [600, 1800, 3600, 7200, 10800, 21600, 43200].filter(function (v) { return (hi - lo) / v <= 12; })[0] || 86400;
    for (var s = Math.ceil(lo / step) * step; s <= hi; s += step) {
      svgEl("line", { x1: x(s), x2: x(s), y1: AXIS - 4, y2: height, "class": "tick" }, svg);
      svgEl("text", { x: x(s) + 2, y: AXIS - 6, "class": "tick-label" }, svg, clockText(s));
    }
    lanes.forEach(function (drone, i) {
      svgEl("text", { x: 4, y: AXIS + i * LANE + 14, "class": "lane-label" }, svg, drone);
    });
    if (hidden) svgEl("text", { x: 4, y: AXIS + lanes.length * LANE + 14, "class": "lane-label" }, svg, t("more_lanes", { n: hidden }));
    list.forEach(function (b) {
      var lane = lanes.indexOf(b.drone);
      if (lane < 0) return;
      var x0 = x(b.start_s), x1 = Math.max(x(b.end_s), x0 + 2);
      var rect = svgEl("rect", { x: x0.toFixed(1), y: AXIS + lane * LANE + 3, width: (x1 - x0).toFixed(1), height: LANE - 6,
        "class": "bar state-" + b.state + (b.kind === "check" ? " check" : ""), "data-sortie": b.id, "data-state": b.state }, svg);
      svgEl("title", {}, rect, b.id + " · " + b.drone + " · " + stateLabel(b.state) + " · " + clockText(b.start_s) + "–" +
        clockText(b.end_s) + (b.reason ? " · " + b.reason : ""));
    });
    var now = scheduleNow();
    if (now !== null) {
      svgEl("line", { id: "now-line", x1: x(now), x2: x(now), y1: 0, y2: height, "data-schedule-s": now.toFixed(0) }, svg);
    }
    document.getElementById("timeline-clock").textContent = now === null ? "" :
      t("schedule_clock", { time: clockText(now), rate: schedule.clock_rate });
  }

  /* Schedule seconds as a local clock time when the timeline's start is a date, else +h:mm. */
  function clockText(s) {
    var start = timeline && Date.parse(timeline.start);
    if (start && isFinite(start)) {
      var d = new Date(start + s * 1000);
      return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
    }
    var m = Math.floor(Math.max(s, 0) / 60);
    return "+" + Math.floor(m / 60) + ":" + String(m % 60).padStart(2, "0");
  }

  /* The newest sortie in progress of each drone. */
  function activeByDrone() {
    var by = {};
    Object.keys(sorties).forEach(function (id) {
      var s = sorties[id];
      if (ACTIVE.indexOf(s.state) >= 0 && (!by[s.drone] || by[s.drone].time <= s.time)) by[s.drone] = s;
    });
    return by;
  }

  function whereText(s) {
    var text = t("sortie_where", { sortie: s.sortie, state: stateLabel(s.state) });
    if (typeof s.item === "number" && typeof s.items === "number") text += " · " + t("sortie_item", { item: s.item, items: s.items });
    return text;
  }

  function drawWhere() {
    var list = document.getElementById("sortie-where");
    list.textContent = "";
    var by = activeByDrone(), drones = Object.keys(by).sort();
    if (!drones.length) html("li", { "class": "empty" }, list, t("no_sortie_now"));
    drones.forEach(function (drone) {
      var s = by[drone];
      var li = html("li", { "data-drone": drone, "data-sortie": s.sortie, "data-state": s.state }, list, drone + " · " + whereText(s));
      if (s.state === "waiting_confirm" && live) {
        var b = html("button", { type: "button", "class": "confirm", "data-sortie": s.sortie }, li, t("confirm_button"));
        b.addEventListener("click", function () { confirmLaunch(s.sortie, b); });
      }
    });
  }

  function drawRisk() {
    var list = document.getElementById("at-risk");
    list.textContent = "";
    var risks = (timeline && timeline.at_risk) || [];
    if (!risks.length) html("li", { "class": "empty" }, list, t(timeline ? "no_risk" : "no_timeline"));
    risks.forEach(function (r) {
      html("li", { "data-area": r.area, "class": "risk" }, list, t("risk_line", {
        area: r.area, gap: minutes(r.worst_gap_min * 60), limit: minutes(r.limit_min * 60)
      }) + (r.reason ? " · " + r.reason : ""));
    });
  }

  function taskText(k) {
    var text = t("task_line", { state: stateLabel(k.state) });
    if (k.drone) text += " · " + k.drone;
    if (typeof k.eta_s === "number" && ["queued", "assigned", "airborne"].indexOf(k.state) >= 0) text += " · " + t("task_eta", { min: minutes(k.eta_s) });
    if (k.reason) text += " · " + k.reason;
    return text;
  }

  function drawTasks() {
    var list = document.getElementById("tasks");
    list.textContent = "";
    var all = Object.keys(tasks).map(function (id) { return tasks[id]; }).sort(function (a, b) { return b.time - a.time; });
    if (!all.length) html("li", { "class": "empty" }, list, t("no_tasks"));
    all.slice(0, 20).forEach(function (k) {
      html("li", { "data-task": k.id, "data-state": k.state }, list, k.id + " · " + (k.alert_id || "") + " · " + taskText(k));
    });
  }

  function drawEvents() {
    var list = document.getElementById("patrol-events");
    list.textContent = "";
    events.slice(-10).reverse().forEach(function (e) {
      var at = new Date(e.time * 1000);
      var when = isFinite(at.getTime()) ? at.toTimeString().slice(0, 8) : "";
      html("li", { "data-code": e.code, "class": "event-" + e.code }, list, when + " " + e.code + ": " + e.text);
    });
    if (!events.length) html("li", { "class": "empty" }, list, t("no_events"));
  }

  function taskFor(alertId) {
    var found = null;
    Object.keys(tasks).forEach(function (id) {
      var k = tasks[id];
      if (k.alert_id === alertId && (!found || k.time >= found.time)) found = k;
    });
    return found;
  }

  /* The "send a drone to check" button of one alert in the list, and its task's state. */
  function alertControls(li, a) {
    var k = taskFor(a.id);
    if (k) html("span", { "class": "task-state", "data-alert-id": a.id, "data-state": k.state }, li, taskText(k));
    if (checkErrors[a.id]) html("span", { "class": "message check-message", "data-alert-id": a.id }, li, checkErrors[a.id]);
    if (!live || typeof a.lat !== "number") return;
    var b = html("button", { type: "button", "class": "check", "data-alert-id": a.id }, li, t("check_button"));
    b.disabled = !!(k && ["requested", "queued", "assigned", "airborne", "arrived"].indexOf(k.state) >= 0);
    b.addEventListener("click", function () {
      b.disabled = true;
      b.textContent = t("check_sending");
      post("api/alerts/" + encodeURIComponent(a.id) + "/check", { by: nameInput.value.trim() }).then(function (res) {
        delete checkErrors[a.id];
        if (res.body.task) tasks[res.body.task.id] = res.body.task;
        if (!res.ok) checkErrors[a.id] = t("check_failed", { error: res.body.error || "?" });
        render();
      });
    });
  }

  function confirmLaunch(sortie, button) {
    var by = nameInput.value.trim();
    if (!by) { message.textContent = t("name_needed"); nameInput.focus(); return; }
    button.disabled = true;
    message.textContent = t("check_sending");
    post("api/sorties/" + encodeURIComponent(sortie) + "/confirm", { by: by }).then(function (res) {
      message.textContent = res.ok ? t("confirm_sent", { sortie: sortie, by: res.body.confirmed_by })
        : t("confirm_failed", { error: res.body.error || "?" });
      button.disabled = false;
    });
  }

  /* POST JSON (the server's CSRF rule); always resolves to {ok, body}, never rejects. */
  function post(path, body) {
    return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" },
      credentials: "same-origin", body: JSON.stringify(body) })
      .then(function (r) {
        return r.json().then(function (b) { return { ok: r.ok, body: b || {} }; },
          function () { return { ok: false, body: { error: "HTTP " + r.status } }; });
      })
      .catch(function (err) { return { ok: false, body: { error: String(err) } }; });
  }

  document.getElementById("point-label").textContent = t("point_check");
  document.getElementById("point-button").textContent = t("point_button");
  document.getElementById("point-form").hidden = !live;
  document.getElementById("point-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var lat = parseFloat(document.getElementById("point-lat").value);
    var lon = parseFloat(document.getElementById("point-lon").value);
    message.textContent = t("check_sending");
    post("api/tasks/check", { lat: lat, lon: lon, by: nameInput.value.trim() }).then(function (res) {
      if (res.body.task) tasks[res.body.task.id] = res.body.task;
      message.textContent = res.ok ? t("point_sent", { id: res.body.task.id }) : t("check_failed", { error: res.body.error || "?" });
      render();
    });
  });

  function droneNote(name) {
    var s = activeByDrone()[name];
    return s ? whereText(s) : "";
  }

  panel.hidden = !live;
  window.setInterval(function () { if (schedule && !strip.hidden && !pending) drawTimeline(); }, 1000);
  return { apply: apply, update: update, alertControls: alertControls, droneNote: droneNote };
};
