import type { PlatformError } from "@effect/platform/Error"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Scheduler from "effect/Scheduler"
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

  /** Resolves when nothing is in flight. */
  readonly drained: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.inFlight === 0) return resume(Effect.void)
    this.idle.push(() => resume(Effect.void))
  })
}

/** @internal */
export type Submit = (cb: (result: number) => void) => number

/** @internal */
export interface OpEnv {
  readonly cancel: (id: number) => void
  readonly pool: BufferPool
}

// ---------------------------------------------------------------------------------------------
// Two implementations of one contract: submit, suspend the fiber; on interruption submit a cancel
// and stay suspended until the op's own completion — so the buffer the kernel writes into is never
// handed back early and `Effect.timeout` is a real deadline.
//
// `portable` uses only public combinators: `uninterruptibleMask` + `catchAllCause` around a plain
// `Effect.async` (about 1.5x cheaper than `Effect.async` with a canceler, which wraps `onExit`).
//
// `direct` builds the runtime's async primitive itself and, while the op is in flight, swaps the
// fiber's async interruptor for one that submits the cancel and defers the interrupt to the op's
// completion. No extra frames, no runtime-flag flips: about 1.6x cheaper again (measured with a
// fake ring: 850k vs 550k vs 370k ops/s at 32 fibers). It relies on Effect internals, so it is
// enabled only after `selfTest` has watched it cancel and wait on the running Effect version.
// ---------------------------------------------------------------------------------------------

const Primitive: new(op: string) => any = (Effect.sync(() => 0) as any).constructor
const CURRENT_FIBER = "effect/FiberCurrent"

let direct = false
// The direct path also resumes a fiber on the spot when its completion arrives from the native
// dispatch (see `resume`). On unless the self-test saw it misbehave or AURAIO_RESUME=scheduler.
let resumeOnSpot = false

/** @internal */
export const usingDirectPath = (): boolean => direct

/** Whether completions resume their fiber synchronously (direct path only). @internal */
export const resumingOnSpot = (): boolean => direct && resumeOnSpot

/**
 * Benchmarks only: compare the on-the-spot resume with the scheduler's in one process. Switching
 * it on is honoured only when the self-test passed.
 * @internal
 */
export const setResumeOnSpot = (on: boolean): void => {
  resumeOnSpot = on && onSpotTested
}
let onSpotTested = false

// ---------------------------------------------------------------------------------------------
// Resuming a fiber. The runtime's async callback does `fiber.tell(resume(exit))`, which hands the
// fiber to its scheduler: a per-fiber runner, a priority bucket, a promise microtask, the message
// queue (one `splice` array per message) — about 0.4 us per op, a third of what the Effect layer
// costs per read (measured: 32 fibers, page-cache reads, same process, interleaved).
//
// Completions arrive in batches from the native dispatch, outside any fiber, on the thread the
// fiber runs on. There the scheduler would only defer the same work to a microtask a few
// microseconds later, so the fiber is resumed on the spot instead: exactly what the runtime's
// drain does for a `Resume` message (clear the async interruptor and blocking-on, evaluate the
// exit with the fiber marked running and current), then any messages that arrived meanwhile go
// through the runtime's own drain. The fiber's next op is then submitted inside the same dispatch
// and reaches the kernel with the native side's next batched enter.
//
// Only when it is the same as what the scheduler would do: no fiber is running on this thread
// (so this is not a nested call from inside another fiber), the fiber is idle (no drain scheduled,
// nothing queued — else the message must queue behind what is there) and it runs on the default
// scheduler (a custom scheduler is the user's choice of where and when fibers run). Otherwise the
// runtime's callback is used. The runtime's callback is never called after an on-the-spot resume:
// it is reachable only through `_asyncInterruptor`, which this clears or had replaced.
//
// Resumed fibers submit their next op within the dispatch, so the native pump keeps finding work;
// it ends an event-loop turn after ~1 ms (`Engine::kTurnNs`) so timers and other I/O still run
// (1 ms interval timer: loop delay p50 ~2 ms, vs ~1.2 ms through the scheduler).
// ---------------------------------------------------------------------------------------------

const resume = (fiber: any, callback: (exit: any) => void, exit: unknown): void => {
  if (
    resumeOnSpot && fiber !== undefined && !fiber._running && fiber._queue.length === 0 &&
    (globalThis as any)[CURRENT_FIBER] === undefined && fiber.currentScheduler === Scheduler.defaultScheduler
  ) {
    fiber._running = true
    ;(globalThis as any)[CURRENT_FIBER] = fiber
    try {
      fiber._asyncInterruptor = null
      fiber._asyncBlockingOn = null
      fiber.evaluateEffect(exit)
    } finally {
      fiber._running = false
      ;(globalThis as any)[CURRENT_FIBER] = undefined
    }
    // What the runtime's drain would process next (e.g. the yield its op budget asks for).
    if (fiber._queue.length > 0 && !fiber._running) {
      fiber._running = true
      fiber.drainQueueOnCurrentThread()
    }
  } else callback(exit)
}

const done = <A>(
  env: OpEnv,
  buf: Uint8Array | undefined,
  tracker: Tracker | undefined,
  submit: Submit,
  onResult: (result: number) => Effect.Effect<A, PlatformError>
): Effect.Effect<A, PlatformError> => {
  const e = new Primitive("Async")
  e.effect_instruction_i0 = (callback: (effect: Effect.Effect<A, PlatformError>) => void) => {
    const fiber = (globalThis as any)[CURRENT_FIBER]
    const pool = env.pool
    const slot = buf === undefined ? undefined : pool.slotOf(buf)
    if (slot !== undefined) pool.hold(slot)
    if (tracker !== undefined) tracker.inFlight++
    let interrupted: Effect.Effect<never> | undefined
    let finished = false
    let id = -1
    try {
      id = submit((result) => {
        finished = true
        if (slot !== undefined) pool.unhold(slot)
        if (tracker !== undefined) tracker.done(id)
        resume(fiber, callback, interrupted !== undefined ? interrupted : onResult(result))
      })
    } catch (err) {
      if (slot !== undefined) pool.unhold(slot)
      if (tracker !== undefined) tracker.done(-1)
      return callback(Effect.die(err))
    }
    if (finished) return
    if (tracker !== undefined) tracker.add(id)
    // Only when the fiber is interruptible here did the runtime install `callback` as interruptor.
    if (fiber !== undefined && fiber._asyncInterruptor === callback) {
      fiber._asyncInterruptor = (exit: Effect.Effect<never>) => {
        interrupted = exit
        env.cancel(id)
      }
    }
  }
  e.effect_instruction_i1 = FiberId.none
  return e
}

const portable = <A>(
  env: OpEnv,
  buf: Uint8Array | undefined,
  tracker: Tracker | undefined,
  submit: Submit,
  onResult: (result: number) => Effect.Effect<A, PlatformError>
): Effect.Effect<A, PlatformError> =>
  Effect.uninterruptibleMask((restore) => {
    let id = -1
    let state = 0 // 0 not submitted, 1 in flight, 2 finished
    let waiter: ((effect: Effect.Effect<void>) => void) | undefined
    const op = Effect.async<A, PlatformError>((resume) => {
      const pool = env.pool
      const slot = buf === undefined ? undefined : pool.slotOf(buf)
      if (slot !== undefined) pool.hold(slot)
      if (tracker !== undefined) tracker.inFlight++
      try {
        state = 1
        id = submit((result) => {
          state = 2
          if (slot !== undefined) pool.unhold(slot)
          if (tracker !== undefined) tracker.done(id)
          if (waiter !== undefined) waiter(Effect.void)
          else resume(onResult(result))
        })
      } catch (err) {
        state = 2
        if (slot !== undefined) pool.unhold(slot)
        if (tracker !== undefined) tracker.done(-1)
        return resume(Effect.die(err))
      }
      if (tracker !== undefined && state === 1) tracker.add(id)
    })
    return Effect.catchAllCause(restore(op), (cause) =>
      state === 1 && Cause.isInterrupted(cause)
        ? Effect.zipRight(
          Effect.async<void>((wake) => {
            if (state !== 1) return wake(Effect.void)
            waiter = wake
            env.cancel(id)
          }),
          Effect.failCause(cause)
        )
        : Effect.failCause(cause))
  })

/** The raw read/write pair the hot path calls without a submit closure. @internal */
export interface RawRw {
  read(fd: number, buf: Uint8Array, len: number, pos: number, cb: (result: number) => void): number
  write(fd: number, buf: Uint8Array, len: number, pos: number, cb: (result: number) => void): number
  readFixed(fd: number, buf: Uint8Array, len: number, pos: number, index: number, cb: (result: number) => void): number
  writeFixed(fd: number, buf: Uint8Array, len: number, pos: number, index: number, cb: (result: number) => void): number
}

/**
 * `read`/`write` on the direct path, specialised: no submit or result closure per op, only the
 * primitive, its register function and the completion callback.
 * @internal
 */
export const directRw = (
  env: OpEnv,
  raw: RawRw,
  write: boolean,
  fd: number,
  buf: Uint8Array,
  pos: number,
  tracker: Tracker | undefined,
  onError: (result: number, fd: number) => PlatformError
): Effect.Effect<number, PlatformError> => {
  const e = new Primitive("Async")
  e.effect_instruction_i0 = (callback: (effect: Effect.Effect<number, PlatformError>) => void) => {
    const fiber = (globalThis as any)[CURRENT_FIBER]
    const pool = env.pool
    const slot = pool.live === 0 ? undefined : pool.slotOf(buf)
    if (slot !== undefined) pool.hold(slot)
    if (tracker !== undefined) tracker.inFlight++
    let interrupted: Effect.Effect<never> | undefined
    let finished = false
    let id = -1
    const cb = (result: number) => {
      finished = true
      if (slot !== undefined) pool.unhold(slot)
      if (tracker !== undefined) tracker.done(id)
      resume(
        fiber,
        callback,
        interrupted !== undefined ? interrupted : result >= 0 ? Exit.succeed(result) : Exit.fail(onError(result, fd))
      )
    }
    try {
      const fixed = slot === undefined ? -1 : slot.fixedIndex
      id = fixed >= 0
        ? (write
          ? raw.writeFixed(fd, buf, buf.length, pos, fixed, cb)
          : raw.readFixed(fd, buf, buf.length, pos, fixed, cb))
        : write
        ? raw.write(fd, buf, buf.length, pos, cb)
        : raw.read(fd, buf, buf.length, pos, cb)
    } catch (err) {
      if (slot !== undefined) pool.unhold(slot)
      if (tracker !== undefined) tracker.done(-1)
      return callback(Effect.die(err))
    }
    if (finished) return
    if (tracker !== undefined) tracker.add(id)
    if (fiber !== undefined && fiber._asyncInterruptor === callback) {
      fiber._asyncInterruptor = (exit: Effect.Effect<never>) => {
        interrupted = exit
        env.cancel(id)
      }
    }
  }
  e.effect_instruction_i1 = FiberId.none
  return e
}

/**
 * One ring op as an Effect: one allocation-light suspension, no generator, no span, no fiber.
 * @internal
 */
export const runOp = <A>(
  env: OpEnv,
  buf: Uint8Array | undefined,
  tracker: Tracker | undefined,
  submit: Submit,
  onResult: (result: number) => Effect.Effect<A, PlatformError>
): Effect.Effect<A, PlatformError> =>
  direct ? done(env, buf, tracker, submit, onResult) : portable(env, buf, tracker, submit, onResult)

const spin = (cond: () => boolean): Effect.Effect<boolean> =>
  Effect.iterate(0, { while: (i) => i < 50 && !cond(), body: (i) => Effect.as(Effect.yieldNow(), i + 1) }).pipe(
    Effect.map(() => cond())
  )

const fakeEnv = (onCancel: () => void): OpEnv => ({
  cancel: onCancel,
  pool: { slotOf: () => undefined } as unknown as BufferPool
})

const checked = (test: Effect.Effect<boolean>): Effect.Effect<boolean> =>
  test.pipe(
    Effect.timeout("1 second"),
    Effect.catchAllCause(() => Effect.succeed(false))
  )

/**
 * Watch the direct path on this Effect version: a fake op is interrupted; the interrupter must have
 * asked for a cancel, the fiber must still be suspended, and it must end interrupted once the op
 * completes. Run once per process; the portable path stays in use if anything differs.
 * @internal
 */
export const selfTest: Effect.Effect<boolean> = Effect.suspend(() => {
  let fire: ((result: number) => void) | undefined
  let cancelled = false
  const op = done(fakeEnv(() => {
    cancelled = true
  }), undefined, undefined, (cb) => {
    fire = cb
    return 1
  }, (r) => Effect.succeed(r))
  return checked(Effect.gen(function*() {
    const fiber = yield* Effect.fork(op)
    if (!(yield* spin(() => fire !== undefined))) return false
    yield* Effect.fork(Fiber.interrupt(fiber))
    if (!(yield* spin(() => cancelled))) return false
    const early = yield* Fiber.poll(fiber)
    fire!(-125)
    const exit = yield* Fiber.await(fiber)
    return early._tag === "None" && Exit.isInterrupted(exit)
  }))
})

/**
 * Watch the on-the-spot resume (`resume`) on this Effect version: a fake op's completion fired from
 * outside any fiber (a timer callback, as the native dispatch is) must have run the fiber's
 * continuation before the call returns, and the fiber must end with the op's result.
 * @internal
 */
export const selfTestOnSpot: Effect.Effect<boolean> = Effect.suspend(() => {
  let fire: ((result: number) => void) | undefined
  let seen = -1
  const op = Effect.flatMap(
    done(fakeEnv(() => {}), undefined, undefined, (cb) => {
      fire = cb
      return 1
    }, (r) => Effect.succeed(r)),
    (n) =>
      Effect.sync(() => {
        seen = n
        return n + 1
      })
  )
  return checked(Effect.gen(function*() {
    const fiber = yield* Effect.fork(op)
    if (!(yield* spin(() => fire !== undefined))) return false
    const seenOnReturn = yield* Effect.async<number>((wake) => {
      const timer = setTimeout(() => {
        fire!(4096)
        wake(Effect.succeed(seen))
      }, 0)
      return Effect.sync(() => clearTimeout(timer))
    })
    const exit = yield* Fiber.await(fiber)
    return seenOnReturn === 4096 && Exit.isSuccess(exit) && exit.value === 4097
  }).pipe(Effect.withScheduler(Scheduler.defaultScheduler)))
})

interface PathTest {
  readonly direct: boolean
  readonly onSpot: boolean
}

let tested: Promise<PathTest> | undefined

const runTests: Effect.Effect<PathTest> = Effect.flatMap(selfTest, (ok): Effect.Effect<PathTest> => {
  if (!ok) return Effect.succeed({ direct: false, onSpot: false })
  // The on-the-spot test exercises `resume` itself, so it runs with it switched on.
  return Effect.acquireUseRelease(
    Effect.sync(() => {
      direct = true
      resumeOnSpot = true
    }),
    () => selfTestOnSpot,
    () =>
      Effect.sync(() => {
        resumeOnSpot = false
      })
  ).pipe(Effect.map((onSpot) => ({ direct: true, onSpot })))
})

/** Decide the path once per process. @internal */
export const choosePath = (forcePortable: boolean): Effect.Effect<boolean> =>
  forcePortable
    ? Effect.sync(() => {
      direct = false
      return false
    })
    : Effect.flatMap(
      Effect.suspend(() => (tested === undefined ? Effect.tap(runTests, (r) => Effect.sync(() => {
        tested = Promise.resolve(r)
      })) : Effect.promise(() => tested!))),
      (r) =>
        Effect.sync(() => {
          direct = r.direct
          onSpotTested = r.onSpot
          resumeOnSpot = r.onSpot && process.env.AURAIO_RESUME !== "scheduler"
          return r.direct
        })
    )
