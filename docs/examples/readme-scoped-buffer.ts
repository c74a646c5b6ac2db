import { AuraBufferPool, AuraEngine } from "@auraio/core"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import { constants } from "node:fs"

const path = process.argv[2] ?? "/usr/bin/env"

const program = Effect.gen(function*() {
  const engine = yield* AuraEngine
  const pool = yield* AuraBufferPool
  const file = yield* engine.open(path, { flag: constants.O_RDONLY | constants.O_DIRECT })
  // Page-aligned, so O_DIRECT accepts it; back in the pool when the scope closes, and never
  // before the kernel has finished writing into it.
  const buffer = yield* pool.acquire(64 * 1024)
  const n = yield* file.read(buffer, 0)
  yield* Effect.log(`read ${n} bytes with O_DIRECT, bypassing the page cache`)
})

program.pipe(Effect.scoped, Effect.provide(AuraEngine.layer), NodeRuntime.runMain)
