/* Every word the command-centre page shows, by language. Add a language as one more entry
   (for example "zh"); a key missing there falls back to English. {name} marks a value. */
window.GP_LABELS = {
  en: {
    title: "gridpatrol command centre",
    report_title: "gridpatrol patrol report",
    drones: "Drones",
    alerts: "Alerts",
    no_drones: "No drone heard from yet.",
    no_alerts: "No alerts.",
    connecting: "Connecting…",
    live: "Live",
    reconnecting: "Connection lost, reconnecting…",
    broker_down: "Broker unreachable; alerts arrive when it is back",
    report_static: "Report generated {time}",
    cell_team: "Cell {cell} · {team}",
    outside_cells: "Outside every cell",
    unassigned: "no team",
    status_open: "open",
    status_acked: "acknowledged",
    field_cell: "Cell",
    field_team: "Team",
    field_drone: "Drone",
    field_detector: "Detector",
    field_score: "Score",
    field_created: "Created",
    field_position: "Position",
    field_status: "Status",
    position_pm: "{lat}, {lon} ± {m} m",
    acked_by: "Acknowledged by {by} at {at}",
    evidence_crop: "Crop",
    evidence_frame: "Whole frame",
    no_evidence: "No evidence image.",
    lead_not_verdict: "An alert is a lead for a person to review, not a verdict.",
    ack_name: "Your name",
    ack_button: "Acknowledge",
    ack_sending: "Sending…",
    ack_failed: "Not acknowledged: {error}",
    close: "Close",
    drone_line: "{mode} · {battery} · cell {cell} · {alt} m",
    battery_pct: "{pct} %",
    track_points: "{n} track points",
    unknown: "?",
    offline: "offline",
    key_area: "Key area",
    no_fly: "No-fly zone",
    privacy: "Privacy zone",
    launch_site: "Launch site",
    planned: "Planned path",
    flown: "Flown track",
    alert_marker: "Alert",
    summary: "Patrol summary",
    link_stats: "Link statistics",
    token_prompt: "This command centre needs its access token.",
    token_label: "Token",
    token_submit: "Open",
    token_wrong: "Wrong token; try again.",
    "code.activity": "Activity",
    "code.bloom": "Vegetation",
    "code.object": "Object",
    "code.alert": "Alert"
  }
};

/* A translator for one language: t(key, {name: value}). */
window.gpLabels = function (lang) {
  var base = window.GP_LABELS.en;
  var primary = String(lang).split("-")[0];
  var code = window.GP_LABELS[lang] ? lang : window.GP_LABELS[primary] ? primary : "en";
  var chosen = window.GP_LABELS[code];
  var t = function (key, vars) {
    var text = Object.prototype.hasOwnProperty.call(chosen, key) ? chosen[key] : base[key];
    if (text === undefined) return key;
    Object.keys(vars || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(vars[name]));
    });
    return text;
  };
  t.lang = code;
  return t;
};

/* Fill every element marked data-label="key" below root. */
window.gpApplyLabels = function (t, root) {
  root.querySelectorAll("[data-label]").forEach(function (el) {
    el.textContent = t(el.getAttribute("data-label"));
  });
};
