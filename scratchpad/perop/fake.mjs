// The per-op Effect path over a fake ring (no kernel): what Effect + op.ts cost per op.
// node fake.mjs rounds seconds sched,aura
import * as Effect from "effect/Effect"
import { directRw, choosePath, setResumeOnSpot } from "../../packages/core/dist/internal/op.js"
const ROUNDS = Number(process.argv[2] ?? 5)
const SECONDS = Number(process.argv[3] ?? 1)
const PEERS = (process.argv[4] ?? "sched,sync,direct").split(",")
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }
let pending = [], scheduled = false, nextId = 1
const fire = () => {
  scheduled = false
  const batch = pending; pending = []
  for (let i = 0; i < batch.length; i++) batch[i](4096)
}
const fake = {
  read(fd, buf, len, pos, cb) {
    pending.push(cb)
    if (!scheduled) { scheduled = true; setImmediate(fire) }
    return nextId++
  }
}
const env = { cancel: () => {}, pool: { live: 0 } }
const onError = (r) => new Error(String(r))
const timed = (fibers) => Effect.suspend(() => {
  let stop = false, count = 0
  const timer = setTimeout(() => (stop = true), SECONDS * 1000)
  const start = performance.now(), cpu = process.cpuUsage()
  const bufs = Array.from({ length: fibers }, () => new Uint8Array(16))
  return Effect.forEach(Array.from({ length: fibers }, (_, i) => i), (i) => {
    const body = Effect.suspend(() => directRw(env, fake, false, 3, bufs[i], count * 4096, undefined, onError))
    return Effect.whileLoop({ while: () => !stop, body: () => body, step: () => count++ })
  }, { concurrency: "unbounded", discard: true }).pipe(Effect.map(() => {
    const c = process.cpuUsage(cpu)
    return { iops: count * 1000 / (performance.now() - start), cpuNs: (c.user + c.system) * 1000 / count }
  }), Effect.ensuring(Effect.sync(() => clearTimeout(timer))))
})
const main = Effect.gen(function*() {
  yield* choosePath(false)
  const res = Object.fromEntries(PEERS.map((p) => [p, { iops: [], cpu: [] }]))
  for (let r = 0; r < ROUNDS; r++) {
    const line = []
    for (let k = 0; k < PEERS.length; k++) {
      const p = PEERS[(k + r) % PEERS.length]
      setResumeOnSpot(p !== "sched")
      const x = yield* timed(32)
      res[p].iops.push(x.iops); res[p].cpu.push(x.cpuNs)
      line.push(`${p} ${(x.iops / 1000).toFixed(0)}k/${x.cpuNs.toFixed(0)}ns`)
    }
    console.log(`round ${r + 1}: ${line.join("  ")}`)
  }
  const ref = PEERS[0]
  for (const p of PEERS) {
    console.log(`${p.padEnd(8)} ${(median(res[p].iops) / 1000).toFixed(0)}k  ${median(res[p].cpu).toFixed(0)} ns/op   ops ${median(res[p].iops.map((v, i) => v / res[ref].iops[i])).toFixed(3)}x ${ref}, cpu ${median(res[p].cpu.map((v, i) => v / res[ref].cpu[i])).toFixed(3)}x`)
  }
})
Effect.runPromise(main)
