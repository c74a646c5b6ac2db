import type { PlatformError } from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import type { BufferPool } from "./bufferPool.js"

/**
 * The ops a caller has in flight against one file handle: `AuraFile` closes its fd only once this
 * drains. `cancelAll` is used when the drain bound expires.
 * @internal
 */
export class Tracker {
  inFlight = 0
  private readonly ids = new Set<number>()
  private idle: Array<() => void> = []

  add(id: number): void {
    this.ids.add(id)
  }

  done(id: number): void {
    this.ids.delete(id)
    if (--this.inFlight === 0 && this.idle.length > 0) {
      const idle = this.idle
      this.idle = []
      for (const f of idle) f()
    }
  }

  cancelAll(cancel: (id: number) => void): void {
    for (const id of this.ids) cancel(id)
  }

  /** Resolves when nothing is in flight; never interrupted half-way. */
  readonly drained: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.inFlight === 0) return resume(Effect.void)
    this.idle.push(() => resume(Effect.void))
  })
}

/** @internal */
export type Submit = (cb: (result: number) => void) => number

/**
 * The one shape every ring op has: submit with a completion callback, suspend the fiber, and on
 * interruption submit a cancel and stay suspended until the op's own completion arrives — so the
 * buffer the kernel writes into is never handed back early and `Effect.timeout` is a real deadline.
 *
 * No generator, no span, no fiber: one `Effect.async` per op.
 * @internal
 */
export const runOp = <A>(
  cancel: (id: number) => void,
  pool: BufferPool,
  buf: Uint8Array | undefined,
  tracker: Tracker | undefined,
  submit: Submit,
  onResult: (result: number) => Effect.Effect<A, PlatformError>
): Effect.Effect<A, PlatformError> =>
  Effect.async<A, PlatformError>((resume) => {
    let done = false
    let waiter: ((effect: Effect.Effect<void>) => void) | undefined
    const slot = buf === undefined ? undefined : pool.slotOf(buf)
    if (slot !== undefined) pool.hold(slot)
    if (tracker !== undefined) tracker.inFlight++
    let id = -1
    try {
      id = submit((result) => {
        done = true
        if (slot !== undefined) pool.unhold(slot)
        if (tracker !== undefined) tracker.done(id)
        if (waiter !== undefined) waiter(Effect.void)
        else resume(onResult(result))
      })
    } catch (e) {
      // Only an engine that is already closed throws; that is a defect, not an I/O failure.
      if (slot !== undefined) pool.unhold(slot)
      if (tracker !== undefined) tracker.done(-1)
      return resume(Effect.die(e))
    }
    if (tracker !== undefined && !done) tracker.add(id)
    return Effect.async<void>((wake) => {
      if (done) return wake(Effect.void)
      waiter = wake
      cancel(id)
    })
  })
