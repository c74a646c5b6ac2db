// aura32 loop for a fixed number of reads (no warm-up read): for strace -c
import { AuraEngine } from "@auraio/core"
import * as Effect from "effect/Effect"
const N = Number(process.argv[2] ?? 200000), BS = 4096
let cursor = 0, count = 0
const next = () => ((cursor = (cursor * 1103515245 + 12345) & 0x3ffff) * BS)
const main = Effect.gen(function*() {
  const engine = yield* AuraEngine
  const file = yield* engine.open("/tmp/auraio-bench-1g.bin")
  const bufs = Array.from({ length: 32 }, () => new Uint8Array(BS))
  const s0 = yield* engine.stats
  yield* Effect.forEach(bufs, (b) => Effect.whileLoop({ while: () => count < N, body: () => Effect.suspend(() => engine.read(file.fd, b, next())), step: () => count++ }), { concurrency: "unbounded", discard: true })
  const s1 = yield* engine.stats
  const enters = s1.rings.reduce((a, r) => a + r.enters, 0) - s0.rings.reduce((a, r) => a + r.enters, 0)
  console.log(`reads ${count}, engine enters ${enters}, ${(enters / count).toFixed(4)} per read`)
}).pipe(Effect.scoped)
await Effect.runPromise(Effect.provide(main, AuraEngine.layerWith({ aimd: false })))
