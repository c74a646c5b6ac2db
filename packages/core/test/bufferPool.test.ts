import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { BufferPool, classOf } from "../src/internal/bufferPool.js"

// The pool's own logic, with a plain allocator; the engine tests cover it over `allocAligned`.
const makePool = (capBytes: number) => new BufferPool({ capBytes, alloc: (n) => new Uint8Array(n) })

describe("BufferPool", () => {
  it("rounds sizes up to page-sized power-of-two classes", () => {
    assert.strictEqual(classOf(1), 12)
    assert.strictEqual(classOf(4096), 12)
    assert.strictEqual(classOf(4097), 13)
    assert.strictEqual(classOf(128 * 1024 * 1024), 27)
  })

  it.effect("hands out exactly `size` bytes and reuses them after the scope closes", () =>
    Effect.gen(function*() {
      const pool = makePool(1 << 20)
      const first = yield* Effect.scoped(Effect.map(pool.acquire(5000), (b) => b))
      assert.strictEqual(first.length, 5000)
      assert.strictEqual(first.buffer.byteLength, 8192)
      assert.strictEqual(pool.stats().inUse, 0)
      const again = yield* Effect.scoped(pool.acquire(8000))
      assert.strictEqual(again.buffer, first.buffer)
      assert.strictEqual(pool.stats().reused, 1)
    }))

  it.effect("rejects sizes it can never serve", () =>
    Effect.gen(function*() {
      const pool = makePool(1 << 16)
      for (const size of [0, -1, 1.5, NaN, (1 << 27) + 1, 1 << 17]) {
        const err = yield* Effect.flip(Effect.scoped(pool.acquire(size)))
        assert.strictEqual(err._tag, "BadArgument", String(size))
      }
      const err = yield* Effect.flip(Effect.scoped(pool.tryAcquire(0)))
      assert.strictEqual(err._tag, "BadArgument")
    }))

  it.effect("tryAcquire returns None at the cap", () =>
    Effect.gen(function*() {
      const pool = makePool(8192)
      const scope = yield* Scope.make()
      const a = yield* Scope.extend(pool.tryAcquire(4096), scope)
      const b = yield* Scope.extend(pool.tryAcquire(4096), scope)
      const c = yield* Scope.extend(pool.tryAcquire(4096), scope)
      assert.isTrue(Option.isSome(a) && Option.isSome(b))
      assert.isTrue(Option.isNone(c))
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(pool.stats().inUseBytes, 0)
    }))

  it.live("acquire waits at the cap and wakes when a buffer returns (FIFO)", () =>
    Effect.gen(function*() {
      const pool = makePool(8192)
      const holder = yield* Scope.make()
      yield* Scope.extend(pool.acquire(8192), holder)
      const order: Array<string> = []
      const w1 = yield* Effect.fork(Effect.scoped(Effect.tap(pool.acquire(4096), () => Effect.sync(() => order.push("w1")))))
      const w2 = yield* Effect.fork(Effect.scoped(Effect.tap(pool.acquire(4096), () => Effect.sync(() => order.push("w2")))))
      yield* Effect.sleep("20 millis")
      assert.strictEqual(pool.stats().waiting, 2)
      assert.deepStrictEqual(order, [])
      yield* Scope.close(holder, Exit.void)
      yield* Fiber.join(w1)
      yield* Fiber.join(w2)
      assert.deepStrictEqual(order, ["w1", "w2"])
      assert.strictEqual(pool.stats().inUse, 0)
      assert.strictEqual(pool.stats().waiting, 0)
    }))

  it.live("interrupting a waiter leaves nothing behind", () =>
    Effect.gen(function*() {
      const pool = makePool(4096)
      const holder = yield* Scope.make()
      yield* Scope.extend(pool.acquire(4096), holder)
      const waiter = yield* Effect.fork(Effect.scoped(pool.acquire(4096)))
      yield* Effect.sleep("10 millis")
      assert.strictEqual(pool.stats().waiting, 1)
      yield* Fiber.interrupt(waiter)
      assert.strictEqual(pool.stats().waiting, 0)
      yield* Scope.close(holder, Exit.void)
      assert.strictEqual(pool.stats().inUse, 0)
      // The cap is whole again: a full-size acquire succeeds at once.
      const got = yield* Effect.scoped(pool.tryAcquire(4096))
      assert.isTrue(Option.isSome(got))
    }))

  it.effect("a grant that races the waiter's interruption goes back to the pool", () =>
    Effect.gen(function*() {
      const pool = makePool(4096)
      const holder = yield* Scope.make()
      yield* Scope.extend(pool.acquire(4096), holder)
      const waiter = yield* Effect.fork(Effect.scoped(pool.acquire(4096)))
      yield* Effect.yieldNow()
      // Grant and interrupt in the same tick.
      yield* Scope.close(holder, Exit.void)
      yield* Fiber.interrupt(waiter)
      assert.strictEqual(pool.stats().inUse, 0)
      assert.strictEqual(pool.stats().waiting, 0)
    }))

  it.effect("a buffer held by an op is returned only when the op lets go", () =>
    Effect.gen(function*() {
      const pool = makePool(1 << 16)
      const scope = yield* Scope.make()
      const buf = yield* Scope.extend(pool.acquire(4096), scope)
      const slot = pool.slotOf(buf.subarray(100))!
      assert.isDefined(slot)
      pool.hold(slot)
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(pool.stats().inUse, 1)
      assert.strictEqual(pool.stats().pendingRelease, 1)
      pool.unhold(slot)
      assert.strictEqual(pool.stats().inUse, 0)
      assert.strictEqual(pool.stats().pendingRelease, 0)
    }))

  it.effect("evicts cached buffers of other classes to make room under the cap", () =>
    Effect.gen(function*() {
      const pool = makePool(16384)
      yield* Effect.scoped(Effect.all([pool.acquire(4096), pool.acquire(4096), pool.acquire(8192)]))
      assert.strictEqual(pool.stats().cachedBytes, 16384)
      const big = yield* Effect.scoped(pool.tryAcquire(16384))
      assert.isTrue(Option.isSome(big))
      assert.strictEqual(pool.stats().allocatedBytes, 16384)
    }))
})
