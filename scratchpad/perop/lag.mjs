// Event-loop delay while 32 fibers loop on reads: on-the-spot resume vs scheduler.
import { AuraEngine } from "@auraio/core"
import * as Effect from "effect/Effect"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { setResumeOnSpot } from "../../packages/core/dist/internal/op.js"
const FILE = "/tmp/auraio-bench-1g.bin", BS = 4096
let cursor = 0
const next = () => ((cursor = (cursor * 1103515245 + 12345) & 0x3ffff) * BS)
const run = (onSpot) => Effect.gen(function*() {
  setResumeOnSpot(onSpot)
  const engine = yield* AuraEngine
  const file = yield* engine.open(FILE)
  const bufs = Array.from({ length: 32 }, () => new Uint8Array(BS))
  let stop = false, count = 0, ticks = 0
  const h = monitorEventLoopDelay({ resolution: 1 }); h.enable()
  const iv = setInterval(() => ticks++, 1)
  setTimeout(() => (stop = true), 2000)
  yield* Effect.forEach(bufs, (b) => Effect.whileLoop({ while: () => !stop, body: () => Effect.suspend(() => engine.read(file.fd, b, next())), step: () => count++ }), { concurrency: "unbounded", discard: true })
  h.disable(); clearInterval(iv)
  console.log(`onSpot=${onSpot}: ${(count / 2000).toFixed(0)}k ops/s, 1ms-interval ticks ${ticks}, loop delay p50 ${(h.percentile(50) / 1e6).toFixed(2)} ms p99 ${(h.percentile(99) / 1e6).toFixed(2)} ms max ${(h.max / 1e6).toFixed(2)} ms`)
}).pipe(Effect.scoped)
await Effect.runPromise(Effect.provide(Effect.all([run(false), run(true), run(false), run(true)]), AuraEngine.layerWith({ aimd: false })))
