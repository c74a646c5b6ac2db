/**
 * Hand-written SVG line charts for the AIMD benchmark: stacked panels sharing a time axis.
 * No dependency: the output is a plain string.
 */

export interface Series {
  readonly name: string
  readonly color: string
  readonly points: ReadonlyArray<readonly [number, number]>
  readonly dashed?: boolean
}

export interface Panel {
  readonly label: string
  readonly series: ReadonlyArray<Series>
  readonly log?: boolean
  /** Horizontal reference lines (e.g. a p99 target). */
  readonly marks?: ReadonlyArray<{ readonly value: number; readonly label: string }>
}

export interface Chart {
  readonly title: string
  readonly xLabel: string
  readonly panels: ReadonlyArray<Panel>
  /** Vertical markers (e.g. "neighbour starts"). */
  readonly events?: ReadonlyArray<{ readonly x: number; readonly label: string }>
}

const W = 900
const PANEL_H = 170
const LEFT = 70
const RIGHT = 150
const TOP = 40
const GAP = 28

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

const niceTicks = (lo: number, hi: number, n = 4): ReadonlyArray<number> => {
  const span = hi - lo || 1
  const raw = span / n
  const mag = Math.pow(10, Math.floor(Math.log10(raw)))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw
  const ticks: Array<number> = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) ticks.push(Number(v.toPrecision(6)))
  return ticks
}

const fmt = (v: number): string =>
  Math.abs(v) >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : Math.abs(v) >= 1e3 ? `${(v / 1e3).toFixed(v >= 1e4 ? 0 : 1)}k` : `${Number(v.toPrecision(3))}`

export const render = (chart: Chart): string => {
  const height = TOP + chart.panels.length * (PANEL_H + GAP) + 30
  const all = chart.panels.flatMap((p) => p.series.flatMap((s) => s.points.map(([x]) => x)))
  const xMin = Math.min(...all, 0)
  const xMax = Math.max(...all, 1)
  const plotW = W - LEFT - RIGHT
  const sx = (x: number) => LEFT + ((x - xMin) / (xMax - xMin || 1)) * plotW
  const out: Array<string> = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(chart.title)}</text>`
  )
  chart.panels.forEach((panel, i) => {
    const top = TOP + i * (PANEL_H + GAP)
    const values = panel.series.flatMap((s) => s.points.map(([, y]) => y)).concat(
      (panel.marks ?? []).map((m) => m.value)
    ).filter((v) => Number.isFinite(v) && (!panel.log || v > 0))
    let lo = panel.log ? Math.min(...values) : Math.min(0, ...values)
    let hi = Math.max(...values, panel.log ? 1 : 1)
    if (panel.log) {
      lo = Math.pow(10, Math.floor(Math.log10(lo || 1)))
      hi = Math.pow(10, Math.ceil(Math.log10(hi || 10)))
      if (hi <= lo) hi = lo * 10
    } else {
      hi = hi * 1.08
    }
    const sy = (v: number) => {
      const f = panel.log
        ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
        : (v - lo) / (hi - lo || 1)
      return top + PANEL_H - Math.min(1, Math.max(0, f)) * PANEL_H
    }
    out.push(`<rect x="${LEFT}" y="${top}" width="${plotW}" height="${PANEL_H}" fill="none" stroke="#999"/>`)
    out.push(
      `<text x="14" y="${top + PANEL_H / 2}" transform="rotate(-90 14 ${top + PANEL_H / 2})" text-anchor="middle">${
        esc(panel.label)
      }</text>`
    )
    const ticks = panel.log
      ? Array.from({ length: Math.round(Math.log10(hi / lo)) + 1 }, (_, k) => lo * Math.pow(10, k))
      : niceTicks(lo, hi)
    for (const t of ticks) {
      const y = sy(t)
      out.push(`<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${y}" y2="${y}" stroke="#eee"/>`)
      out.push(`<text x="${LEFT - 6}" y="${y + 4}" text-anchor="end">${fmt(t)}</text>`)
    }
    for (const m of panel.marks ?? []) {
      const y = sy(m.value)
      out.push(`<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${y}" y2="${y}" stroke="#d00" stroke-dasharray="6 3"/>`)
      out.push(`<text x="${LEFT + plotW - 4}" y="${y - 4}" text-anchor="end" fill="#d00">${esc(m.label)}</text>`)
    }
    for (const e of chart.events ?? []) {
      const x = sx(e.x)
      out.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + PANEL_H}" stroke="#888" stroke-dasharray="2 3"/>`)
      if (i === 0) out.push(`<text x="${x + 3}" y="${top + 12}" fill="#555">${esc(e.label)}</text>`)
    }
    panel.series.forEach((s, k) => {
      const pts = s.points.filter(([, y]) => Number.isFinite(y))
      if (pts.length > 0) {
        const d = pts.map(([x, y], j) => `${j === 0 ? "M" : "L"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join("")
        out.push(
          `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"${
            s.dashed ? ` stroke-dasharray="5 3"` : ""
          }/>`
        )
      }
      const ly = top + 14 + k * 15
      out.push(`<line x1="${LEFT + plotW + 10}" x2="${LEFT + plotW + 28}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ` stroke-dasharray="5 3"` : ""}/>`)
      out.push(`<text x="${LEFT + plotW + 32}" y="${ly}">${esc(s.name)}</text>`)
    })
  })
  const axisY = TOP + chart.panels.length * (PANEL_H + GAP) - GAP + 16
  for (const t of niceTicks(xMin, xMax, 8)) {
    out.push(`<text x="${sx(t)}" y="${axisY}" text-anchor="middle">${fmt(t)}</text>`)
  }
  out.push(`<text x="${LEFT + plotW / 2}" y="${axisY + 16}" text-anchor="middle">${esc(chart.xLabel)}</text>`)
  out.push(`</svg>`)
  return out.join("\n")
}
