/**
 * Profiling aid used for docs/design/read-many.md (not a benchmark of record: use
 * packages/core/bench/randread.ts for figures). Runs peers one after another on the warm 1 GiB bench
 * file and prints IOPS with user and system CPU per read, which `perf`/`--cpu-prof` runs can then
 * explain. Build first (`node_modules/.bin/tsc -b packages/core`), then e.g.
 *
 *   flock /tmp/auraio-bench.lock node_modules/.bin/tsx scratchpad/readmany/profile.ts --rounds 3 \
 *     --peers raw32,raw32slab,raw32fixed,rawBatch,readMany,readManySmall
 *
 * Peers "rm:B[:D]" (readMany, B reads a batch, D distinct buffers) and "job:B[:D]" (the native job alone).
 * RMB=64 sets readMany's batch size; HEAPMON=1 prints heap spaces every 250 ms; ALLOC=1 writes V8
 * sampling heap profiles (every allocation, incl. those a scavenge collects) to /tmp/rmprof/.
 */
import * as Effect from "effect/Effect"
import { parseArgs } from "node:util"
import { AuraEngine } from "@auraio/core"
import { closedLoops, jobColumns, type LoopRun } from "../../packages/core/bench/support/loops.js"
import { BS, DEFAULT_FILE as FILE, fio as fioRun, nextOffset, warm } from "../../packages/core/bench/support/randomFile.js"
import { getHeapSpaceStatistics } from "node:v8"
if (process.env.HEAPMON) setInterval(() => {
  const sp = getHeapSpaceStatistics().map((x) => `${x.space_name.replace("_space","")}:${(x.space_used_size/1e6).toFixed(1)}`).join(" ")
  console.error(sp)
}, 250).unref()

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "2" },
    peers: { type: "string", default: "raw32,raw32slab,rawBatch,readMany" },
    window: { type: "string", default: "32" }
  }
})
const SECONDS = Number(args.seconds)
const RMB = Number(process.env.RMB ?? 256)

type R = { iops: number; user: number; sys: number; faults?: number }
// Minor page faults per 1000 reads (the kernel zeroing pages a growing heap touches is system time).
let faultsAt = 0
const measure = (run: LoopRun): R => {
  const faults = ((process.resourceUsage().minorPageFault - faultsAt) * 1000) / run.reads
  return { iops: (run.reads * 1000) / run.ms, user: run.userNs / run.reads, sys: run.systemNs / run.reads, faults }
}
const measureSince = (reads: number, start: number, cpu: NodeJS.CpuUsage): R => {
  const d = process.cpuUsage(cpu)
  return measure({ reads, ms: performance.now() - start, userNs: d.user * 1000, systemNs: d.system * 1000 })
}

/**
 * `concurrency` closed loops over the raw callback API for SECONDS: `issue(i, first, cb)` submits loop
 * i's next read (`first` on its initial one); the loop re-issues from `cb` until time is up.
 */
const closedLoop = (
  concurrency: number,
  issue: (i: number, first: boolean, cb: () => void) => void,
  readsPerCall = 1
): Effect.Effect<R> =>
  Effect.promise(() => closedLoops(concurrency, SECONDS, readsPerCall, issue)).pipe(Effect.map(measure))

const rawFixed = (concurrency: number) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine
    const file = yield* engine.open(FILE)
    const raw = engine.native.raw
    const bufs = Array.from({ length: concurrency }, () => new Uint8Array(BS))
    const reg = engine.native.registerBuffers(bufs)
    if (!reg.registered) throw new Error(reg.reason)
    const r = yield* closedLoop(concurrency, (i, _first, cb) => raw.readFixed(file.fd, bufs[i]!, BS, nextOffset(), i, cb))
    engine.native.unregisterBuffers()
    return r
  }).pipe(Effect.scoped)

const rawCallbacks = (concurrency: number, slab: boolean) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine
    const file = yield* engine.open(FILE)
    const raw = engine.native.raw
    const big = new Uint8Array(512 * BS)
    const own = Array.from({ length: concurrency }, () => new Uint8Array(BS))
    let slot = 0
    return yield* closedLoop(concurrency, (i, first, cb) => {
      const buf = slab && !first ? big.subarray((slot = (slot + 1) & 511) * BS, slot * BS + BS) : own[i]!
      raw.read(file.fd, buf, BS, nextOffset(), cb)
    })
  }).pipe(Effect.scoped)

// readBatch pipelining, no Effect: 2 "fibers" of 256-read batches, 16 in flight each, refill in chunks of 4
const rawBatch = (window: number) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine
    const file = yield* engine.open(FILE)
    const raw = engine.native.raw
    return yield* Effect.async<R>((resume) => {
      let count = 0
      let stop = false
      const start = performance.now()
      const cpu = process.cpuUsage()
      setTimeout(() => (stop = true), SECONDS * 1000)
      let live = 2
      for (let f = 0; f < 2; f++) {
        const slab = new Uint8Array(256 * BS)
        const offs = new Float64Array(256), lens = new Float64Array(256), poss = new Float64Array(256), ids = new Float64Array(256)
        const positions = new Float64Array(256)
        let next = 0, inFlight = 0, doneN = 0
        const per = window / 2
        const fill = () => {
          const take = Math.min(per - inFlight, 256 - next)
          if (take <= 0) return
          for (let k = 0; k < take; k++) {
            offs[k] = (next + k) * BS
            lens[k] = BS
            poss[k] = positions[next + k]!
          }
          const first = next
          next += take
          inFlight += take
          raw.readBatch(file.fd, slab, offs, lens, poss, take, cb, ids)
          void first
        }
        const begin = () => {
          for (let i = 0; i < 256; i++) positions[i] = nextOffset()
          next = 0
          doneN = 0
          fill()
        }
        const cb = (_k: number, _r: number) => {
          inFlight--
          doneN++
          count++
          if (doneN === 256) {
            if (stop) {
              if (--live === 0) resume(Effect.succeed(measureSince(count, start, cpu)))
              return
            }
            queueMicrotask(begin)
            return
          }
          if (per - inFlight >= 4) fill()
          else queueMicrotask(fill)
        }
        begin()
      }
    })
  }).pipe(Effect.scoped)

const readMany = (window: number | undefined, distinct = RMB, batch = RMB) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine
    const file = yield* engine.open(FILE)
    const perFiber = window === undefined ? undefined : { concurrency: Math.max(1, Math.floor(window / 2)) }
    const batches = Array.from({ length: 2 }, () => {
      const slab = new Uint8Array(Math.max(256, batch) * BS)
      const requests = Array.from({ length: batch }, (_, i) => ({
        fd: file.fd,
        offset: 0,
        length: BS,
        buffer: slab.subarray((i % distinct) * BS, ((i % distinct) + 1) * BS)
      }))
      return Effect.suspend(() => {
        for (const r of requests) (r as { offset: number }).offset = nextOffset()
        return engine.readMany(requests, perFiber)
      })
    })
    let stop = false
    let count = 0
    setTimeout(() => (stop = true), SECONDS * 1000)

    const start = performance.now()
    const cpu = process.cpuUsage()
    yield* Effect.forEach([0, 1], (i) => Effect.whileLoop({ while: () => !stop, body: () => batches[i]!, step: () => count += batch }), {
      concurrency: "unbounded",
      discard: true
    })
    const m = measureSince(count, start, cpu)

    return m
  }).pipe(Effect.scoped)

// fio's own split of the same workload (usr/sys from its report), to compare against in one run.
const fio = Effect.sync((): R => {
  const run = fioRun(FILE, SECONDS)
  return { iops: run.iops, user: run.userNs, sys: run.sysNs, faults: run.minorFaultsPerKiloRead }
})

// The native job with no Effect and no validation (as scratchpad/readmany/ab.ts drives it), on the
// same engine as the readMany peers: what the JavaScript layer of readMany adds is the difference.
const rawJob = (window: number, batch: number, distinct = batch) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine
    const file = yield* engine.open(FILE)
    const raw = engine.native.raw
    const jobs = [0, 1].map(() => jobColumns(file.fd, batch, distinct, BS))
    return yield* closedLoop(2, (f, _first, done) => {
      const j = jobs[f]!
      j.refill(nextOffset)
      raw.readMany(j.fds, j.pos, j.lens, j.bases, j.offs, j.buffers, batch, Math.max(1, window >> 1), true, j.results, done)
    }, batch)
  }).pipe(Effect.scoped)

const peers: Record<string, Effect.Effect<R, unknown, AuraEngine>> = {
  fio,
  raw32: rawCallbacks(32, false),
  raw32slab: rawCallbacks(32, true),
  raw32fixed: rawFixed(32),
  rawBatch: rawBatch(Number(args.window)),
  readMany: readMany(Number(args.window)),
  readManyDefault: readMany(undefined),
  readManySmall: readMany(Number(args.window), 32)
}
const main = Effect.gen(function*() {
  const names = args.peers!.split(",")
  // "rm:B" / "rm:B:D": readMany with batches of B reads (D distinct 4 KiB buffers per fiber, default B)
  for (const n of names) {
    const m = /^rm:(\d+)(?::(\d+))?$/.exec(n)
    if (m) peers[n] = readMany(Number(args.window), Number(m[2] ?? m[1]), Number(m[1]))
    const j = /^job:(\d+)(?::(\d+))?$/.exec(n)
    if (j) peers[n] = rawJob(Number(args.window), Number(j[1]), Number(j[2] ?? j[1]))
  }
  for (let round = 1; round <= Number(args.rounds); round++) {
    warm(FILE)
    const line: Array<string> = []
    for (const p of names) {
      let session: any
      if (process.env.ALLOC) {
        const insp = yield* Effect.promise(() => import("node:inspector"))
        session = new insp.Session()
        session.connect()
        session.post("HeapProfiler.startSampling", { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
      }
      faultsAt = process.resourceUsage().minorPageFault
      const r = yield* peers[p]!
      if (session) {
        const fs = yield* Effect.promise(() => import("node:fs"))
        const count = r.iops * SECONDS
        session.post("HeapProfiler.stopSampling", (_err: unknown, res: any) => {
          fs.writeFileSync(`/tmp/rmprof/alloc.${p}.json`, JSON.stringify({ ...res, count }))
        })
      }
      line.push(`${p} ${(r.iops / 1000).toFixed(0)}k u${r.user.toFixed(0)} s${r.sys.toFixed(0)} f${(r.faults ?? 0).toFixed(2)}`)
    }
    console.log(`round ${round}: ${line.join("  ")}`)
  }
})
Effect.runPromise(Effect.provide(main, AuraEngine.layerWith({ aimd: false, ...(process.env.ENTRIES ? { entries: Number(process.env.ENTRIES) } : {}) }))).catch((e) => {
  console.error(e)
  process.exit(1)
})
