// docs/guide/scoped-buffers.md — runs as a test in packages/core/test/guide.test.ts
import { AuraBufferPool, AuraEngine } from "@auraio/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

// A page-aligned buffer for the life of a scope: back in the pool when the scope closes.
export const firstPage = (path: string) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine
    const pool = yield* AuraBufferPool
    const file = yield* engine.open(path)
    const page = yield* pool.acquire(4096) // aligned, not zeroed
    const n = yield* file.read(page, 0)
    return page.subarray(0, n).reduce((a, b) => a + b, 0)
  }).pipe(Effect.scoped)

// At the byte cap, `acquire` waits and `tryAcquire` says None.
export const atTheCap = Effect.gen(function*() {
  const pool = yield* AuraBufferPool
  yield* pool.acquire(pool.capBytes) // take everything
  const more = yield* pool.tryAcquire(4096)
  return Option.isNone(more)
}).pipe(Effect.scoped)

// A small pool for this program only.
export const withSmallPool = <A, E>(program: Effect.Effect<A, E, AuraEngine | AuraBufferPool>) =>
  program.pipe(Effect.provide(AuraEngine.layerWith({ poolCapBytes: 1 << 20 })))
