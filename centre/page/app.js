/* The command-centre map: district as SVG, drones and their tracks, alerts with evidence.
   Live mode listens to the server's Server-Sent Events; report mode draws an embedded snapshot. */
(function () {
  "use strict";
  var boot = JSON.parse(document.getElementById("gp-boot").textContent);
  var t = gpLabels(boot.lang);
  var zh = t.lang.indexOf("zh") === 0;
  var live = boot.mode === "live";
  var NS = "http://www.w3.org/2000/svg";
  var D = boot.district;
  var svg = document.getElementById("map");
  var alerts = {};
  var vehicles = {};
  var selected = null;
  var unreadable = false;  /* set once any data from the server could not be parsed */

  /* Parse the server's JSON; on failure say so in a banner rather than show an empty all-clear. */
  function readJSON(text) {
    try {
      return JSON.parse(text);
    } catch (e) {
      unreadable = true;
      document.getElementById("data-error").hidden = false;
      renderDrones();
      renderAlerts();
      return null;
    }
  }

  function showHealth(h) {
    var box = document.getElementById("health");
    var parts = [];
    if (h && h.quarantined > 0) parts.push(t("quarantined", { n: h.quarantined }));
    if (h && h.refused_records > 0) parts.push(t("refused_records", { n: h.refused_records }));
    if (h && h.patrol_quarantined > 0) parts.push(t("patrol_quarantined", { n: h.patrol_quarantined }));
    if (h && h.patrol_stale > 0) parts.push(t("patrol_stale", { n: h.patrol_stale }));
    box.textContent = parts.join(" ");
    box.hidden = !parts.length;
  }

  gpApplyLabels(t, document);
  if (!live) {
    document.title = t("report_title");
    document.querySelector("header h1 [data-label]").textContent = t("report_title");
  }
  document.getElementById("district-name").textContent = localName(D);
  var patrol = window.gpPatrol({ t: t, html: html, el: el, live: live,
    refresh: function () { renderDrones(); renderAlerts(); } });

  function localName(thing) {
    return (zh && thing.name_zh) || thing.name || thing.id || "";
  }

  function el(name, attrs, parent, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function html(name, attrs, parent, text) {
    var node = document.createElement(name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  /* Equirectangular about the district's middle latitude: exact enough over a few km. */
  var bounds = { minLon: Infinity, maxLon: -Infinity, minLat: Infinity, maxLat: -Infinity };
  D.boundary.concat.apply(D.boundary, D.cells.map(function (c) { return c.rings; }))
    .forEach(function (ring) {
      ring.forEach(function (p) {
        bounds.minLon = Math.min(bounds.minLon, p[0]); bounds.maxLon = Math.max(bounds.maxLon, p[0]);
        bounds.minLat = Math.min(bounds.minLat, p[1]); bounds.maxLat = Math.max(bounds.maxLat, p[1]);
      });
    });
  var kx = Math.cos(((bounds.minLat + bounds.maxLat) / 2) * Math.PI / 180);
  var WIDTH = 1000, PAD = 20;
  var scale = WIDTH / ((bounds.maxLon - bounds.minLon) * kx);
  var HEIGHT = (bounds.maxLat - bounds.minLat) * scale;
  var metre = scale / (111320 * kx);  /* SVG units per metre, for uncertainty circles */
  svg.setAttribute("viewBox", "0 0 " + (WIDTH + 2 * PAD) + " " + (HEIGHT + 2 * PAD).toFixed(1));

  function xy(lon, lat) {
    return [(lon - bounds.minLon) * kx * scale + PAD, (bounds.maxLat - lat) * scale + PAD];
  }
  function pts(list) {
    return list.map(function (p) { var q = xy(p[0], p[1]); return q[0].toFixed(1) + "," + q[1].toFixed(1); }).join(" ");
  }
  function pathD(rings) {
    return rings.map(function (r) { return "M" + pts(r).split(" ").join("L") + "Z"; }).join("");
  }

  var defs = el("defs", {}, svg);
  var hatch = el("pattern", { id: "hatch", width: 8, height: 8, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" }, defs);
  el("line", { x1: 0, y1: 0, x2: 0, y2: 8, "class": "hatch-line" }, hatch);
  var layer = {};
  ["cells", "zones", "labels", "planned", "tracks", "sites", "footprints", "alert-markers", "drones"].forEach(function (name) {
    layer[name] = el("g", { id: "layer-" + name }, svg);
  });

  el("path", { d: pathD(D.boundary), "class": "boundary", "fill-rule": "evenodd" }, layer.cells);
  D.cells.forEach(function (c) {
    var p = el("path", { d: pathD(c.rings), "class": "cell", "data-cell": c.id, "fill-rule": "evenodd" }, layer.cells);
    el("title", {}, p, t("cell_team", { cell: c.id, team: c.team }) + " · " + c.community);
    var at = xy(c.label[0], c.label[1]);
    el("text", { x: at[0].toFixed(1), y: at[1].toFixed(1), "class": "cell-label" }, layer.labels, String(c.id));
  });
  D.key_areas.forEach(function (a) {
    var p = el("path", { d: pathD(a.rings), "class": "key-area prio-" + a.priority, "fill-rule": "evenodd" }, layer.zones);
    el("title", {}, p, t("key_area") + ": " + localName(a));
  });
  D.no_fly.forEach(function (z) {
    var p = el("path", { d: pathD(z.rings), "class": "no-fly", "fill-rule": "evenodd" }, layer.zones);
    el("title", {}, p, t("no_fly") + ": " + localName(z));
  });
  D.privacy.forEach(function (z) {
    var p = el("path", { d: pathD(z.rings), "class": "privacy", "fill-rule": "evenodd" }, layer.zones);
    el("title", {}, p, t("privacy") + ": " + localName(z));
  });
  D.launch_sites.forEach(function (s) {
    var at = xy(s.point[0], s.point[1]);
    var g = el("g", { "class": "launch", transform: "translate(" + at[0].toFixed(1) + "," + at[1].toFixed(1) + ")" }, layer.sites);
    el("rect", { x: -6, y: -6, width: 12, height: 12 }, g);
    el("title", {}, g, t("launch_site") + ": " + localName(s));
  });

  /* ---- drones ---- */
  function fmt(value, digits) {
    return typeof value === "number" ? value.toFixed(digits) : t("unknown");
  }

  function upsertVehicle(v, track) {
    var known = vehicles[v.vehicle];
    if (!known) {
      var line = el("polyline", { "class": "track", "data-vehicle": v.vehicle }, layer.tracks);
      var g = el("g", { "class": "drone", "data-vehicle": v.vehicle }, layer.drones);
      el("path", { d: "M0,-11 L7,8 L0,4 L-7,8 Z" }, g);
      el("text", { x: 10, y: -8, "class": "drone-label" }, g, v.vehicle);
      known = vehicles[v.vehicle] = { view: {}, track: [], line: line, marker: g };
    }
    Object.assign(known.view, v);
    delete known.view.point;
    delete known.view.track;
    if (track) known.track = track.slice();
    if (v.point) known.track.push(v.point);
    known.line.setAttribute("points", pts(known.track));
    var last = known.track[known.track.length - 1];
    var here = typeof known.view.lon === "number" ? [known.view.lon, known.view.lat] : last;
    var placed = here && typeof here[0] === "number" && typeof here[1] === "number";
    known.marker.style.display = placed ? "" : "none";
    if (placed) {
      var at = xy(here[0], here[1]);
      known.marker.setAttribute("transform", "translate(" + at[0].toFixed(1) + "," + at[1].toFixed(1) + ") rotate(" + heading(known).toFixed(0) + ")");
    }
    known.marker.classList.toggle("offline", known.view.online === false);
    renderDrones();
  }

  /* The reported heading, or else the bearing of the last leg of the track (on screen). */
  function heading(known) {
    if (typeof known.view.heading_deg === "number") return known.view.heading_deg;
    var n = known.track.length;
    if (n < 2) return 0;
    var a = xy(known.track[n - 2][0], known.track[n - 2][1]), b = xy(known.track[n - 1][0], known.track[n - 1][1]);
    return Math.atan2(b[0] - a[0], a[1] - b[1]) * 180 / Math.PI;
  }

  function renderDrones() {
    var list = document.getElementById("drones");
    list.textContent = "";
    var names = Object.keys(vehicles).sort();
    if (!names.length) html("li", { "class": "empty" }, list, t(unreadable ? "drones_unreadable" : "no_drones"));
    names.forEach(function (name) {
      var v = vehicles[name].view, note = patrol.droneNote(name);
      vehicles[name].marker.classList.toggle("in-sortie", !!note);
      var li = html("li", { "data-vehicle": name }, list);
      html("strong", {}, li, name + (v.online === false ? " (" + t("offline") + ")" : ""));
      if (note) html("span", { "class": "sortie-note" }, li, " · " + note);
      if (v.mode === undefined && v.battery_pct === undefined) {
        html("span", {}, li, " " + t("track_points", { n: vehicles[name].track.length }));
        return;
      }
      html("span", {}, li, " " + t("drone_line", {
        mode: v.mode || t("unknown"),
        battery: typeof v.battery_pct === "number" ? t("battery_pct", { pct: fmt(v.battery_pct, 0) }) : t("unknown"),
        cell: v.cell || t("unknown"),
        alt: fmt(v.alt_rel_m, 0)
      }));
    });
  }

  /* ---- alerts ---- */
  function codeLabel(a) {
    var key = "code." + (a.code || "alert");
    var text = t(key);
    return text === key ? a.code : text;
  }

  function upsertAlert(a) {
    var known = alerts[a.id];
    if (!known) {
      known = alerts[a.id] = { marker: null, data: a };
      if (typeof a.lon === "number" && typeof a.lat === "number") {
        var at = xy(a.lon, a.lat);
        var g = el("g", { "class": "alert-marker", "data-alert-id": a.id, tabindex: 0, role: "button",
          transform: "translate(" + at[0].toFixed(1) + "," + at[1].toFixed(1) + ")" }, layer["alert-markers"]);
        if (typeof a.uncertainty_m === "number") el("circle", { r: Math.max(a.uncertainty_m * metre, 3).toFixed(1), "class": "uncertainty" }, g);
        el("circle", { r: 9, "class": "dot" }, g);
        el("text", { y: 4, "class": "alert-glyph" }, g, "!");
        el("title", {}, g, codeLabel(a) + " · " + a.id);
        g.addEventListener("click", function () { showAlert(a.id); });
        g.addEventListener("keydown", function (e) { if (e.key === "Enter") showAlert(a.id); });
        known.marker = g;
      }
    }
    known.data = a;
    if (known.marker) known.marker.setAttribute("data-status", a.status);
    renderAlerts();
    if (selected === a.id) showAlert(a.id);
  }

  function renderAlerts() {
    var box = document.getElementById("alerts");
    box.textContent = "";
    var list = Object.keys(alerts).map(function (id) { return alerts[id].data; });
    if (!list.length) { html("p", { "class": "empty" }, box, t(unreadable ? "alerts_unreadable" : "no_alerts")); return; }
    list.sort(function (a, b) {
      return (a.status === "open" ? 0 : 1) - (b.status === "open" ? 0 : 1) || a.cell - b.cell ||
        String(a.team).localeCompare(String(b.team)) || String(a.created).localeCompare(String(b.created));
    });
    var group = null, ul = null;
    list.forEach(function (a) {
      var key = a.status + "|" + a.cell + "|" + a.team;
      if (key !== group) {
        group = key;
        var head = a.cell ? t("cell_team", { cell: a.cell, team: a.team || t("unassigned") }) : t("outside_cells");
        html("h3", { "class": "group " + a.status }, box, head + (a.status === "open" ? "" : " · " + t("status_acked")));
        ul = html("ul", { "class": "list" }, box);
      }
      var li = html("li", { "class": "alert-item", "data-alert-id": a.id, "data-status": a.status }, ul);
      var b = html("button", { type: "button" }, li, codeLabel(a) + " · " + a.id + " · " + (a.created || ""));
      b.addEventListener("click", function () { showAlert(a.id); });
      patrol.alertControls(li, a);
    });
  }

  function field(dl, key, value) {
    html("dt", {}, dl, t(key));
    html("dd", {}, dl, value === null || value === undefined ? t("unknown") : String(value));
  }

  function showAlert(id) {
    var a = alerts[id] && alerts[id].data;
    if (!a) return;
    selected = id;
    document.getElementById("detail").hidden = false;
    document.getElementById("detail-title").textContent = codeLabel(a) + " · " + a.id;
    var dl = document.getElementById("detail-fields");
    dl.textContent = "";
    field(dl, "field_status", a.status === "open" ? t("status_open") : t("acked_by", { by: a.acked_by, at: a.acked_at }));
    field(dl, "field_cell", a.cell || t("outside_cells"));
    field(dl, "field_team", a.team);
    field(dl, "field_drone", a.vehicle);
    field(dl, "field_detector", a.detector);
    field(dl, "field_score", typeof a.score === "number" ? a.score.toFixed(2) : null);
    field(dl, "field_created", a.created);
    field(dl, "field_position", typeof a.lat === "number" ? t("position_pm", { lat: a.lat.toFixed(5), lon: a.lon.toFixed(5), m: fmt(a.uncertainty_m, 0) }) : null);
    var ev = document.getElementById("detail-evidence");
    ev.textContent = "";
    ["crop", "frame"].forEach(function (kind) {
      if (!a.evidence || !a.evidence[kind]) return;
      var fig = html("figure", {}, ev);
      html("img", { src: a.evidence[kind], alt: t("evidence_" + kind), "data-evidence": kind }, fig);
      html("figcaption", {}, fig, t("evidence_" + kind));
    });
    if (!ev.childNodes.length) html("p", { "class": "empty" }, ev, t("no_evidence"));
    layer.footprints.textContent = "";
    if (Array.isArray(a.footprint) && a.footprint.length > 2) {
      el("polygon", { points: pts(a.footprint), "class": "footprint" }, layer.footprints);
    }
    Object.keys(alerts).forEach(function (other) {
      if (alerts[other].marker) alerts[other].marker.classList.toggle("selected", other === id);
    });
    var form = document.getElementById("ack-form");
    form.hidden = !live || a.status !== "open";
  }

  document.getElementById("detail-close").addEventListener("click", function () {
    selected = null;
    document.getElementById("detail").hidden = true;
    layer.footprints.textContent = "";
  });

  var nameInput = document.getElementById("ack-name");
  try { nameInput.value = window.localStorage.getItem("gridpatrol.ackName") || ""; } catch (e) { /* storage off */ }

  document.getElementById("ack-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var id = selected, by = nameInput.value.trim();
    var msg = document.getElementById("ack-message");
    if (!id || !by) return;
    try { window.localStorage.setItem("gridpatrol.ackName", by); } catch (err) { /* storage off */ }
    var button = document.getElementById("ack-button");
    button.disabled = true;
    msg.textContent = t("ack_sending");
    fetch("api/alerts/" + encodeURIComponent(id) + "/ack", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ by: by })
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      if (res.body.alert) upsertAlert(res.body.alert);
      msg.textContent = res.ok ? "" : t("ack_failed", { error: res.body.error || "?" });
    }).catch(function (err) {
      msg.textContent = t("ack_failed", { error: String(err) });
    }).then(function () { button.disabled = false; });
  });

  function applySnapshot(s) {
    (s.vehicles || []).forEach(function (v) { upsertVehicle(v, v.track || []); });
    (s.alerts || []).forEach(upsertAlert);
    if (s.patrol) patrol.apply(s.patrol);
    showHealth(s.health);
    renderDrones();
    renderAlerts();
  }

  function table(parent, title, columns, rows) {
    html("h2", {}, parent, title);
    var tab = html("table", {}, parent);
    var tr = html("tr", {}, html("thead", {}, tab));
    columns.forEach(function (c) { html("th", {}, tr, String(c)); });
    var body = html("tbody", {}, tab);
    rows.forEach(function (row) {
      var r = html("tr", {}, body);
      row.forEach(function (cell) { html("td", {}, r, cell === null || cell === undefined ? "" : String(cell)); });
    });
  }

  var status = document.getElementById("status");
  if (live) {
    status.textContent = t("connecting");
    var events = new EventSource("events");
    var link = { page: false, broker: false };
    var showLink = function () {
      var ok = link.page && link.broker;
      status.textContent = !link.page ? t("reconnecting") : link.broker ? t("live") : t("broker_down");
      status.className = "status " + (ok ? "live" : "down");
    };
    events.addEventListener("open", function () { link.page = true; showLink(); });
    events.addEventListener("error", function () { link.page = false; showLink(); });
    var on = function (name, use) {
      events.addEventListener(name, function (e) {
        var data = readJSON(e.data);
        if (data !== null && typeof data === "object") use(data);
      });
    };
    on("broker", function (b) { link.broker = b.connected; showLink(); });
    on("snapshot", function (s) {
      link.broker = s.broker;
      showLink();
      applySnapshot(s);
    });
    on("vehicle", function (v) { upsertVehicle(v); });
    on("alert", upsertAlert);
    on("health", showHealth);
    on("patrol", patrol.update);
  } else {
    var s = boot.snapshot || {};
    status.textContent = t("report_static", { time: s.generated || "" });
    (s.planned || []).forEach(function (p) {
      var line = el("polyline", { points: pts(p.points), "class": "planned", "data-plan": p.name || "" }, layer.planned);
      el("title", {}, line, t("planned") + (p.name ? ": " + p.name : ""));
    });
    applySnapshot(s);
    var extra = document.getElementById("report-extra");
    extra.hidden = false;
    if (s.summary) table(extra, t("summary"), s.summary.columns, s.summary.rows);
    if (s.link_stats) {
      table(extra, t("link_stats"), ["", ""], Object.keys(s.link_stats).map(function (k) { return [k, s.link_stats[k]]; }));
    }
  }
  renderDrones();
  renderAlerts();
  document.body.setAttribute("data-ready", "true");
})();
