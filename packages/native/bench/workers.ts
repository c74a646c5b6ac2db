/**
 * 4 worker_threads doing 4 KiB random reads at depth 32 each over a warm 256 MiB span of the
 * randread file: engines on the shared rings (`shared: true`), private engines (each worker its own
 * CPU-count rings), and node:fs `fs.read` (libuv thread pool) — interleaved rounds, medians, process
 * CPU per op (all threads: JS, reaper, io-wq, libuv pool). Not a test: run it by hand, under the lock:
 *
 *   node_modules/.bin/tsc -b packages/native
 *   flock /tmp/auraio-bench.lock env ROUNDS=5 RUNTIME=3 node_modules/.bin/tsx packages/native/bench/workers.ts
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Worker } from "node:worker_threads"

const FILE = process.env["BENCH_FILE"] ?? path.join(os.tmpdir(), "auraio-bench", "randread-1g.bin")
const SPAN = 256 << 20
const ROUNDS = Number(process.env["ROUNDS"] ?? 5)
const RUNTIME = Number(process.env["RUNTIME"] ?? 3)
const WORKERS = Number(process.env["WORKERS"] ?? 4)
const MODES = ["shared", "private", "node-fs"] as const
type Mode = (typeof MODES)[number]

if (!fs.existsSync(FILE) || fs.statSync(FILE).size < SPAN) {
  fs.mkdirSync(path.dirname(FILE), { recursive: true })
  fs.writeFileSync(FILE, Buffer.alloc(SPAN, 7))
}
const warm = () => {
  const fd = fs.openSync(FILE, "r")
  const b = Buffer.allocUnsafe(1 << 20)
  for (let o = 0; o < SPAN; o += b.length) fs.readSync(fd, b, 0, b.length, o)
  fs.closeSync(fd)
}

const script = new URL("./workers-worker.mjs", import.meta.url)
const runCase = async (mode: Mode, round: number) => {
  const ws = Array.from({ length: WORKERS }, (_, i) => new Worker(script, { workerData: { mode, file: FILE, span: SPAN, seconds: RUNTIME, seed: round * 100 + i + 1 }, env: { ...process.env, UV_THREADPOOL_SIZE: process.env["UV_THREADPOOL_SIZE"] ?? "4" } }))
  const exited = Promise.all(ws.map((w) => new Promise((r) => w.once("exit", r))))
  await Promise.all(ws.map((w) => new Promise((r) => w.once("message", r))))
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const done = Promise.all(ws.map((w) => new Promise<{ ops: number; secs: number }>((r, j) => (w.once("message", r), w.once("error", j)))))
  for (const w of ws) w.postMessage("go")
  const res = await done
  const wall = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  await exited
  const ops = res.reduce((a, r) => a + r.ops, 0)
  return { iops: ops / wall, cpuUsPerOp: (cpu.user + cpu.system) / ops }
}

const med = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const all: Record<Mode, Array<{ iops: number; cpuUsPerOp: number }>> = { shared: [], private: [], "node-fs": [] }
console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}; ${WORKERS} workers x depth 32, ${RUNTIME} s per case, ${ROUNDS} rounds`)
for (let round = 1; round <= ROUNDS; round++) {
  for (const mode of MODES) {
    warm()
    const r = await runCase(mode, round)
    all[mode].push(r)
    console.log(`round ${round} ${mode.padEnd(8)} ${Math.round(r.iops).toString().padStart(8)} IOPS  cpu ${r.cpuUsPerOp.toFixed(3)} us/op`)
  }
}
const m = Object.fromEntries(MODES.map((k) => [k, { iops: Math.round(med(all[k].map((r) => r.iops))), cpuUsPerOp: Number(med(all[k].map((r) => r.cpuUsPerOp)).toFixed(3)) }])) as Record<Mode, { iops: number; cpuUsPerOp: number }>
console.log(JSON.stringify({ median: m, ratios: { sharedVsPrivate: +(m.shared.iops / m.private.iops).toFixed(2), sharedVsNodeFs: +(m.shared.iops / m["node-fs"].iops).toFixed(2), privateVsNodeFs: +(m.private.iops / m["node-fs"].iops).toFixed(2) }, loadAvgAfter: os.loadavg()[0]!.toFixed(2) }, null, 2))
process.exit(0)
