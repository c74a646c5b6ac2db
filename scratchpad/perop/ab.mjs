// Interleaved A/B of the per-op path in one process: node ab.mjs rounds seconds raw,sched,aura
// raw: native callbacks (no Effect); sched: fibers resumed through the scheduler; aura: resumed on the spot
import { AuraEngine } from "@auraio/core"
import * as Effect from "effect/Effect"
import { openSync, readSync, closeSync } from "node:fs"
import { setResumeOnSpot } from "../../packages/core/dist/internal/op.js"
const FILE = "/tmp/auraio-bench-1g.bin"
const ROUNDS = Number(process.argv[2] ?? 5)
const SECONDS = Number(process.argv[3] ?? 2)
const PEERS = (process.argv[4] ?? "raw,sched,sync").split(",")
const FIBERS = 32
const BS = 4096, BLOCKS = (1 << 30) / BS
const OFFSETS = new Float64Array(1 << 20)
{ let x = 0x9e3779b9; for (let i = 0; i < OFFSETS.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; OFFSETS[i] = ((x >>> 0) % BLOCKS) * BS } }
let cursor = 0
const nextOffset = () => OFFSETS[(cursor = (cursor + 1) & (OFFSETS.length - 1))]
const warm = () => { const fd = openSync(FILE, "r"); const b = Buffer.allocUnsafe(1 << 24); for (let o = 0; o < (1 << 30); o += b.length) readSync(fd, b, 0, b.length, o); closeSync(fd) }
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }

const timed = (fibers, op) => Effect.suspend(() => {
  let stop = false, count = 0
  const timer = setTimeout(() => (stop = true), SECONDS * 1000)
  const start = performance.now(), cpu = process.cpuUsage()
  return Effect.forEach(Array.from({ length: fibers }, (_, i) => i), (i) => {
    const body = op(i)
    return Effect.whileLoop({ while: () => !stop, body: () => body, step: () => count++ })
  }, { concurrency: "unbounded", discard: true }).pipe(Effect.map(() => {
    const c = process.cpuUsage(cpu)
    return { iops: count * 1000 / (performance.now() - start), cpuNs: (c.user + c.system) * 1000 / count }
  }), Effect.ensuring(Effect.sync(() => clearTimeout(timer))))
})

const rawRun = (raw, fd) => Effect.async((resume) => {
  let count = 0, stop = false, live = FIBERS
  const start = performance.now(), cpu = process.cpuUsage()
  setTimeout(() => (stop = true), SECONDS * 1000)
  for (let i = 0; i < FIBERS; i++) {
    const buf = new Uint8Array(BS)
    const cb = () => {
      count++
      if (!stop) raw.read(fd, buf, BS, nextOffset(), cb)
      else if (--live === 0) { const c = process.cpuUsage(cpu); resume(Effect.succeed({ iops: count * 1000 / (performance.now() - start), cpuNs: (c.user + c.system) * 1000 / count })) }
    }
    raw.read(fd, buf, BS, nextOffset(), cb)
  }
})

const main = Effect.gen(function*() {
  const engine = yield* AuraEngine
  const file = yield* engine.open(FILE)
  const fd = file.fd
  const bufs = Array.from({ length: FIBERS }, () => new Uint8Array(BS))
  const res = Object.fromEntries(PEERS.map((p) => [p, { iops: [], cpu: [] }]))
  for (let r = 0; r < ROUNDS; r++) {
    warm()
    const order = PEERS.map((_, i) => PEERS[(i + r) % PEERS.length])
    const line = []
    for (const p of order) {
      const base = p.replace(/\d+$/, "")
      setResumeOnSpot(base !== "sched")
      const x = base === "raw" ? yield* rawRun(engine.native.raw, fd) : yield* timed(FIBERS, (i) => Effect.suspend(() => engine.read(fd, bufs[i], nextOffset())))
      res[p].iops.push(x.iops); res[p].cpu.push(x.cpuNs)
      line.push(`${p} ${(x.iops / 1000).toFixed(0)}k/${x.cpuNs.toFixed(0)}ns`)
    }
    console.log(`round ${r + 1}: ${line.join("  ")}`)
  }
  const ref = PEERS[0]
  for (const p of PEERS) {
    const ratio = median(res[p].iops.map((v, i) => v / res[ref].iops[i]))
    const cratio = median(res[p].cpu.map((v, i) => v / res[ref].cpu[i]))
    console.log(`${p.padEnd(8)} ${(median(res[p].iops) / 1000).toFixed(0)}k  ${median(res[p].cpu).toFixed(0)} ns/read   iops ${ratio.toFixed(3)}x ${ref}, cpu ${cratio.toFixed(3)}x`)
  }
}).pipe(Effect.scoped)
Effect.runPromise(Effect.provide(main, AuraEngine.layerWith({ aimd: false }))).catch((e) => { console.error(e); process.exit(1) })
