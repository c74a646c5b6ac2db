import { AuraEngine } from "@auraio/core"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"

const path = process.argv[2] ?? "/usr/bin/env" // point it at your own data file

const program = Effect.gen(function*() {
  const engine = yield* AuraEngine
  const file = yield* engine.open(path) // closed with the scope, after its reads drain
  const size = Number((yield* file.stat).size)
  const offsets = Array.from({ length: 256 }, (_, i) => ((i * 7919) % Math.max(1, size >> 12)) * 4096)

  // 256 positional reads as one Effect: submitted in batches, results in request order.
  const blocks = yield* engine.readMany(offsets.map((offset) => ({ fd: file.fd, offset, length: 4096 })))
  yield* Effect.log(`read ${blocks.length} blocks, ${blocks.reduce((n, b) => n + b.length, 0)} bytes`)
}).pipe(
  // Interruption (a timeout, Ctrl-C, a failing sibling) cancels the reads still in flight.
  Effect.timeout("5 seconds")
)

program.pipe(Effect.scoped, Effect.provide(AuraEngine.layer), NodeRuntime.runMain)
