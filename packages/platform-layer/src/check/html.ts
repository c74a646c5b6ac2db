/**
 * The `--html` report: one self-contained page (inline CSS, inline SVG, one small inline script; no
 * external asset, so it opens from a mail attachment or a CI artifact). The charts are drawn here, on
 * the server side, so the page shows them even with scripts off; the script only adds legend toggles
 * and records what the browser laid out in `body[data-rendered]` (what the headless-browser test reads).
 *
 * @internal
 */
import type { PeerResult, Report, Sample, WorkloadResult } from "./report.js"
import { formatBytes, formatCount, formatMicros } from "./units.js"
import type { PeerId } from "./workloads.js"

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

const COLORS: Record<PeerId, string> = {
  node: "#7a7f87",
  "effect-node": "#d9822b",
  "aura-engine": "#1f6feb",
  "aura-fs": "#12a37a"
}
const RING_COLORS = ["#1f6feb", "#8250df", "#cf222e", "#1a7f37", "#bf8700", "#0a7ea4", "#953800", "#57606a"]

interface Series {
  readonly name: string
  readonly key: string
  readonly color: string
  /** Each segment is drawn as its own line (a round of a run), points as [seconds, value]. */
  readonly segments: ReadonlyArray<ReadonlyArray<readonly [number, number]>>
}

const niceMax = (v: number): number => {
  if (v <= 0) return 1
  const p = Math.pow(10, Math.floor(Math.log10(v)))
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p
  return 10 * p
}

const W = 640
const H = 220
const M = { l: 64, r: 12, t: 12, b: 28 }

const chart = (
  title: string,
  kind: string,
  series: ReadonlyArray<Series>,
  fmt: (v: number) => string,
  xEnd: number
): string => {
  const all = series.flatMap((s) => s.segments.flat())
  if (all.length === 0) {
    return `<figure class="chart-box"><figcaption>${esc(title)}</figcaption><p class="empty">no samples</p></figure>`
  }
  // One time axis for every chart of a workload, so a limit change lines up with its IOPS and p99.
  const xMax = niceMax(Math.max(xEnd, ...all.map((p) => p[0])))
  const yMax = niceMax(Math.max(...all.map((p) => p[1])) * 1.05)
  const x = (v: number) => M.l + (v / xMax) * (W - M.l - M.r)
  const y = (v: number) => H - M.b - (v / yMax) * (H - M.t - M.b)
  const grid: Array<string> = []
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4
    grid.push(
      `<line class="grid" x1="${M.l}" x2="${W - M.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>` +
        `<text class="tick" x="${M.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(fmt(v))}</text>`
    )
    const t = (xMax * i) / 4
    grid.push(`<text class="tick" x="${x(t).toFixed(1)}" y="${H - 8}" text-anchor="middle">${t.toFixed(t < 10 ? 1 : 0)} s</text>`)
  }
  const lines = series.flatMap((s) =>
    s.segments.filter((seg) => seg.length > 0).map((seg) => {
      const pts = seg.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ")
      const dots = seg.length === 1
        ? `<circle cx="${x(seg[0]![0]).toFixed(1)}" cy="${y(seg[0]![1]).toFixed(1)}" r="2.5" fill="${s.color}"/>`
        : ""
      return `<g class="series" data-series="${esc(s.key)}"><polyline class="line" data-points="${seg.length}" ` +
        `points="${pts}" stroke="${s.color}"><title>${esc(s.name)}</title></polyline>${dots}</g>`
    })
  )
  const legend = series.map((s) =>
    `<button type="button" class="key" data-series="${esc(s.key)}"><span style="background:${s.color}"></span>${esc(s.name)}</button>`
  ).join("")
  return `<figure class="chart-box"><figcaption>${esc(title)}</figcaption>` +
    `<svg class="chart" data-kind="${kind}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">` +
    `<line class="axis" x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${H - M.b}"/>` +
    `<line class="axis" x1="${M.l}" x2="${W - M.r}" y1="${H - M.b}" y2="${H - M.b}"/>` +
    grid.join("") + lines.join("") + `</svg><div class="legend">${legend}</div></figure>`
}

const byRound = (timeline: ReadonlyArray<Sample>, value: (s: Sample) => number | undefined) => {
  const segs = new Map<number, Array<readonly [number, number]>>()
  for (const s of timeline) {
    const v = value(s)
    if (v === undefined) continue
    const seg = segs.get(s.round) ?? []
    seg.push([s.t, v])
    segs.set(s.round, seg)
  }
  return [...segs.values()]
}

const peerSeries = (peers: ReadonlyArray<PeerResult>, value: (s: Sample) => number): ReadonlyArray<Series> =>
  peers.filter((p) => p.timeline.length > 0).map((p) => ({
    name: p.label,
    key: p.peer,
    color: COLORS[p.peer],
    segments: byRound(p.timeline, value)
  }))

const limitSeries = (peers: ReadonlyArray<PeerResult>): ReadonlyArray<Series> => {
  const rings = Math.max(0, ...peers.flatMap((p) => p.timeline.map((s) => s.limits?.length ?? 0)))
  const out: Array<Series> = []
  for (let r = 0; r < rings; r++) {
    for (const p of peers) {
      const segments = byRound(p.timeline, (s) => s.limits?.[r])
      if (segments.length === 0) continue
      out.push({ name: `ring ${r} (${p.label})`, key: `ring-${r}-${p.peer}`, color: RING_COLORS[r % RING_COLORS.length]!, segments })
    }
  }
  return out
}

const table = (w: WorkloadResult): string => {
  const rows = w.peers.map((r) =>
    r.status === "ok"
      ? `<tr><th scope="row"><span class="sw" style="background:${COLORS[r.peer]}"></span>${esc(r.label)}</th>` +
        `<td>${formatCount(r.iops)}</td><td>${r.mbps.toFixed(1)}</td><td>${esc(formatMicros(r.p50Us))}</td>` +
        `<td>${esc(formatMicros(r.p99Us))}</td><td>${Math.round(r.cpuPct)}%</td>` +
        `<td>${r.speedup === null ? "—" : `${r.speedup.toFixed(2)}×`}</td></tr>`
      : `<tr class="na"><th scope="row"><span class="sw" style="background:${COLORS[r.peer]}"></span>${esc(r.label)}</th>` +
        `<td colspan="6">${r.status === "error" ? "error" : "unavailable"}: ${esc(r.reason ?? "")}</td></tr>`
  ).join("")
  return `<table><thead><tr><th></th><th>IOPS</th><th>MB/s</th><th>p50</th><th>p99</th><th>CPU</th><th>vs Node</th></tr></thead><tbody>${rows}</tbody></table>`
}

const section = (w: WorkloadResult): string => {
  const limits = limitSeries(w.peers)
  const xEnd = Math.max(0, ...w.peers.flatMap((p) => p.timeline.map((s) => s.t)))
  return `<section class="workload" id="${w.id}"><h2>${esc(w.title)} <small>${w.concurrency} in flight</small></h2>` +
    table(w) +
    `<div class="charts">` +
    chart("IOPS over time", "iops", peerSeries(w.peers, (s) => s.iops), (v) => formatCount(v), xEnd) +
    chart("p99 latency over time", "latency", peerSeries(w.peers, (s) => s.p99Us), formatMicros, xEnd) +
    (limits.length > 0
      ? chart("In-flight limit per ring (AIMD) over time", "limit", limits, (v) => String(Math.round(v)), xEnd)
      : `<figure class="chart-box"><figcaption>In-flight limit per ring</figcaption><p class="empty">no AuraIO engine run in this workload</p></figure>`) +
    `</div></section>`
}

const CSS = `
:root{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;background:#fff}
body{max-width:1400px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}h2 small{color:#656d76;font-weight:400}
.meta{color:#656d76;font-size:13px;margin:2px 0}
table{border-collapse:collapse;font-size:13px;margin:6px 0 10px}
th,td{padding:4px 10px;text-align:right;border-bottom:1px solid #d0d7de}th[scope=row]{text-align:left;font-weight:500}
tr.na td{text-align:left;color:#656d76}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.charts{display:flex;flex-wrap:wrap;gap:12px}
.chart-box{margin:0;border:1px solid #d0d7de;border-radius:6px;padding:8px}
figcaption{font-size:13px;font-weight:600;margin-bottom:4px}
svg.chart{display:block;max-width:100%;height:auto}
.axis{stroke:#8c959f}.grid{stroke:#eaeef2}.tick{font-size:11px;fill:#656d76}
.line{fill:none;stroke-width:1.8;stroke-linejoin:round}
.series.off{display:none}
.legend{display:flex;flex-wrap:wrap;gap:4px 10px;font-size:12px;margin-top:4px}
.key{border:0;background:none;padding:0;cursor:pointer;font:inherit;color:inherit}.key.off{opacity:.4}
.key span{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}
.empty{color:#656d76;font-size:13px;width:640px;margin:40px 0}
`

// Legend buttons toggle their series; then the page records what it laid out, so a headless browser
// can tell drawn charts from an empty page.
const SCRIPT = `
document.querySelectorAll(".key").forEach(function (b) {
  b.addEventListener("click", function () {
    var fig = b.closest("figure"); var k = b.getAttribute("data-series")
    b.classList.toggle("off")
    fig.querySelectorAll('.series[data-series="' + k + '"]').forEach(function (g) { g.classList.toggle("off") })
  })
})
;(function () {
  var charts = document.querySelectorAll("svg.chart"), lines = document.querySelectorAll("svg.chart g.series")
  var drawn = 0, points = 0
  lines.forEach(function (g) {
    var b = g.getBBox(); if (b.width > 0 || b.height > 0) drawn++
    points += g.querySelector("polyline").points.numberOfItems
  })
  document.body.setAttribute("data-rendered", JSON.stringify({
    charts: charts.length, lines: lines.length, drawn: drawn, points: points,
    kinds: Array.prototype.map.call(charts, function (c) { return c.getAttribute("data-kind") })
  }))
})()
`

/** @internal */
export const render = (report: Report): string => {
  const a = report.aura
  const s = report.scratch
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>AuraIO storage check · ${esc(report.startedAt)}</title><style>${CSS}</style></head>
<body>
<h1>AuraIO storage check</h1>
<p class="meta">${esc(report.startedAt)} · ${esc(report.options.dir)} (${esc(s.fsType)}) · ${esc(formatBytes(s.size))} scratch file · ${report.host.cpus} CPUs · Linux ${esc(report.host.kernel)} · Node ${esc(report.host.node)} · ${report.elapsedSeconds.toFixed(1)} s</p>
<p class="meta">AuraIO engine: ${a.engine}${a.engineReason ? ` — ${esc(a.engineReason)}` : ""}${a.rings ? ` (${a.rings} rings)` : ""} · FileSystem layer: ${a.fileSystem}${a.fileSystemReason ? ` — ${esc(a.fileSystemReason)}` : ""}</p>
<p class="meta">${report.rounds} interleaved round(s) per peer; table figures are medians over rounds, latency percentiles over every operation. Speedup is MB/s over Node fs/promises on the same workload.</p>
${report.workloads.map(section).join("\n")}
<script type="application/json" id="report-data">${JSON.stringify(report).replace(/</g, "\\u003c")}</script>
<script>${SCRIPT}</script>
</body></html>
`
}
