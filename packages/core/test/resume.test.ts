import { assert, describe, it, layer } from "@effect/vitest"
import { AuraEngine } from "@auraio/core"
import type { PlatformError } from "@effect/platform/Error"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scheduler from "effect/Scheduler"
import { afterAll } from "vitest"
import { directRw, type OpEnv, resumingOnSpot, type RawRw } from "../src/internal/op.js"
import type { BufferPool } from "../src/internal/bufferPool.js"
import { makeTmp, pattern } from "./fixtures/tmp.js"

// Completions resume their fiber on the spot (inside the native dispatch) instead of through the
// scheduler; these tests pin down where that applies and that nothing observable changes.

// AURAIO_PORTABLE_OPS=1 (the portable path) has no on-the-spot resume: every resume is scheduled.
const onSpot = process.env.AURAIO_PORTABLE_OPS !== "1"

const tmp = makeTmp("resume")
afterAll(tmp.cleanup)

/** Forwards to the default scheduler and counts what it is asked to run. */
class CountingScheduler implements Scheduler.Scheduler {
  tasks = 0
  scheduleTask(task: Scheduler.Task, priority: number, fiber?: unknown): void {
    this.tasks++
    ;(Scheduler.defaultScheduler.scheduleTask as (t: Scheduler.Task, p: number, f?: unknown) => void)(
      task,
      priority,
      fiber
    )
  }
  shouldYield(fiber: Parameters<Scheduler.Scheduler["shouldYield"]>[0]): number | false {
    return Scheduler.defaultScheduler.shouldYield(fiber)
  }
}

/** A ring that only records the completion callback; the test fires it. */
const fakeRing = () => {
  let fire: ((result: number) => void) | undefined
  const submit = (cb: (result: number) => void) => {
    fire = cb
    return 1
  }
  const raw = {
    read: (_fd: number, _buf: Uint8Array, _len: number, _pos: number, cb: (r: number) => void) => submit(cb),
    write: (_fd: number, _buf: Uint8Array, _len: number, _pos: number, cb: (r: number) => void) => submit(cb)
  } as unknown as RawRw
  const env: OpEnv = { cancel: () => {}, pool: { live: 0, slotOf: () => undefined } as unknown as BufferPool }
  return { raw, env, fire: (r: number) => fire!(r), submitted: () => fire !== undefined }
}

const onError = () => ({ _tag: "SystemError" }) as unknown as PlatformError

/** Fires the completion from a timer callback, outside any fiber (as the native dispatch does). */
const fireOutsideFibers = (fire: () => void, probe: () => number) =>
  Effect.async<number>((wake) => {
    const t = setTimeout(() => {
      fire()
      wake(Effect.succeed(probe()))
    }, 0)
    return Effect.sync(() => clearTimeout(t))
  })

const waitFor = (cond: () => boolean) =>
  Effect.iterate(0, { while: (i) => i < 1000 && !cond(), body: (i) => Effect.as(Effect.yieldNow(), i + 1) })

layer(AuraEngine.layerWith({ aimd: false }))("completions resume fibers", (it) => {
  it.effect("on the direct path, completions resume on the spot (not on the portable path)", () =>
    Effect.sync(() => {
      assert.strictEqual(resumingOnSpot(), onSpot, "the self-test enabled the on-the-spot resume")
    }))

  it.effect("the continuation runs before the completion call returns (direct path); the result is the op's", () =>
    Effect.gen(function*() {
      const ring = fakeRing()
      let seen = -1
      const fiber = yield* Effect.fork(
        Effect.map(directRw(ring.env, ring.raw, false, 3, new Uint8Array(8), 0, undefined, onError), (n) => (seen = n))
      )
      yield* waitFor(ring.submitted)
      const seenOnReturn = yield* fireOutsideFibers(() => ring.fire(8), () => seen)
      assert.strictEqual(seenOnReturn, onSpot ? 8 : -1)
      assert.deepStrictEqual(yield* Fiber.await(fiber), Exit.succeed(8))
    }).pipe(Effect.withScheduler(Scheduler.defaultScheduler)))

  it.effect("a fiber on a custom scheduler is resumed through that scheduler", () =>
    Effect.gen(function*() {
      const scheduler = new CountingScheduler()
      const ring = fakeRing()
      let seen = -1
      const fiber = yield* Effect.fork(
        Effect.map(directRw(ring.env, ring.raw, false, 3, new Uint8Array(8), 0, undefined, onError), (n) => (seen = n))
          .pipe(Effect.withScheduler(scheduler))
      )
      yield* waitFor(ring.submitted)
      const before = scheduler.tasks
      const seenOnReturn = yield* fireOutsideFibers(() => ring.fire(8), () => seen)
      assert.strictEqual(seenOnReturn, -1, "not run on the spot")
      assert.isAbove(scheduler.tasks, before, "the custom scheduler ran the resume")
      assert.deepStrictEqual(yield* Fiber.await(fiber), Exit.succeed(8))
    }))

  it.scoped("32 fibers reading at random offsets get the right bytes", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      // The test's fibers run on the default scheduler, where the on-the-spot resume applies.
      const scheduler = yield* Effect.withFiberRuntime<unknown>((f) =>
        Effect.succeed((f as unknown as { currentScheduler: unknown }).currentScheduler)
      )
      assert.strictEqual(scheduler, Scheduler.defaultScheduler)
      const size = 1 << 20
      const file = yield* engine.open(tmp.file(size))
      const bad = yield* Effect.forEach(
        Array.from({ length: 32 }, (_, i) => i),
        (i) =>
          Effect.gen(function*() {
            const buf = new Uint8Array(4096)
            let wrong = 0
            for (let k = 0; k < 200; k++) {
              const pos = ((i * 7919 + k * 104729) % (size / 4096 - 1)) * 4096 + (k % 5)
              const n = yield* engine.read(file.fd, buf, pos)
              if (n !== 4096 || buf[0] !== pattern(pos, 1)[0] || buf[4095] !== pattern(pos + 4095, 1)[0]) wrong++
            }
            return wrong
          }),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(bad.reduce((a, b) => a + b, 0), 0)
    }))

  it.scoped("a defect in a continuation resumed on the spot fails only that fiber", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const file = yield* engine.open(tmp.file(65536))
      const boom = new Error("boom")
      const dies = engine.read(file.fd, new Uint8Array(4096), 0).pipe(
        Effect.map(() => {
          throw boom
        })
      )
      const fine = engine.read(file.fd, new Uint8Array(4096), 4096)
      const [a, b] = yield* Effect.all([Effect.exit(dies), Effect.exit(fine)], { concurrency: "unbounded" })
      assert.isTrue(Exit.isFailure(a) && Cause.isDie(a.cause))
      if (Exit.isFailure(a)) assert.strictEqual(Cause.squash(a.cause), boom)
      assert.deepStrictEqual(b, Exit.succeed(4096))
    }))

  it.scoped("a fiber reading in a loop still lets timers run (the pump ends its turn)", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const file = yield* engine.open(tmp.file(1 << 20))
      let reads = 0
      let atTimer = -1
      yield* Effect.sync(() => setTimeout(() => (atTimer = reads), 0))
      yield* Effect.forEach(
        Array.from({ length: 32 }, (_, i) => new Uint8Array(4096).fill(i)),
        (buf) =>
          Effect.whileLoop({
            while: () => atTimer < 0,
            body: () => engine.read(file.fd, buf, (reads % 255) * 4096),
            step: () => reads++
          }),
        { concurrency: "unbounded", discard: true }
      )
      assert.isAbove(atTimer, -1)
      // ~1 ms per turn: far fewer than the 32768 reads one turn took before the pump was bounded.
      assert.isBelow(atTimer, 16384)
    }))
})

describe("resumingOnSpot without an engine", () => {
  it("is a function of the chosen path", () => {
    assert.isBoolean(resumingOnSpot())
  })
})
