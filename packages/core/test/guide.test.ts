// The examples of docs/guide/*.md, run against the real ring.
import { assert, describe, it } from "@effect/vitest"
import { AuraBufferPool, AuraEngine } from "@auraio/core"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { afterAll } from "vitest"
import { checksum, readBlocks, readSome } from "../../../docs/guide/examples/batchReads.js"
import { firstOf, interruptReader, readWithDeadline } from "../../../docs/guide/examples/cancellation.js"
import { main, missing, roundTrip } from "../../../docs/guide/examples/gettingStarted.js"
import { atTheCap, firstPage, withSmallPool } from "../../../docs/guide/examples/scopedBuffers.js"
import { makeTmp, pattern } from "./fixtures/tmp.js"

const tmp = makeTmp("guide")
afterAll(tmp.cleanup)

const run = <A, E>(effect: Effect.Effect<A, E, AuraEngine | AuraBufferPool | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(AuraEngine.layerWith({ aimd: false })))

describe("guide: getting started", () => {
  it.live("round trip", () =>
    run(Effect.gen(function*() {
      const out = yield* roundTrip(tmp.fresh())
      assert.deepStrictEqual(out, { head: "hello", size: 15n, chunks: 4 })
      assert.strictEqual(yield* missing(tmp.path("nope")), "NotFound")
    })))

  it.live("main provides the zero-config layer", () =>
    Effect.map(main(tmp.fresh()), (out) => assert.strictEqual(out.head, "hello")))
})

describe("guide: batch reads", () => {
  it.live("readMany, collect, readManyStream", () =>
    run(Effect.gen(function*() {
      const path = tmp.file(1 << 20)
      const blocks = [3, 1, 4, 1, 5, 9, 2, 6]
      const firsts = yield* readBlocks(path, blocks)
      assert.deepStrictEqual(firsts, blocks.map((b) => pattern(b * 4096, 1)[0]))
      const engine = yield* AuraEngine
      const good = yield* engine.openFd(path)
      assert.deepStrictEqual(yield* readSome([good, 999_999, good]), [true, false, true])
      const all = Array.from({ length: 256 }, (_, i) => i)
      const expected = all.reduce((s, b) => (s + pattern(b * 4096, 4096).reduce((a, x) => a + x, 0)) >>> 0, 0)
      assert.strictEqual(yield* checksum(path, all), expected)
    })))
})

describe("guide: scoped buffers", () => {
  it.live("acquire, and the cap", () =>
    withSmallPool(Effect.gen(function*() {
      const path = tmp.file(10_000)
      assert.strictEqual(yield* firstPage(path), pattern(0, 4096).reduce((a, b) => a + b, 0))
      assert.isTrue(yield* atTheCap)
      const pool = yield* AuraBufferPool
      assert.strictEqual((yield* pool.stats).inUse, 0)
    })))
})

describe("guide: cancellation and timeouts", () => {
  it.live("deadline, interruption, race", () =>
    run(Effect.gen(function*() {
      const engine = yield* AuraEngine
      const fifo = yield* engine.openFd(tmp.fifo(), "r+")
      assert.strictEqual(yield* readWithDeadline(fifo), -1)
      assert.strictEqual(yield* interruptReader(fifo), 0)
      const file = yield* engine.openFd(tmp.file(100))
      assert.strictEqual(yield* firstOf(fifo, file), "b")
      assert.strictEqual((yield* engine.stats).inFlight, 0)
    })))
})
