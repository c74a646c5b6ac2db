// docs/guide/cancellation.md — runs as a test in packages/core/test/guide.test.ts
import { AuraEngine } from "@auraio/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

// A per-op deadline: the read is cancelled in the kernel when the timeout fires, and the fiber
// finishes once the kernel has confirmed — the buffer is never written after this returns.
export const readWithDeadline = (fd: number) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine
    const buf = new Uint8Array(4096)
    return yield* engine.read(fd, buf).pipe(
      Effect.timeout("50 millis"),
      Effect.catchTag("TimeoutException", () => Effect.succeed(-1))
    )
  })

// Interrupting a fiber cancels whatever it has in flight.
export const interruptReader = (fd: number) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine
    const fiber = yield* Effect.fork(engine.read(fd, new Uint8Array(4096)))
    yield* Effect.sleep("10 millis")
    yield* Fiber.interrupt(fiber) // returns after the cancel's completion
    const stats = yield* engine.stats
    return stats.inFlight // 0
  })

// Racing two reads: the loser is cancelled.
export const firstOf = (fdA: number, fdB: number) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine
    return yield* Effect.race(
      Effect.as(engine.read(fdA, new Uint8Array(16)), "a"),
      Effect.as(engine.read(fdB, new Uint8Array(16)), "b")
    )
  })
