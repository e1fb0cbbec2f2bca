// GET /: the dashboard, one self-contained page (no build step, no external assets). It lists
// counters by prefix with values kept live by GET /v1/events, charts a counter's history
// (GET /v1/counters/{key}/history, on a canvas), shows the alerts as they fire and the
// durability figures from /metrics (durable LSN, group sizes, fsync latency), refreshed every
// second.
#include "http_api.h"

namespace tally {
namespace {

constexpr const char* kPage = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tally</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:10px 20px;font-size:18px}
main{display:grid;grid-template-columns:1fr 1fr;gap:16px;padding:16px}
section{background:#fff;border-radius:6px;padding:12px 16px;box-shadow:0 1px 2px #0002}
h2{font-size:15px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
td,th{text-align:left;padding:4px 6px;border-bottom:1px solid #eee}
td.value,td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.counter{cursor:pointer} tr.counter:hover{background:#eef3ff}
tr.flash td.value{background:#fff3b0}
#alerts li{margin:2px 0}
canvas{width:100%;height:220px}
</style></head><body>
<header>Tally <span id="status" style="float:right;font-size:13px"></span></header>
<main>
<section><h2>Counters</h2>
<input id="prefix" placeholder="key prefix" size="30">
<table><thead><tr><th>key</th><th style="text-align:right">value</th></tr></thead>
<tbody id="counters"></tbody></table></section>
<section><h2>Durability</h2><table><tbody>
<tr><td>durable LSN</td><td class="num" id="durable-lsn">-</td></tr>
<tr><td>applied LSN</td><td class="num" id="applied-lsn">-</td></tr>
<tr><td>commit groups</td><td class="num" id="groups">-</td></tr>
<tr><td>records per group (mean)</td><td class="num" id="group-size">-</td></tr>
<tr><td>fsyncs</td><td class="num" id="fsyncs">-</td></tr>
<tr><td>fsync latency (mean, ms)</td><td class="num" id="fsync-ms">-</td></tr>
<tr><td>log healthy</td><td class="num" id="healthy">-</td></tr>
</tbody></table></section>
<section><h2>History of <span id="chart-key">(click a counter)</span></h2>
<canvas id="chart" width="600" height="220"></canvas></section>
<section><h2>Alerts</h2><ul id="alerts"></ul></section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let prefix = new URLSearchParams(location.search).get("prefix") || "";
let source = null, charted = null, points = [];
const rows = new Map();

function globEscape(s) { return s.replace(/[*?[\]\\]/g, (c) => "\\" + c); }
function keyOf(k) { return typeof k === "string" ? k : atob(k.base64); }

function setValue(key, value) {
  let tr = rows.get(key);
  if (!tr) {
    tr = document.createElement("tr");
    tr.className = "counter";
    tr.dataset.key = key;
    tr.innerHTML = "<td class=key></td><td class=value></td>";
    tr.querySelector(".key").textContent = key;
    tr.onclick = () => showHistory(key);
    rows.set(key, tr);
    const body = $("counters");
    const after = [...body.children].find((r) => r.dataset.key > key);
    body.insertBefore(tr, after || null);
  }
  const cell = tr.querySelector(".value");
  cell.textContent = value === null ? "(deleted)" : String(value);
  tr.classList.add("flash");
  setTimeout(() => tr.classList.remove("flash"), 400);
}

async function loadCounters() {
  rows.clear();
  $("counters").innerHTML = "";
  const r = await fetch("/v1/counters?limit=1000&prefix=" + encodeURIComponent(prefix));
  const j = await r.json();
  for (const c of j.counters || []) setValue(keyOf(c.key), c.value);
  listen();
}

function listen() {
  if (source) source.close();
  source = new EventSource("/v1/events?keys=" + encodeURIComponent(globEscape(prefix) + "*"));
  source.onopen = () => { $("status").textContent = "live"; };
  source.onerror = () => { $("status").textContent = "reconnecting"; };
  source.addEventListener("change", (e) => {
    const d = JSON.parse(e.data);
    setValue(d.key, d.value);
    if (d.key === charted && d.value !== null) {
      points.push({t: d.time, value: Number(d.value)});
      draw();
    }
  });
  source.addEventListener("alert", (e) => {
    const d = JSON.parse(e.data);
    const li = document.createElement("li");
    li.textContent = new Date(d.time).toLocaleTimeString() + "  " + d.key + " went " +
        d.direction + " " + d.threshold + " (now " + d.value + ")";
    $("alerts").prepend(li);
  });
}

async function showHistory(key) {
  charted = key;
  $("chart-key").textContent = key;
  const r = await fetch("/v1/counters/" + encodeURIComponent(key) + "/history?limit=1000");
  const j = await r.json();
  points = (j.history || []).filter((p) => p.value !== null)
      .map((p) => ({t: p.t, value: Number(p.value)}));
  draw();
}

function draw() {
  const c = $("chart"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  if (points.length === 0) return;
  const t0 = points[0].t, t1 = Math.max(points[points.length - 1].t, t0 + 1);
  let lo = Math.min(...points.map((p) => p.value)), hi = Math.max(...points.map((p) => p.value));
  if (hi === lo) { hi += 1; lo -= 1; }
  const x = (t) => 40 + (c.width - 50) * (t - t0) / (t1 - t0);
  const y = (v) => c.height - 20 - (c.height - 30) * (v - lo) / (hi - lo);
  g.fillStyle = "#667"; g.font = "11px sans-serif";
  g.fillText(String(hi), 2, 12); g.fillText(String(lo), 2, c.height - 22);
  g.strokeStyle = "#2f6fed"; g.lineWidth = 2; g.beginPath();
  points.forEach((p, i) => (i ? g.lineTo(x(p.t), y(p.value)) : g.moveTo(x(p.t), y(p.value))));
  g.stroke();
}

function metric(text, name) {
  const m = text.match(new RegExp("^" + name.replace(/[{}"=]/g, (ch) => "\\" + ch) +
      " ([0-9.e+-]+)$", "m"));
  return m ? Number(m[1]) : NaN;
}

async function loadStats() {
  try {
    const text = await (await fetch("/metrics")).text();
    const groups = metric(text, "tally_group_commit_records_count");
    const fsyncs = metric(text, "tally_fsync_duration_seconds_count");
    $("durable-lsn").textContent = metric(text, 'tally_lsn{state="durable"}');
    $("applied-lsn").textContent = metric(text, 'tally_lsn{state="applied"}');
    $("groups").textContent = groups;
    $("group-size").textContent = groups ?
        (metric(text, "tally_group_commit_records_sum") / groups).toFixed(2) : "-";
    $("fsyncs").textContent = fsyncs;
    $("fsync-ms").textContent = fsyncs ?
        (1000 * metric(text, "tally_fsync_duration_seconds_sum") / fsyncs).toFixed(3) : "-";
    $("healthy").textContent = metric(text, "tally_log_healthy") === 1 ? "yes" : "NO";
  } catch (e) { $("status").textContent = "offline"; }
}

$("prefix").value = prefix;
$("prefix").onchange = () => { prefix = $("prefix").value; loadCounters(); };
loadCounters();
loadStats();
setInterval(loadStats, 1000);
</script></body></html>
)HTML";

}  // namespace

Lsn HttpApi::Dashboard(HttpResponse* response) {
  response->content_type = "text/html; charset=utf-8";
  response->body = kPage;
  return 0;
}

}  // namespace tally
