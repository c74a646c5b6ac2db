/**
 * The final table, printed when the check ends: one block per workload, one line per peer.
 *
 * @internal
 */
import type { PeerResult, Report } from "./report.js"
import { formatBytes, formatCount, formatMicros } from "./units.js"

const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length))
const lpad = (s: string, n: number) => (s.length >= n ? s : " ".repeat(n - s.length) + s)

const COLS = [22, 11, 9, 10, 10, 7, 8] as const

const row = (r: PeerResult): string => {
  if (r.status !== "ok") {
    return `  ${pad(r.label, COLS[0])}${r.status === "error" ? "error" : "n/a"}: ${r.reason ?? ""}`
  }
  return "  " + [
    pad(r.label, COLS[0]),
    lpad(formatCount(r.iops), COLS[1]),
    lpad(r.mbps.toFixed(r.mbps >= 100 ? 0 : 1), COLS[2]),
    lpad(formatMicros(r.p50Us), COLS[3]),
    lpad(formatMicros(r.p99Us), COLS[4]),
    lpad(`${Math.round(r.cpuPct)}%`, COLS[5]),
    lpad(r.speedup === null ? "—" : `${r.speedup.toFixed(2)}×`, COLS[6])
  ].join("")
}

/** @internal */
export const render = (report: Report): string => {
  const lines: Array<string> = []
  const s = report.scratch
  lines.push(
    `AuraIO storage check · ${report.options.dir} (${s.fsType}) · ${formatBytes(s.size)} scratch file · ` +
      `${report.host.cpus} CPUs · Linux ${report.host.kernel} · Node ${report.host.node}`
  )
  if (s.sizeNote) lines.push(`  note: size ${s.sizeNote}`)
  const a = report.aura
  lines.push(
    `AuraIO: engine ${a.engine}${a.engineReason ? ` (${a.engineReason})` : a.rings ? ` (${a.rings} rings)` : ""}; ` +
      `FileSystem layer ${a.fileSystem}${a.fileSystemReason ? ` (${a.fileSystemReason})` : ""}`
  )
  lines.push(`${report.rounds} interleaved round(s) per peer, medians; latency is per operation, end to end.`)
  const header = "  " + [
    pad("", COLS[0]),
    lpad("IOPS", COLS[1]),
    lpad("MB/s", COLS[2]),
    lpad("p50", COLS[3]),
    lpad("p99", COLS[4]),
    lpad("CPU", COLS[5]),
    lpad("vs Node", COLS[6])
  ].join("")
  for (const w of report.workloads) {
    lines.push("")
    lines.push(`${w.title} · ${w.concurrency} in flight${w.id === "readfile" ? ` · ${formatBytes(s.readFileSize)} file` : ""}`)
    lines.push(header)
    for (const r of w.peers) lines.push(row(r))
  }
  lines.push("")
  lines.push(`done in ${report.elapsedSeconds.toFixed(1)} s; scratch files removed.`)
  return lines.join("\n")
}
