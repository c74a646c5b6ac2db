/**
 * 4 KiB random reads over a warm 1 GiB file, side by side in one run:
 *
 *   fio (io_uring, qd32, batch submit/complete 32)       the hand-tuned limit
 *   NodeFileSystem (@effect/platform-node), one File per fiber, concurrency 8 and 32
 *   AuraEngine per-op Effect API (engine.read), concurrency 32 (opt-in aura32sched: resumed through
 *     Effect's scheduler instead of on the spot)
 *   AuraEngine readMany (2 fibers pipelining batches of 256 reads, 16 in flight each)
 *
 * Rounds are interleaved (every peer once per round) and medians reported, because these VMs are
 * noisy. Not a test: run it by hand.
 *
 *   node_modules/.bin/tsx packages/core/bench/randread.ts [--rounds 5] [--seconds 2] [--file PATH]
 *     [--aimd off] [--window 32] [--batch 256] [--pipeline 2] [--peers fio,aura32,readMany,...]
 */
import { NodeFileSystem } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { parseArgs } from "node:util"
// The built package (tsc output), as an app would load it: run `tsc -b packages/core` first. (Loading
// src through tsx would add esbuild's keepNames `__name` call to every closure on the hot path.)
import { AuraEngine } from "@auraio/core"
import { closedLoops } from "./support/loops.js"
import { BS, DEFAULT_FILE, fio as fioRun, nextOffset, prepare, warm } from "./support/randomFile.js"
// Benchmark-only switch (same module instance as the package's): `aura32sched` resumes fibers through
// Effect's scheduler, as the per-op path did before completions resumed them on the spot.
import { resumingOnSpot, setResumeOnSpot } from "../dist/internal/op.js"

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "2" },
    file: { type: "string", default: DEFAULT_FILE },
    peers: { type: "string", default: "fio,node8,node32,raw32,aura32,readMany,readManyDefault" },
    aimd: { type: "string", default: "on" },
    window: { type: "string", default: "32" },
    batch: { type: "string", default: "256" },
    pipeline: { type: "string", default: "2" }
  }
})
const ROUNDS = Number(args.rounds)
const SECONDS = Number(args.seconds)
const FILE = args.file!
const PEERS = args.peers!.split(",")
// The file (1 GiB, warmed before each case) and the block sequence every in-process peer reads.
const prepareFile = () => prepare(FILE)
const warmFile = () => warm(FILE)

// == peers: each returns IOPS

// CPU time per read of the last peer run (user + system, all threads of the process; fio's from its
// own report). Steadier than IOPS on a shared VM: it does not count the time another tenant held the
// CPU, so it shows what each read costs even when the IOPS figures swing.
let lastCpuNs = Number.NaN
const cpuNsSince = (start: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(start)
  return (d.user + d.system) * 1000
}

const fio = (): number => {
  const run = fioRun(FILE, SECONDS)
  lastCpuNs = run.userNs + run.sysNs
  return run.iops
}

/** Run `fibers` loops of `op` for SECONDS; IOPS. */
const timed = <E, R>(fibers: number, op: (i: number) => Effect.Effect<unknown, E, R>, readsPerOp = 1) =>
  Effect.suspend(() => {
    let stop = false
    let count = 0
    const timer = setTimeout(() => (stop = true), SECONDS * 1000)
    const start = performance.now()
    const cpu = process.cpuUsage()
    return Effect.forEach(
      Array.from({ length: fibers }, (_, i) => i),
      (i) => {
        const body = op(i)
        return Effect.whileLoop({ while: () => !stop, body: () => body, step: () => count++ })
      },
      { concurrency: "unbounded", discard: true }
    ).pipe(
      Effect.map(() => {
        lastCpuNs = cpuNsSince(cpu) / (count * readsPerOp)
        return (count * readsPerOp * 1000) / (performance.now() - start)
      }),
      Effect.ensuring(Effect.sync(() => clearTimeout(timer)))
    )
  })

const nodeFs = (concurrency: number) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const files = yield* Effect.forEach(Array.from({ length: concurrency }), () => fs.open(FILE))
    const bufs = files.map(() => new Uint8Array(BS))
    return yield* timed(concurrency, (i) =>
      Effect.suspend(() => Effect.zipRight(files[i]!.seek(nextOffset(), "start"), files[i]!.read(bufs[i]!))))
  }).pipe(Effect.scoped)

const auraPerOp = (concurrency: number) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine
    const file = yield* engine.open(FILE)
    const fd = file.fd
    const bufs = Array.from({ length: concurrency }, () => new Uint8Array(BS))
    return yield* timed(concurrency, (i) => Effect.suspend(() => engine.read(fd, bufs[i]!, nextOffset())))
  }).pipe(Effect.scoped)

// The native callback API with no Effect at all: what the Effect layer costs on top of the engine.
const rawCallbacks = (concurrency: number) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine
    const file = yield* engine.open(FILE)
    const raw = engine.native.raw
    const bufs = Array.from({ length: concurrency }, () => new Uint8Array(BS))
    const run = yield* Effect.promise(() =>
      closedLoops(concurrency, SECONDS, 1, (i, _first, done) => raw.read(file.fd, bufs[i]!, BS, nextOffset(), done))
    )
    lastCpuNs = (run.userNs + run.systemNs) / run.reads
    return (run.reads * 1000) / run.ms
  }).pipe(Effect.scoped)

// readMany as a storage engine drives it: `PIPELINE` fibers each issue a batch of `BATCH` reads into
// their own slab, reused batch after batch, so one batch's results are handled while the next is in
// flight and the ring never drains between batches. The window is split between them: `--window 32`
// with 2 fibers keeps at most 32 reads in flight in all, like fio's qd32. (One call of 4096 reads into
// a fresh 16 MiB region, the previous shape, pays for the cold destination memory in the kernel's copy
// and drains the ring between calls: `--peers readMany1x4096` still measures it.)
const BATCH = Number(args.batch)
const PIPELINE = Number(args.pipeline)
const auraReadMany = (window: number | undefined, fibers = PIPELINE, batchSize = BATCH) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine
    const file = yield* engine.open(FILE)
    const perFiber = window === undefined ? undefined : { concurrency: Math.max(1, Math.floor(window / fibers)) }
    const batches = Array.from({ length: fibers }, () => {
      const slab = new Uint8Array(batchSize * BS)
      const requests = Array.from({ length: batchSize }, (_, i) => ({
        fd: file.fd,
        offset: 0,
        length: BS,
        buffer: slab.subarray(i * BS, (i + 1) * BS)
      }))
      return Effect.suspend(() => {
        for (const r of requests) (r as { offset: number }).offset = nextOffset()
        return engine.readMany(requests, perFiber)
      })
    })
    return yield* timed(fibers, (i) => batches[i]!, batchSize)
  }).pipe(Effect.scoped)

// == run

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const main = Effect.gen(function*() {
  prepareFile()
  const results: Record<string, Array<number>> = Object.fromEntries(PEERS.map((p) => [p, []]))
  const cpuNs: Record<string, Array<number>> = Object.fromEntries(PEERS.map((p) => [p, []]))
  const run: Record<string, Effect.Effect<number, unknown, AuraEngine | FileSystem.FileSystem>> = {
    fio: Effect.sync(fio),
    node8: nodeFs(8),
    node32: nodeFs(32),
    raw32: rawCallbacks(32),
    aura32: auraPerOp(32),
    aura32sched: Effect.suspend(() => {
      const was = resumingOnSpot()
      setResumeOnSpot(false)
      return Effect.ensuring(auraPerOp(32), Effect.sync(() => setResumeOnSpot(was)))
    }),
    readMany: auraReadMany(Number(args.window)),
    // The API's default window: the rings' combined in-flight limit (what a caller gets without tuning).
    readManyDefault: auraReadMany(undefined),
    readMany1x4096: auraReadMany(Number(args.window), 1, 4096),
    // Opt-in: the same pipeline with 128-read batches (1 MiB of destination in all instead of 2 MiB).
    // Per read it costs the engine what 256 does; the kernel's copy is cheaper when the destinations
    // fit this CPU's 1 MiB L2 better (docs/design/read-many.md).
    readMany2x128: auraReadMany(Number(args.window), 2, 128)
  }
  const opsPerEnter: Record<string, number> = {}
  for (let round = 1; round <= ROUNDS; round++) {
    warmFile()
    const line: Array<string> = []
    for (const peer of PEERS) {
      const before = yield* Effect.flatMap(AuraEngine, (e) => e.stats)
      const iops = yield* run[peer]!
      const after = yield* Effect.flatMap(AuraEngine, (e) => e.stats)
      const enters = after.rings.reduce((s, r) => s + r.enters, 0) - before.rings.reduce((s, r) => s + r.enters, 0)
      if (enters > 0) opsPerEnter[peer] = (after.completed - before.completed) / enters
      results[peer]!.push(iops)
      cpuNs[peer]!.push(lastCpuNs)
      line.push(`${peer} ${(iops / 1000).toFixed(0)}k ${lastCpuNs.toFixed(0)}ns`)
      lastCpuNs = Number.NaN
    }
    const stats = yield* Effect.flatMap(AuraEngine, (e) => e.stats)
    const limits = stats.rings.map((r) => `${r.aimd?.phase ?? "off"}:${r.limit}`).join(" ")
    const batching = Object.entries(opsPerEnter).map(([p, v]) => `${p} ${v.toFixed(1)}`).join(" ")
    process.stdout.write(`round ${round}: ${line.join("  ")}   [ring limits ${limits}; ops/enter ${batching}]\n`)
  }
  const med = Object.fromEntries(PEERS.map((p) => [p, median(results[p]!)]))
  // Ratios are taken within each round (peers ran minutes apart at most) and then the median taken:
  // steadier than a ratio of medians when the VM's speed drifts between rounds.
  const ratioMedian = (p: string, base: (round: number) => number) =>
    median(results[p]!.map((v, i) => v / base(i)))
  const hasFio = results.fio !== undefined
  const hasNode = results.node8 !== undefined || results.node32 !== undefined
  const nodeBest = (i: number) => Math.max(results.node8?.[i] ?? 0, results.node32?.[i] ?? 0)
  const ratios: Record<string, number> = {}
  process.stdout.write(`\nmedian IOPS over ${ROUNDS} rounds of ${SECONDS}s (4 KiB random reads, warm 1 GiB file)\n`)
  for (const p of PEERS) {
    const parts: Array<string> = []
    if (hasFio && p !== "fio") {
      ratios[`${p}/fio`] = ratioMedian(p, (i) => results.fio![i]!)
      parts.push(`${(ratios[`${p}/fio`]! * 100).toFixed(0)}% of fio`)
    }
    if (hasNode && !p.startsWith("node")) {
      ratios[`${p}/NodeFileSystem`] = ratioMedian(p, nodeBest)
      parts.push(`${ratios[`${p}/NodeFileSystem`]!.toFixed(1)}x NodeFileSystem (best of c8/c32)`)
    }
    const cpu = median(cpuNs[p]!)
    if (hasFio && p !== "fio") {
      ratios[`${p}/fio cpu per read`] = median(cpuNs[p]!.map((v, i) => v / cpuNs.fio![i]!))
      parts.push(`CPU per read ${ratios[`${p}/fio cpu per read`]!.toFixed(2)}x fio's`)
    }
    process.stdout.write(
      `  ${p.padEnd(16)} ${(med[p]! / 1000).toFixed(0).padStart(5)}k ${cpu.toFixed(0).padStart(6)} ns CPU/read   ${
        parts.join(", ")
      }\n`
    )
  }
  process.stdout.write("  (ratios: median over rounds of the within-round ratio)\n")
  process.stdout.write(
    `${JSON.stringify({ rounds: ROUNDS, seconds: SECONDS, median: med, ratios, all: results, cpuNsPerRead: cpuNs })}\n`
  )
})

const layer = Layer.merge(
  AuraEngine.layerWith(args.aimd === "off" ? { aimd: false } : {}),
  NodeFileSystem.layer
)
Effect.runPromise(Effect.provide(main, layer)).catch((e) => {
  console.error(e)
  process.exit(1)
})
