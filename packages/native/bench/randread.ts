/**
 * 4 KiB random reads over a warm 1 GiB file: fio (io_uring) side by side with this engine, in
 * interleaved rounds, medians reported. Not a test: run it by hand.
 *
 *   node_modules/.bin/tsx packages/native/bench/randread.ts            # 3 rounds x 5 s per case
 *   ROUNDS=5 RUNTIME=5 BENCH_FILE=/tmp/x.bin node_modules/.bin/tsx packages/native/bench/randread.ts
 *
 * Cases per round (the file is re-read sequentially right before each, so every case sees a warm cache):
 *   fio-qd32   fio --iodepth=32 --iodepth_batch_submit=32 --iodepth_batch_complete_min=1 --iodepth_batch_complete_max=32
 *   batch-qd32 engine.raw.readBatch, 32 in flight, one thread; freed slots go out again 8 per native call
 *   raw-qd32   engine.raw.read, one native call per op, 32 in flight
 *   fio-default fio --iodepth=32 with fio's default batching (one enter per I/O)
 *   fio-qd1    fio --iodepth=1 (lat percentiles)
 *   raw-qd1    engine.raw.read, one op at a time; latency measured in JS around each op
 *   c-qd1      bench/qd1-baseline.c: the same ring setup driven from C (kernel share of the qd1 latency);
 *              compiled on first use with cc, skipped when no compiler is around
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import { writeResult } from "../../../scripts/bench/result.js"
import { COUNTER_STRIDE, Counter, openEngine } from "../src/index.js"
import type { Engine } from "../src/index.js"

const FILE = process.env["BENCH_FILE"] ?? path.join(os.tmpdir(), "auraio-bench", "randread-1g.bin")
const SIZE = 1 << 30
const BS = 4096
const PAGES = SIZE / BS
const ROUNDS = Number(process.env["ROUNDS"] ?? 3)
const RUNTIME = Number(process.env["RUNTIME"] ?? 5)
const DEPTH = 32

const ensureFile = () => {
  if (fs.existsSync(FILE) && fs.statSync(FILE).size === SIZE) return
  fs.mkdirSync(path.dirname(FILE), { recursive: true })
  const fd = fs.openSync(FILE, "w")
  const chunk = Buffer.alloc(1 << 20)
  for (let i = 0; i < SIZE / chunk.length; i++) {
    for (let j = 0; j < chunk.length; j += 8) chunk.writeUInt32LE((i * 2654435761 + j) >>> 0, j)
    fs.writeSync(fd, chunk)
  }
  fs.closeSync(fd)
}

const warm = () => {
  const fd = fs.openSync(FILE, "r")
  const buf = Buffer.allocUnsafe(1 << 20)
  while (fs.readSync(fd, buf, 0, buf.length, null) > 0) {
    // sequential read pulls every page into the page cache
  }
  fs.closeSync(fd)
}

let seed = 0x9e3779b9
const rand = () => {
  // xorshift32: cheap and good enough to spread reads over the file
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return (seed >>> 0) % PAGES
}

interface Result {
  readonly iops: number
  /** CPU time (user + system) per op in µs: robust against CPU steal on a shared VM */
  readonly cpuUsPerOp?: number
  readonly entersPerOp?: number
  readonly p50us?: number
  readonly p99us?: number
  readonly nativeP50us?: number
}

const fio = (depth: number, batch = true): Result => {
  const args = [
    "--name=r",
    `--filename=${FILE}`,
    "--rw=randread",
    "--bs=4k",
    "--ioengine=io_uring",
    `--iodepth=${depth}`,
    ...(depth > 1 && batch ? [`--iodepth_batch_submit=${depth}`, "--iodepth_batch_complete_min=1", `--iodepth_batch_complete_max=${depth}`] : ["--lat_percentiles=1"]),
    "--invalidate=0",
    "--time_based",
    `--runtime=${RUNTIME}`,
    "--output-format=json"
  ]
  const r = spawnSync("fio", args, { encoding: "utf8", maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`fio failed: ${r.stderr}`)
  const jobAll = JSON.parse(r.stdout).jobs[0]
  const job = jobAll.read
  const pct = (job.lat_ns?.percentile ?? job.clat_ns?.percentile) as Record<string, number> | undefined
  const cpuSec = ((jobAll.usr_cpu + jobAll.sys_cpu) / 100) * (jobAll.job_runtime / 1000)
  return {
    iops: job.iops,
    cpuUsPerOp: (cpuSec * 1e6) / job.total_ios,
    ...(depth === 1 && pct ? { p50us: pct["50.000000"]! / 1000, p99us: pct["99.000000"]! / 1000 } : {})
  }
}

const enters = (e: Engine) => {
  let s = 0
  for (let r = 0; r < e.ringCount; r++) s += e.counters[r * COUNTER_STRIDE + Counter.Enters]!
  return s
}

const withEngine = async (run: (e: Engine, fd: number) => Promise<number>): Promise<Result> => {
  // One ring: a single JS thread submits, so its CPU's ring takes every op anyway.
  const e = openEngine({ rings: 1 })
  const fd = fs.openSync(FILE, "r")
  try {
    const e0 = enters(e)
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const ops = await run(e, fd)
    const secs = (performance.now() - t0) / 1000
    const c = process.cpuUsage(c0)
    return { iops: ops / secs, cpuUsPerOp: (c.user + c.system) / ops, entersPerOp: (enters(e) - e0) / ops }
  } finally {
    fs.closeSync(fd)
    await e.close()
  }
}

const batchQd32 = () =>
  withEngine(
    (e, fd) =>
      new Promise<number>((resolve) => {
        const buf = new Uint8Array(DEPTH * BS)
        const free: Array<number> = Array.from({ length: DEPTH }, (_, i) => i)
        let done = 0
        let errors = 0
        let outstanding = 0
        const deadline = performance.now() + RUNTIME * 1000
        let running = true
        interface Batch {
          offs: Float64Array
          lens: Float64Array
          poss: Float64Array
          left: number
          cb: (i: number, r: number) => void
        }
        const pool: Array<Batch> = []
        const next = () => {
          if (running && (done & 1023) < DEPTH && performance.now() > deadline) running = false
          if (running) submit()
          else if (outstanding === 0) {
            if (errors) console.error(`batch: ${errors} short or failed reads`)
            resolve(done)
          }
        }
        const makeBatch = (): Batch => {
          const b: Batch = {
            offs: new Float64Array(DEPTH),
            lens: new Float64Array(DEPTH).fill(BS),
            poss: new Float64Array(DEPTH),
            left: 0,
            cb: (i, r) => {
              if (r !== BS) errors++
              done++
              outstanding--
              free.push(b.offs[i]! / BS)
              if (--b.left === 0) pool.push(b)
              // Send freed slots out again in groups of 8 (one native call each): a slow read (a page the
              // VM evicted) then holds back one slot, not a whole batch. The SQEs still leave in one
              // enter per 32 (the flush threshold, or the end of the delivery round).
              if (free.length >= 8 || outstanding === 0) next()
            }
          }
          return b
        }
        for (let i = 0; i <= DEPTH; i++) pool.push(makeBatch())
        const submit = () => {
          const k = free.length
          if (k === 0) return
          const b = pool.pop()!
          for (let j = 0; j < k; j++) {
            b.offs[j] = free.pop()! * BS
            b.poss[j] = rand() * BS
          }
          b.left = k
          outstanding += k
          e.raw.readBatch(fd, buf, b.offs, b.lens, b.poss, k, b.cb)
        }
        submit()
      })
  )

const rawQd32 = () =>
  withEngine(
    (e, fd) =>
      new Promise<number>((resolve) => {
        let done = 0
        let outstanding = 0
        let errors = 0
        let running = true
        const deadline = performance.now() + RUNTIME * 1000
        const buf = new Uint8Array(DEPTH * BS)
        const lanes = Array.from({ length: DEPTH }, (_, i) => {
          const view = buf.subarray(i * BS, (i + 1) * BS)
          const cb = (r: number) => {
            if (r !== BS) errors++
            done++
            outstanding--
            // Checking the clock every op would dominate: every 1024 ops is plenty for a 5 s run.
            if ((done & 1023) === 0 && performance.now() > deadline) running = false
            if (running) go()
            else if (outstanding === 0) {
              if (errors) console.error(`raw: ${errors} short or failed reads`)
              resolve(done)
            }
          }
          const go = () => {
            outstanding++
            e.raw.read(fd, view, BS, rand() * BS, cb)
          }
          return go
        })
        for (const go of lanes) go()
      })
  )

const rawQd1 = async (): Promise<Result> => {
  const lat = new Float64Array(4_000_000)
  let n = 0
  let nativeP50 = 0
  const r = await withEngine(
    (e, fd) =>
      new Promise<number>((resolve) => {
        const buf = new Uint8Array(BS)
        const deadline = performance.now() + RUNTIME * 1000
        let t = 0
        const cb = (res: number) => {
          const now = performance.now()
          if (res !== BS) throw new Error(`qd1 read returned ${res}`)
          if (n < lat.length) lat[n] = now - t
          n++
          if ((n & 255) === 0 && now > deadline) {
            nativeP50 = e.stats().total.latencyUs.p50
            return resolve(n)
          }
          t = performance.now()
          e.raw.read(fd, buf, BS, rand() * BS, cb)
        }
        t = performance.now()
        e.raw.read(fd, buf, BS, rand() * BS, cb)
      })
  )
  const sorted = lat.subarray(0, Math.min(n, lat.length)).sort()
  return {
    ...r,
    p50us: sorted[Math.floor(sorted.length * 0.5)]! * 1000,
    p99us: sorted[Math.floor(sorted.length * 0.99)]! * 1000,
    nativeP50us: nativeP50
  }
}

const cBaseline = (): Result => {
  const src = new URL("./qd1-baseline.c", import.meta.url).pathname
  const bin = path.join(path.dirname(FILE), "qd1-baseline")
  if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < fs.statSync(src).mtimeMs) {
    const cc = spawnSync("cc", ["-O2", "-o", bin, src, "-luring"], { encoding: "utf8" })
    if (cc.status !== 0) throw new Error(`cannot build the C baseline: ${cc.stderr || cc.error?.message}`)
  }
  const r = spawnSync(bin, [FILE, String(RUNTIME)], { encoding: "utf8" })
  if (r.status !== 0) throw new Error(`C baseline failed (${r.status}): ${r.stderr}`)
  const j = JSON.parse(r.stdout) as { iops: number; p50us: number; p99us: number }
  return { iops: j.iops, p50us: j.p50us, p99us: j.p99us }
}

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

const main = async () => {
  ensureFile()
  const cases: Record<string, () => Result | Promise<Result>> = {
    "fio-qd32": () => fio(32),
    "batch-qd32": batchQd32,
    "raw-qd32": rawQd32,
    "fio-default": () => fio(32, false),
    "fio-qd1": () => fio(1),
    "raw-qd1": rawQd1,
    "c-qd1": cBaseline
  }
  const only = process.env["CASES"]?.split(",")
  if (only) for (const k of Object.keys(cases)) if (!only.includes(k)) delete cases[k]
  const results: Record<string, Array<Result>> = {}
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [name, run] of Object.entries(cases)) {
      warm()
      const r = await run()
      ;(results[name] ??= []).push(r)
      const extra = [
        r.cpuUsPerOp !== undefined ? `cpu ${r.cpuUsPerOp.toFixed(3)} us/op` : "",
        r.entersPerOp !== undefined ? `enters/op ${r.entersPerOp.toFixed(4)}` : "",
        r.p50us !== undefined ? `p50 ${r.p50us.toFixed(2)} us p99 ${r.p99us!.toFixed(2)} us` : "",
        r.nativeP50us !== undefined ? `(native histogram p50 ${r.nativeP50us} us)` : ""
      ].filter(Boolean)
      console.log(`round ${round} ${name.padEnd(10)} ${Math.round(r.iops).toString().padStart(8)} IOPS ${extra.join("  ")}`)
    }
  }
  const med = (name: string, f: (r: Result) => number | undefined) => median(results[name]!.map((r) => f(r) ?? Number.NaN))
  if (only) return
  const fio32 = med("fio-qd32", (r) => r.iops)
  const summary = {
    file: FILE,
    rounds: ROUNDS,
    runtimeSec: RUNTIME,
    cpus: os.availableParallelism(),
    kernel: os.release(),
    node: process.version,
    median: Object.fromEntries(
      Object.keys(cases).map((n) => [
        n,
        {
          iops: Math.round(med(n, (r) => r.iops)),
          cpuUsPerOp: Number(med(n, (r) => r.cpuUsPerOp).toFixed(3)),
          ...(results[n]![0]!.entersPerOp !== undefined ? { entersPerOp: Number(med(n, (r) => r.entersPerOp).toFixed(4)) } : {}),
          ...(results[n]![0]!.p50us !== undefined ? { p50us: Number(med(n, (r) => r.p50us).toFixed(2)), p99us: Number(med(n, (r) => r.p99us).toFixed(2)) } : {})
        }
      ])
    ),
    roundRatios: {
      batchQd32VsFio: Number(median(results["batch-qd32"]!.map((r, i) => r.iops / results["fio-qd32"]![i]!.iops)).toFixed(3)),
      rawQd32VsFio: Number(median(results["raw-qd32"]!.map((r, i) => r.iops / results["fio-qd32"]![i]!.iops)).toFixed(3)),
      qd1P50VsFio: Number(median(results["raw-qd1"]!.map((r, i) => r.p50us! / results["fio-qd1"]![i]!.p50us!)).toFixed(3))
    },
    ratios: {
      batchQd32VsFio: Number((med("batch-qd32", (r) => r.iops) / fio32).toFixed(3)),
      rawQd32VsFio: Number((med("raw-qd32", (r) => r.iops) / fio32).toFixed(3)),
      batchQd32CpuPerOpVsFio: Number((med("batch-qd32", (r) => r.cpuUsPerOp) / med("fio-qd32", (r) => r.cpuUsPerOp)).toFixed(3)),
      qd1P50VsFio: Number((med("raw-qd1", (r) => r.p50us) / med("fio-qd1", (r) => r.p50us)).toFixed(3))
    }
  }
  console.log(JSON.stringify(summary, null, 2))
  const f = (x: number | undefined, d = 2) => (x === undefined || Number.isNaN(x) ? null : Number(x.toFixed(d)))
  const file = writeResult({
    id: "native-randread",
    title: "Native engine: 4 KiB random reads, warm 1 GiB file, one thread (medians)",
    command: `ROUNDS=${ROUNDS} RUNTIME=${RUNTIME} node_modules/.bin/tsx packages/native/bench/randread.ts`,
    columns: ["case", "IOPS", "vs fio-qd32", "CPU µs/op", "enters/op", "p50 µs", "p99 µs"],
    rows: Object.keys(cases).map((n) => {
      const m = summary.median[n] as { iops: number; cpuUsPerOp: number; entersPerOp?: number; p50us?: number; p99us?: number }
      return [n, m.iops, f(m.iops / fio32, 3), f(m.cpuUsPerOp, 3), f(m.entersPerOp, 4), f(m.p50us), f(m.p99us)]
    }),
    notes: [
      `${ROUNDS} interleaved rounds of ${RUNTIME} s per case; the file is read sequentially right before each case.`,
      `batch-qd32 / fio-qd32 IOPS: ratio of medians ${summary.ratios.batchQd32VsFio}, median of per-round ratios ${summary.roundRatios.batchQd32VsFio} (target >= 0.9); CPU per op ${summary.ratios.batchQd32CpuPerOpVsFio}x fio's.`,
      `qd1 p50 ${summary.ratios.qd1P50VsFio}x fio's (median of per-round ratios ${summary.roundRatios.qd1P50VsFio}; target <= 1.5); ours is measured in JS around each op, fio's is its total latency.`,
      "CPU µs/op: user+system time of the whole process (ours) or of fio's job, per op — robust against CPU steal."
    ],
    host: { cpus: os.availableParallelism(), kernel: os.release(), node: process.version }
  })
  console.log(`wrote ${file}`)
}

void main()
