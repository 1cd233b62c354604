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
    data_error: "The command centre's data could not be read: what this page shows may be incomplete. Reload it; if this stays, tell whoever runs the server.",
    alerts_unreadable: "Alerts could not be read.",
    drones_unreadable: "Drone positions could not be read.",
    quarantined: "{n} malformed alert messages quarantined (not shown): run gridpatrol alerts on the server to see why.",
    refused_records: "{n} malformed drone records (or fields) ignored.",
    "code.activity": "Activity",
    "code.bloom": "Vegetation",
    "code.object": "Object",
    "code.alert": "Alert"
  },
  zh: {
    title: "gridpatrol 指挥中心",
    report_title: "gridpatrol 巡逻报告",
    drones: "无人机",
    alerts: "告警",
    no_drones: "尚未收到任何无人机的消息。",
    no_alerts: "没有告警。",
    connecting: "正在连接…",
    live: "实时",
    reconnecting: "连接中断，正在重连…",
    broker_down: "无法连接代理；恢复后告警会陆续到达",
    report_static: "报告生成于 {time}",
    cell_team: "网格 {cell} · {team}",
    outside_cells: "不在任何网格内",
    unassigned: "无网格员",
    status_open: "待处理",
    status_acked: "已确认",
    field_cell: "网格",
    field_team: "网格员队伍",
    field_drone: "无人机",
    field_detector: "检测器",
    field_score: "得分",
    field_created: "创建时间",
    field_position: "位置",
    field_status: "状态",
    position_pm: "{lat}, {lon} ± {m} 米",
    acked_by: "由 {by} 于 {at} 确认",
    evidence_crop: "局部",
    evidence_frame: "整帧",
    no_evidence: "没有证据图像。",
    lead_not_verdict: "告警只是供人核查的线索，不是结论。",
    ack_name: "您的姓名",
    ack_button: "确认",
    ack_sending: "正在发送…",
    ack_failed: "未确认：{error}",
    close: "关闭",
    drone_line: "{mode} · {battery} · 网格 {cell} · {alt} 米",
    battery_pct: "{pct}%",
    track_points: "{n} 个航迹点",
    unknown: "？",
    offline: "离线",
    key_area: "重点区域",
    no_fly: "禁飞区",
    privacy: "隐私区",
    launch_site: "起降点",
    planned: "计划航线",
    flown: "实际航迹",
    alert_marker: "告警",
    summary: "巡逻摘要",
    link_stats: "链路统计",
    token_prompt: "此指挥中心需要访问令牌。",
    token_label: "令牌",
    token_submit: "打开",
    token_wrong: "令牌错误；请重试。",
    data_error: "无法读取指挥中心的数据：本页显示的内容可能不完整。请重新加载；如果问题持续存在，请告知服务器的管理人员。",
    alerts_unreadable: "无法读取告警。",
    drones_unreadable: "无法读取无人机位置。",
    quarantined: "{n} 条格式错误的告警消息已隔离（未显示）：请在服务器上运行 gridpatrol alerts 查看原因。",
    refused_records: "已忽略 {n} 条格式错误的无人机记录（或字段）。",
    "code.activity": "活动",
    "code.bloom": "植被",
    "code.object": "物体",
    "code.alert": "告警"
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
