// FileLock: the File cursor's mutual exclusion — order, release on every exit, interruptible waits.
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { FileLock } from "../src/internal/lock.js"

describe("FileLock", () => {
  it.effect("one holder at a time, waiters served in arrival order", () =>
    Effect.gen(function*() {
      const lock = new FileLock()
      const log: Array<string> = []
      let inside = 0
      const task = (name: string) =>
        lock.withLock(Effect.gen(function*() {
          inside++
          assert.strictEqual(inside, 1)
          log.push(`${name}+`)
          yield* Effect.yieldNow()
          log.push(`${name}-`)
          inside--
        }))
      yield* Effect.all([task("a"), task("b"), task("c")], { concurrency: "unbounded" })
      assert.deepStrictEqual(log, ["a+", "a-", "b+", "b-", "c+", "c-"])
    }))

  it.effect("released after a failure and after a defect", () =>
    Effect.gen(function*() {
      const lock = new FileLock()
      const failed = yield* Effect.exit(lock.withLock(Effect.fail("boom")))
      assert.isTrue(Exit.isFailure(failed))
      const died = yield* Effect.exit(lock.withLock(Effect.die("defect")))
      assert.isTrue(Exit.isFailure(died))
      assert.strictEqual(yield* lock.withLock(Effect.succeed(42)), 42)
    }))

  it.effect("interrupting the holder releases; interrupting a waiter removes it", () =>
    Effect.gen(function*() {
      const lock = new FileLock()
      const started = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(lock.withLock(Effect.zipRight(Deferred.succeed(started, undefined), Effect.never)))
      yield* Deferred.await(started)
      const waiter = yield* Effect.fork(lock.withLock(Effect.succeed("waiter")))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(waiter)
      yield* Fiber.interrupt(holder)
      assert.strictEqual(yield* lock.withLock(Effect.succeed("next")), "next")
    }))

  it.effect("a waiter interrupted as the lock is handed to it passes the lock on", () =>
    Effect.gen(function*() {
      const lock = new FileLock()
      const release = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(lock.withLock(Deferred.await(release)))
      yield* Effect.yieldNow()
      const waiter = yield* Effect.fork(lock.withLock(Effect.never))
      const third = yield* Effect.fork(lock.withLock(Effect.succeed("third")))
      yield* Effect.yieldNow()
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(holder)
      yield* Fiber.interrupt(waiter)
      assert.strictEqual(yield* Fiber.join(third), "third")
    }))
})
