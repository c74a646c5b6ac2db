import { assert, describe, it } from "@effect/vitest"
import { AuraBufferPool, AuraEngine } from "@auraio/core"
import * as Effect from "effect/Effect"
import { readFileSync } from "node:fs"
import { afterAll } from "vitest"
import { makeTmp, pattern } from "./fixtures/tmp.js"

const tmp = makeTmp("fixed")
afterAll(tmp.cleanup)

describe("registered (fixed) buffers", () => {
  it.live("pool buffers registered with the ring are read and written with READ_FIXED / WRITE_FIXED", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const pool = yield* AuraBufferPool
      const stats = yield* pool.stats
      if (stats.fixed.count === 0) {
        // The kernel refused (RLIMIT_MEMLOCK): the engine logged why and the plain path is in use.
        console.log("skipped: the kernel refused buffer registration on this machine")
        return
      }
      assert.deepStrictEqual(stats.fixed, { count: 32, size: 65536, inUse: 0 })
      const raw = engine.native.raw
      const calls = { read: 0, write: 0 }
      const { readFixed, writeFixed } = raw
      raw.readFixed = function(this: typeof raw, ...a: Parameters<typeof readFixed>) {
        calls.read++
        return readFixed.apply(this, a)
      }
      raw.writeFixed = function(this: typeof raw, ...a: Parameters<typeof writeFixed>) {
        calls.write++
        return writeFixed.apply(this, a)
      }
      yield* Effect.addFinalizer(() => Effect.sync(() => Object.assign(raw, { readFixed, writeFixed })))

      const src = yield* engine.open(tmp.file(1 << 20))
      const buf = yield* pool.acquire(4096)
      assert.strictEqual((yield* pool.stats).fixed.inUse, 1)
      yield* src.readExactly(buf, 8192)
      assert.deepStrictEqual(buf, pattern(8192, 4096))
      const path = tmp.fresh()
      const dst = yield* engine.open(path, { flag: "w" })
      yield* dst.writeAll(buf, 0)
      assert.isTrue(readFileSync(path).equals(Buffer.from(pattern(8192, 4096))))
      assert.isAtLeast(calls.read, 1)
      assert.isAtLeast(calls.write, 1)
      // Larger than a fixed buffer: an ordinary pool buffer and the ordinary ops.
      const big = yield* pool.acquire(1 << 17)
      yield* src.readExactly(big, 0)
      assert.deepStrictEqual(big.subarray(0, 16), pattern(0, 16))
    }).pipe(Effect.scoped, Effect.provide(AuraEngine.layerWith({ aimd: false, registeredBuffers: true }))))
})
