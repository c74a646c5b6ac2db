/**
 * Progress output. On a terminal: a block redrawn in place — progress bar, the run in progress, and
 * each ring's in-flight limit and p99 from the engine's stats. Otherwise (a pipe, CI, a log file): one
 * plain line per finished run.
 *
 * @internal
 */
import type { RingView } from "./aura.js"
import type { Progress, RunInfo } from "./runner.js"
import { formatCount, formatMicros } from "./units.js"
import { peerLabels } from "./workloads.js"

const BAR = 28

const bar = (fraction: number): string => {
  const f = Math.max(0, Math.min(1, fraction))
  const full = Math.round(f * BAR)
  return `[${"█".repeat(full)}${"░".repeat(BAR - full)}] ${String(Math.round(f * 100)).padStart(3)}%`
}

const runLabel = (i: RunInfo) => `${i.workload.title} · ${peerLabels[i.peer]} · round ${i.round}/${i.rounds}`

const ringsLine = (rings: ReadonlyArray<RingView>): ReadonlyArray<string> => {
  if (rings.length === 0) return []
  const cells = rings.map((r) =>
    `ring ${r.ring}: limit ${r.limit === 0 ? "∞" : String(r.limit).padStart(3)} · p99 ${(r.p99Us > 0 ? formatMicros(r.p99Us) : "idle").padStart(8)}` +
    (r.phase ? ` · ${r.phase}` : "")
  )
  const lines: Array<string> = []
  for (let i = 0; i < cells.length; i += 2) lines.push("  " + cells.slice(i, i + 2).join("   "))
  return lines
}

/** @internal */
export interface Live extends Progress {
  /** Clears the live block (before the table is printed). */
  readonly close: () => void
}

/** @internal */
export const make = (out: NodeJS.WriteStream | { write: (s: string) => unknown; isTTY?: boolean }): Live => {
  const tty = "isTTY" in out && out.isTTY === true
  if (!tty) {
    const write = (s: string) => out.write(s + "\n")
    return {
      phase: (text) => write(`auraio check: ${text}`),
      runStart: () => {},
      sample: () => {},
      runEnd: (i) =>
        write(
          `[${i.elapsed.toFixed(1).padStart(5)} s] ${runLabel(i)}: ` +
            (i.error ? `error: ${i.error}` : `${formatCount(i.iops)} IOPS, ${i.mbps.toFixed(1)} MB/s, p99 ${formatMicros(i.p99Us)}`)
        ),
      close: () => {}
    }
  }

  let drawn = 0
  let lastDraw = 0
  let phase = ""
  let current: RunInfo | undefined
  let now = { iops: 0, p99Us: 0 }
  let rings: ReadonlyArray<RingView> = []
  const draw = (force: boolean) => {
    const t = Date.now()
    if (!force && t - lastDraw < 100) return
    lastDraw = t
    const lines = current
      ? [
        `${bar(current.elapsed / current.budget)}  ${current.elapsed.toFixed(1)} s / ${current.budget.toFixed(0)} s`,
        runLabel(current),
        now.iops > 0 ? `  ${formatCount(now.iops)} IOPS · p99 ${formatMicros(now.p99Us)}` : "  starting…",
        ...ringsLine(rings)
      ]
      : [phase]
    let s = drawn > 0 ? `\x1b[${drawn}A` : ""
    for (const l of lines) s += `\r\x1b[2K${l}\n`
    // Lines left over from a taller previous block are blanked.
    for (let i = lines.length; i < drawn; i++) s += "\r\x1b[2K\n"
    if (drawn > lines.length) s += `\x1b[${drawn - lines.length}A`
    drawn = lines.length
    out.write(s)
  }
  return {
    phase: (text) => {
      phase = `auraio check: ${text}`
      current = undefined
      draw(true)
    },
    runStart: (i) => {
      current = i
      now = { iops: 0, p99Us: 0 }
      draw(true)
    },
    sample: (i) => {
      current = i
      now = { iops: i.iops, p99Us: i.p99Us }
      rings = i.rings
      draw(false)
    },
    runEnd: () => {},
    close: () => {
      if (drawn > 0) out.write(`\x1b[${drawn}A\x1b[0J`)
      drawn = 0
    }
  }
}
