/**
 * Runs the workload × peer matrix inside the time budget. Rounds are interleaved (every peer runs once,
 * in rotated order, before any runs again) and the medians reported, because these machines drift;
 * the time of each run is recomputed from what is left, so the total stays within `--duration` whatever
 * setup cost.
 *
 * @internal
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import { performance } from "node:perf_hooks"
import type { Aura, RingView } from "./aura.js"
import { LatencyHistogram } from "./histogram.js"
import { Meter } from "./meter.js"
import * as Aligned from "./peers/aligned.js"
import * as EnginePeer from "./peers/auraEngine.js"
import * as FsPeer from "./peers/fileSystem.js"
import * as NodePeer from "./peers/node.js"
import type { PeerResult, RoundResult, Sample, WorkloadResult } from "./report.js"
import type { Scratch } from "./scratch.js"
import { type PeerId, peerIds, peerLabels, type Workload, workloads } from "./workloads.js"

/** What the live view is told. @internal */
export interface Progress {
  readonly phase: (text: string) => void
  readonly runStart: (info: RunInfo) => void
  readonly sample: (info: RunInfo & { readonly iops: number; readonly p99Us: number; readonly rings: ReadonlyArray<RingView> }) => void
  readonly runEnd: (info: RunInfo & { readonly iops: number; readonly mbps: number; readonly p99Us: number; readonly error?: string }) => void
}

/** @internal */
export interface RunInfo {
  readonly workload: Workload
  readonly peer: PeerId
  readonly round: number
  readonly rounds: number
  /** Seconds since the check started, and the budget. */
  readonly elapsed: number
  readonly budget: number
}

type Runner = (w: Workload, m: Meter) => Effect.Effect<void, unknown, import("effect/Scope").Scope>

const median = (xs: ReadonlyArray<number>): number => {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

const errText = (e: unknown): string => {
  if (e instanceof Error) return e.message.split("\n")[0]!
  if (typeof e === "object" && e !== null) {
    const o = e as Record<string, unknown>
    if (typeof o["message"] === "string") return o["message"]
    if (typeof o["_tag"] === "string") return `${o["_tag"]}${o["reason"] ? `: ${String(o["reason"])}` : ""}`
  }
  return String(e)
}

/** Seconds of budget kept back for teardown and the report. */
const RESERVE = 0.5
const MIN_RUN = 0.02

/** @internal */
export const run = (config: {
  readonly scratch: Scratch
  readonly aura: Aura
  readonly nodeFileSystem: FileSystem.FileSystem
  readonly budget: number
  readonly startedAt: number
  readonly progress: Progress
}): Effect.Effect<{ readonly rounds: number; readonly workloads: ReadonlyArray<WorkloadResult> }, never, import("effect/Scope").Scope> =>
  Effect.gen(function*() {
    const { aura, budget, progress, scratch, startedAt } = config
    const alloc = aura.allocAligned ? Aligned.fromNative(aura.allocAligned) : Aligned.probing
    const elapsed = () => (performance.now() - startedAt) / 1000

    const runnerFor = (peer: PeerId, w: Workload): Runner | string => {
      if (w.direct && scratch.directUnsupported) return scratch.directUnsupported
      switch (peer) {
        case "node":
          return (w, m) => Effect.tryPromise((signal) => NodePeer.run(w, scratch, m, alloc, signal))
        case "effect-node":
          return FsPeer.unsupported(w) ?? ((w, m) => FsPeer.run(config.nodeFileSystem, w, scratch, m))
        case "aura-fs": {
          const fs = aura.fileSystem
          if (!fs) return aura.fileSystemUnavailable ?? "unavailable"
          return FsPeer.unsupported(w) ?? ((w, m) => FsPeer.run(fs, w, scratch, m))
        }
        case "aura-engine": {
          const engine = aura.engine
          if (!engine) return aura.engineUnavailable ?? "unavailable"
          return EnginePeer.unsupported(engine, w) ?? ((w, m) => EnginePeer.run(engine, w, scratch, m, alloc))
        }
      }
    }

    const plan = workloads.map((w) => ({ w, runners: peerIds.map((p) => [p, runnerFor(p, w)] as const) }))
    const cells = plan.reduce((n, { runners }) => n + runners.filter(([, r]) => typeof r !== "string").length, 0)
    const perCell = (budget - elapsed() - RESERVE) / Math.max(1, cells)
    const rounds = perCell >= 3 ? 3 : perCell >= 1.2 ? 2 : 1
    /** The rings as last polled; shared by every run (the engine outlives them). */
    let rings: ReadonlyArray<RingView> = yield* aura.rings()
    let runsLeft = cells * rounds
    let runsDone = 0
    let overhead = 0

    const results: Array<WorkloadResult> = []
    for (const { runners, w } of plan) {
      const workloadStart = performance.now()
      const acc = new Map<PeerId, { rounds: Array<RoundResult>; hist: LatencyHistogram; ops: number; bytes: number; seconds: number; timeline: Array<Sample>; error?: string }>()
      const available = runners.filter((e): e is readonly [PeerId, Runner] => typeof e[1] !== "string")
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < available.length; k++) {
          const [peer, runner] = available[(k + round) % available.length]!
          // What is left, minus what each remaining run costs beyond its measured time (opening files,
          // the closing sample, teardown) as observed so far.
          const left = budget - elapsed() - RESERVE - runsLeft * overhead
          const seconds = Math.max(MIN_RUN, left / Math.max(1, runsLeft))
          const planned = performance.now()
          runsLeft--
          const a = acc.get(peer) ?? { rounds: [], hist: new LatencyHistogram(), ops: 0, bytes: 0, seconds: 0, timeline: [] }
          acc.set(peer, a)
          if (a.error) continue
          const info: RunInfo = { workload: w, peer, round: round + 1, rounds, elapsed: elapsed(), budget }
          progress.runStart(info)
          const m = new Meter(performance.now() + seconds * 1000)
          const isAura = peer === "aura-engine" || peer === "aura-fs"
          const sampleMs = Math.min(250, Math.max(25, (seconds * 1000) / 20))
          let last = { t: performance.now(), ops: 0, bytes: 0 }
          // Sampling is driven from two sides: the meter calls `sampleNow` from inside the peer's loop
          // once per interval (so a run whose completions keep the event loop busy still gets its
          // points), and a timer fiber polls the rings' stats and samples when no operation
          // completed for an interval (a long readFile). The rings' limits cannot change while the
          // loop is starved — the AIMD fiber runs on the same loop — so the polled copy is current.
          const sampleNow = (now: number) => {
            const dt = (now - last.t) / 1000
            if (dt <= 0.001) return
            const iops = (m.ops - last.ops) / dt
            const mbps = (m.bytes - last.bytes) / dt / 1e6
            const p99Us = m.window.percentile(99)
            m.window.reset()
            last = { t: now, ops: m.ops, bytes: m.bytes }
            m.lastSample = now
            a.timeline.push({
              t: Number(((now - workloadStart) / 1000).toFixed(3)),
              round: round + 1,
              iops: Math.round(iops),
              mbps: Number(mbps.toFixed(2)),
              p99Us: Number(p99Us.toFixed(1)),
              ...(isAura && rings.length > 0
                ? { limits: rings.map((r) => r.limit), ringP99Us: rings.map((r) => Number(r.p99Us.toFixed(1))) }
                : {})
            })
            progress.sample({ ...info, elapsed: elapsed(), iops, p99Us, rings })
          }
          m.sampleEvery = sampleMs
          m.onSample = sampleNow
          const poll = Effect.flatMap(aura.rings(), (r) =>
            Effect.sync(() => {
              rings = r
              const now = performance.now()
              if (now - m.lastSample >= sampleMs) sampleNow(now)
            }))
          const sampler = yield* Effect.fork(
            Effect.repeat(Effect.delay(poll, Duration.millis(sampleMs)), Schedule.forever)
          )
          const cpu0 = process.cpuUsage()
          const t0 = performance.now()
          const exit = yield* Effect.exit(Effect.scoped(runner(w, m)))
          const wall = (performance.now() - t0) / 1000
          const cpu = process.cpuUsage(cpu0)
          yield* Fiber.interrupt(sampler)
          m.onSample = undefined
          // A closing sample covers the tail of the run, so every run has at least one point.
          rings = yield* aura.rings()
          sampleNow(performance.now())
          if (Exit.isFailure(exit)) {
            // Interruption (Ctrl-C) ends the whole check; any other failure marks just this row.
            if (Exit.isInterrupted(exit)) return yield* Effect.interrupt
            a.error = errText(Cause.squash(exit.cause))
          }
          const iops = m.ops / wall
          const mbps = m.bytes / wall / 1e6
          a.rounds.push({
            iops: Math.round(iops),
            mbps: Number(mbps.toFixed(2)),
            cpuPct: Number((((cpu.user + cpu.system) / 1000 / (wall * 1000)) * 100).toFixed(1)),
            seconds: Number(wall.toFixed(3))
          })
          a.hist.merge(m.latency)
          a.ops += m.ops
          a.bytes += m.bytes
          a.seconds += wall
          progress.runEnd({ ...info, iops, mbps, p99Us: m.latency.percentile(99), ...(a.error ? { error: a.error } : {}) })
          const cost = Math.max(0, (performance.now() - planned) / 1000 - seconds)
          overhead = runsDone === 0 ? cost : (overhead * runsDone + cost) / (runsDone + 1)
          runsDone++
        }
      }

      const rows: Array<PeerResult> = runners.map(([peer, runner]) => {
        const label = peerLabels[peer]
        const empty = { iops: 0, mbps: 0, p50Us: 0, p99Us: 0, cpuPct: 0, ops: 0, bytes: 0, seconds: 0, speedup: null, rounds: [], timeline: [] }
        if (typeof runner === "string") return { peer, label, status: "unavailable", reason: runner, ...empty }
        const a = acc.get(peer)!
        const base = {
          peer,
          label,
          iops: median(a.rounds.map((r) => r.iops)),
          mbps: Number(median(a.rounds.map((r) => r.mbps)).toFixed(2)),
          p50Us: Number(a.hist.percentile(50).toFixed(1)),
          p99Us: Number(a.hist.percentile(99).toFixed(1)),
          cpuPct: median(a.rounds.map((r) => r.cpuPct)),
          ops: a.ops,
          bytes: a.bytes,
          seconds: Number(a.seconds.toFixed(3)),
          speedup: null,
          rounds: a.rounds,
          timeline: a.timeline
        }
        return a.error ? { ...base, status: "error" as const, reason: a.error } : { ...base, status: "ok" as const }
      })
      const node = rows.find((r) => r.peer === "node" && r.status === "ok" && r.mbps > 0)
      results.push({
        id: w.id,
        title: w.title,
        blockSize: w.blockSize,
        concurrency: w.concurrency,
        peers: rows.map((r) =>
          node && r.status === "ok" ? { ...r, speedup: Number((r.mbps / node.mbps).toFixed(2)) } : r
        )
      })
    }
    return { rounds, workloads: results }
  })
