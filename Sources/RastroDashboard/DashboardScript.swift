/// The dashboard's script, served as `/dashboard.js` (the page's Content-Security-Policy allows scripts from the
/// server alone, none inline) and inlined in a `rastro report --html` file, where it draws from the data embedded
/// in the file instead of asking the API. Charts are SVG drawn here: no library, no network.
enum DashboardScript {
    static let template = #"""
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const state = { token: null };

  function el(tag, attributes, text) {
    const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function number(value) { return typeof value === "number" ? value : Number(value || 0); }
  function format(value) {
    const n = number(value);
    return Number.isInteger(n) ? n.toLocaleString("en-US") : n.toLocaleString("en-US", { maximumFractionDigits: 2 });
  }

  // Filters live in the URL (?from=&to=&center=), so a view can be shared; the token never does.
  function filters() {
    const query = new URLSearchParams(location.search);
    const result = {};
    for (const name of ["from", "to", "center"]) { const value = query.get(name); if (value) result[name] = value; }
    return result;
  }

  async function ask(route, parameters) {
    const query = new URLSearchParams(parameters);
    query.set("format", "json");
    const response = await fetch("/v1/" + route + "?" + query.toString(), {
      headers: { "Authorization": "Bearer " + state.token }, cache: "no-store", referrerPolicy: "no-referrer",
    });
    const body = await response.json();
    if (!response.ok) {
      const error = new Error(body.detail || response.statusText);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  // The questions behind the panels, defined once in Swift (DashboardQuestions) and written here as JSON: the page
  // asks them of the API, a report file carries their answers.
  const QUESTIONS = __QUESTIONS__;
  function questions(f) {
    const result = {};
    for (const q of QUESTIONS) {
      const parameters = Object.assign({}, q.fixed);
      if (q.window && f.from) parameters.from = f.from;
      if (q.window && f.to) parameters.to = f.to;
      if (q.center && f.center) parameters.center = f.center;
      if (q.at && f.to) parameters.at = f.to;
      result[q.name] = [q.route, parameters];
    }
    return result;
  }

  function barChart(name, rows, label, value, unit) {
    const height = 22, width = 640, left = 150, right = 70;
    const max = Math.max(1, ...rows.map((row) => number(row[value])));
    const svg = el("svg:svg", { viewBox: `0 0 ${width} ${Math.max(1, rows.length) * height + 4}`, role: "img", "data-chart": name });
    rows.forEach((row, index) => {
      const y = index * height + 2;
      const length = (width - left - right) * number(row[value]) / max;
      const text = el("svg:text", { x: left - 6, y: y + 15, "text-anchor": "end", class: "label" }, String(row[label] ?? "—"));
      const bar = el("svg:rect", { x: left, y: y + 3, width: Math.max(0.5, length), height: height - 6, class: "bar", "data-value": row[value] });
      bar.appendChild(el("svg:title", {}, `${row[label] ?? "—"}: ${format(row[value])} ${unit}`));
      svg.append(text, bar, el("svg:text", { x: left + length + 6, y: y + 15, class: "value" }, format(row[value])));
    });
    return svg;
  }

  // Two figures per row: `first` as the bar, `second` as a thinner bar under it (failed attempts and returns).
  function pairChart(name, rows, label, first, second) {
    const height = 30, width = 640, left = 150, right = 70;
    const max = Math.max(1, ...rows.map((row) => Math.max(number(row[first]), number(row[second]))));
    const svg = el("svg:svg", { viewBox: `0 0 ${width} ${Math.max(1, rows.length) * height + 24}`, role: "img", "data-chart": name });
    rows.forEach((row, index) => {
      const y = index * height + 2;
      svg.append(el("svg:text", { x: left - 6, y: y + 15, "text-anchor": "end", class: "label" }, String(row[label] ?? "—")));
      [[first, "bar", 3, 14], [second, "bar-second", 18, 8]].forEach(([column, kind, offset, thickness]) => {
        const length = (width - left - right) * number(row[column]) / max;
        const bar = el("svg:rect", { x: left, y: y + offset, width: Math.max(0.5, length), height: thickness, class: kind, "data-value": row[column] });
        bar.appendChild(el("svg:title", {}, `${row[label] ?? "—"}: ${format(row[column])} ${column.replace(/_/g, " ")}`));
        svg.append(bar, el("svg:text", { x: left + length + 6, y: y + offset + thickness - 2, class: "value" }, format(row[column])));
      });
    });
    const legendY = rows.length * height + 16;
    [[first, "bar"], [second, "bar-second"]].forEach(([column, kind], i) => {
      svg.append(el("svg:rect", { x: 10 + i * 140, y: legendY - 9, width: 10, height: 10, class: kind }));
      svg.append(el("svg:text", { x: 24 + i * 140, y: legendY, class: "legend" }, column.replace(/_/g, " ")));
    });
    return svg;
  }

  function lineChart(name, points) {
    const width = 640, height = 200, pad = 36;
    const svg = el("svg:svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "data-chart": name });
    const max = Math.max(1, ...points.map((p) => p.value));
    const x = (i) => pad + (points.length < 2 ? 0 : (width - 2 * pad) * i / (points.length - 1));
    const y = (v) => height - pad - (height - 2 * pad) * v / max;
    svg.append(el("svg:line", { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, class: "axis" }));
    svg.append(el("svg:text", { x: 4, y: pad - 8, class: "value" }, format(max)));
    if (points.length > 0) {
      const path = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
      svg.append(el("svg:path", { d: path, class: "line" }));
    }
    points.forEach((p, i) => {
      const dot = el("svg:circle", { cx: x(i), cy: y(p.value), r: 3, class: "point", "data-value": p.value });
      dot.appendChild(el("svg:title", {}, `${p.label}: ${format(p.value)}`));
      svg.append(dot);
      if (points.length <= 14 || i % Math.ceil(points.length / 10) === 0) {
        svg.append(el("svg:text", { x: x(i), y: height - pad + 16, "text-anchor": "middle", class: "label" }, p.label.slice(5)));
      }
    });
    return svg;
  }

  const EVENTS = ["picked_up", "received", "in_transit", "out_for_delivery", "delivered", "failed_attempt", "returned"];

  function stackedChart(name, rows) {
    const centers = [...new Set(rows.map((row) => row.work_center))].sort();
    const totals = centers.map((c) => rows.filter((row) => row.work_center === c).reduce((s, row) => s + number(row.count), 0));
    const max = Math.max(1, ...totals);
    const height = 24, width = 640, left = 150, right = 70;
    const svg = el("svg:svg", { viewBox: `0 0 ${width} ${Math.max(1, centers.length) * height + 30}`, role: "img", "data-chart": name });
    centers.forEach((center, index) => {
      const y = index * height + 2;
      svg.append(el("svg:text", { x: left - 6, y: y + 16, "text-anchor": "end", class: "label" }, center));
      let x = left;
      for (const event of EVENTS) {
        const row = rows.find((r) => r.work_center === center && r.event === event);
        if (!row) continue;
        const length = (width - left - right) * number(row.count) / max;
        const part = el("svg:rect", { x, y: y + 3, width: Math.max(0.5, length), height: height - 6, class: "event-" + event, "data-value": row.count });
        part.appendChild(el("svg:title", {}, `${center} · ${event}: ${format(row.count)}`));
        svg.append(part);
        x += length;
      }
      svg.append(el("svg:text", { x: x + 6, y: y + 16, class: "value" }, format(totals[index])));
    });
    const legendY = centers.length * height + 20;
    let legendX = 10;
    for (const event of EVENTS) {
      const text = event.replace(/_/g, " ");
      svg.append(el("svg:rect", { x: legendX, y: legendY - 9, width: 10, height: 10, class: "event-" + event }));
      svg.append(el("svg:text", { x: legendX + 14, y: legendY, class: "legend" }, text));
      legendX += 14 + text.length * 6 + 14;
    }
    return svg;
  }

  function table(name, rows, columns) {
    const node = el("table", { "data-table": name });
    const head = el("tr");
    for (const column of columns) head.append(el("th", {}, column.replace(/_/g, " ")));
    const thead = el("thead");
    thead.append(head);
    node.append(thead);
    const body = node.appendChild(el("tbody"));
    for (const row of rows) {
      const line = el("tr");
      for (const column of columns) line.append(el("td", {}, row[column] === null ? "—" : String(row[column])));
      body.append(line);
    }
    return node;
  }

  function panel(id, title, content, note) {
    const section = clear(document.getElementById(id));
    section.append(el("h2", {}, title));
    if (note) section.append(el("p", { class: "note" }, note));
    section.append(content);
  }

  // "2026-09-08T09:17:15.000-05:00" as "2026-09-08 09:17" (the site's own time, as the API gives it).
  function shortTime(text) { return typeof text === "string" ? text.slice(0, 16).replace("T", " ") : text; }

  function daily(rows) {
    const byDay = new Map();
    for (const row of rows) byDay.set(row.bucket, (byDay.get(row.bucket) || 0) + number(row.delivered));
    return [...byDay.keys()].sort().map((day) => ({ label: day, value: byDay.get(day) }));
  }

  function draw(answers) {
    const productivity = answers.productivity.slice().sort((a, b) => number(b.delivered) - number(a.delivered));
    panel("productivity", "Deliveries per messenger", barChart("productivity", productivity, "messenger", "delivered", "delivered"),
      `${productivity.length} messengers; hover a bar for the figure.`);
    panel("daily", "Deliveries per day", lineChart("daily", daily(answers.daily)));
    panel("states", "Items by current state, per work centre", stackedChart("states", answers.states));
    const durations = answers.durations.slice().sort((a, b) => number(a.p50_s) - number(b.p50_s))
      .map((row) => Object.assign({}, row, { p50_hours: Math.round(number(row.p50_s) / 36) / 100 }));
    panel("durations", "Pickup to delivery, median hours per work centre", barChart("durations", durations, "work_center", "p50_hours", "h"),
      "Percentiles within 0.78 % of the exact value.");
    const hours = (seconds) => seconds === null ? null : (number(seconds) / 3600).toFixed(2);
    const inHours = answers.durations.map((row) => ({ work_center: row.work_center, tasks: row.count,
      p50_h: hours(row.p50_s), p90_h: hours(row.p90_s), p99_h: hours(row.p99_s), max_h: hours(row.max_s) }));
    document.getElementById("durations").append(table("durations", inHours, ["work_center", "tasks", "p50_h", "p90_h", "p99_h", "max_h"]));
    panel("returns", "Failed attempts and returns by reason",
      pairChart("returns", answers.returns.slice().sort((a, b) => number(b.failed_attempts) - number(a.failed_attempts)), "reason", "failed_attempts", "returned"));
    const overdue = answers.overdue.map((row) => Object.assign({}, row, { since: shortTime(row.scanned_at) }));
    panel("overdue", "Out for delivery for more than 24 h", table("overdue", overdue, ["tracking_id", "since", "messenger", "work_center", "age_hours"]),
      `${answers.overdue.length} items.`);
  }

  function showError(message) {
    const box = document.getElementById("error");
    box.textContent = message;
    box.hidden = !message;
  }

  async function refresh() {
    const f = filters();
    for (const name of ["from", "to", "center"]) document.getElementById("filter-" + name).value = f[name] || "";
    try {
      const asked = questions(f);
      const names = Object.keys(asked);
      const answers = {};
      const results = await Promise.all(names.map((name) => ask(asked[name][0], asked[name][1])));
      names.forEach((name, index) => { answers[name] = results[index]; });
      showError("");
      draw(answers);
      document.body.dataset.loaded = "true";
    } catch (error) {
      if (error.status === 401 || error.status === 403) { signOut(error.message); return; }
      showError(error.message);
    }
  }

  async function trace(event) {
    event.preventDefault();
    const id = document.getElementById("trace-id").value.trim();
    if (!id) return;
    const list = clear(document.getElementById("trace-result"));
    try {
      const response = await fetch("/v1/items/" + encodeURIComponent(id) + "?format=json", {
        headers: { "Authorization": "Bearer " + state.token }, cache: "no-store", referrerPolicy: "no-referrer",
      });
      const body = await response.json();
      if (!response.ok) { list.append(el("li", { class: "missing" }, body.detail)); return; }
      for (const scan of body) {
        const item = el("li", { "data-event": scan.event });
        item.append(el("time", { datetime: scan.scanned_at }, shortTime(scan.scanned_at)), el("strong", {}, " " + scan.event.replace(/_/g, " ")),
          el("span", {}, ` at ${scan.work_center} by ${scan.messenger}` + (scan.reason ? ` (${scan.reason})` : "")));
        list.append(item);
      }
    } catch (error) {
      list.append(el("li", { class: "missing" }, error.message));
    }
  }

  function signIn(event) {
    event.preventDefault();
    const token = document.getElementById("token").value.trim();
    if (!token) return;
    sessionStorage.setItem("rastro-token", token);
    state.token = token;
    document.getElementById("token").value = "";
    start();
  }

  function signOut(message) {
    sessionStorage.removeItem("rastro-token");
    state.token = null;
    document.getElementById("login").hidden = false;
    document.getElementById("dashboard").hidden = true;
    showError(message || "");
  }

  function applyFilters(event) {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const name of ["from", "to", "center"]) {
      const value = document.getElementById("filter-" + name).value.trim();
      if (value) query.set(name, value);
    }
    history.replaceState(null, "", location.pathname + (query.toString() ? "?" + query.toString() : ""));
    refresh();
  }

  function start() {
    document.getElementById("login").hidden = true;
    document.getElementById("dashboard").hidden = false;
    refresh();
  }

  // A report file carries its answers in #rastro-data (read once the page is parsed: the report's script is inline
  // in its head); the served page asks the API.
  document.addEventListener("DOMContentLoaded", () => {
    const embedded = document.getElementById("rastro-data");
    if (embedded !== null) {
      const data = JSON.parse(embedded.textContent);
      document.getElementById("login").hidden = true;
      document.getElementById("dashboard").hidden = false;
      document.getElementById("filters").hidden = true;
      document.getElementById("trace").hidden = true;
      document.getElementById("scope").textContent = data.scope;
      draw(data.answers);
      document.body.dataset.loaded = "true";
      return;
    }
    document.getElementById("login-form").addEventListener("submit", signIn);
    document.getElementById("filters").addEventListener("submit", applyFilters);
    document.getElementById("trace-form").addEventListener("submit", trace);
    document.getElementById("sign-out").addEventListener("click", () => signOut(""));
    state.token = sessionStorage.getItem("rastro-token");
    if (state.token) start(); else signOut("");
  });
})();
"""#

    /// The script with the panels' questions written in.
    static let source = template.replacing("__QUESTIONS__", with: DashboardQuestions.json)
}
