import { assert, layer } from "@effect/vitest"
import { AuraBufferPool, AuraEngine } from "@auraio/core"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { afterAll } from "vitest"
import { makeTmp, pattern } from "./fixtures/tmp.js"

const tmp = makeTmp("readmany-window")
afterAll(tmp.cleanup)

const SIZE = 1 << 20

type Raw = AuraEngine.Service["native"]["raw"]

/**
 * Wraps the raw submit calls for the rest of the scope and counts the reads between submission and
 * completion callback: the window `readMany` promises is observable from here.
 */
const watchInFlight = (raw: Raw) =>
  Effect.gen(function*() {
    const state = { now: 0, max: 0, submitted: 0 }
    const read = raw.read
    const readBatch = raw.readBatch
    const up = (k: number) => {
      state.now += k
      state.submitted += k
      if (state.now > state.max) state.max = state.now
    }
    raw.read = function(this: Raw, fd, buf, len, pos, cb) {
      const id = read.call(this, fd, buf, len, pos, (res) => {
        state.now--
        cb(res)
      })
      up(1)
      return id
    }
    raw.readBatch = function(this: Raw, fd, buf, offs, lens, poss, count, cb, ids) {
      const n = readBatch.call(this, fd, buf, offs, lens, poss, count, (k, res) => {
        state.now--
        cb(k, res)
      }, ids)
      up(count)
      return n
    }
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        raw.read = read
        raw.readBatch = readBatch
      })
    )
    return state
  })

layer(AuraEngine.layerWith({ aimd: false }))("readMany window and reuse", (it) => {
  it.scoped("never has more than `concurrency` reads in flight, on the batch and the single-read paths", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const a = yield* engine.open(tmp.file(SIZE))
      const b = yield* engine.open(tmp.file(SIZE))
      const state = yield* watchInFlight(engine.native.raw)
      const offsets = Array.from({ length: 400 }, (_, i) => (i * 7919) % (SIZE - 4096))
      for (const concurrency of [1, 3, 16, 64]) {
        state.max = 0
        state.submitted = 0
        // Alternating fds: runs of one on the single-read path; one fd: runs on the batch path.
        for (const mixed of [true, false]) {
          const out = yield* engine.readMany(
            offsets.map((offset, i) => ({ fd: mixed && i % 2 === 1 ? b.fd : a.fd, offset, length: 4096 })),
            { concurrency }
          )
          out.forEach((r, i) => assert.deepStrictEqual(r, pattern(offsets[i]!, 4096), `c${concurrency} #${i}`))
          const stream = yield* Stream.runCollect(engine.readManyStream(
            offsets.map((offset, i) => ({ fd: mixed && i % 2 === 1 ? b.fd : a.fd, offset, length: 512 })),
            { concurrency }
          ))
          assert.strictEqual(Chunk.size(stream), offsets.length)
          for (const { data, index } of stream) assert.deepStrictEqual(data, pattern(offsets[index]!, 512))
        }
        assert.strictEqual(state.submitted, 4 * offsets.length, `every read submitted once (c${concurrency})`)
        assert.isAtMost(state.max, concurrency, `window c${concurrency}`)
        // The window is used, not just respected: the first fill alone submits min(concurrency, n).
        assert.strictEqual(state.max, concurrency, `window filled c${concurrency}`)
        assert.strictEqual(state.now, 0)
      }
    }))

  it.scoped("one readMany Effect run several times: each run reads afresh into its own buffers", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const file = yield* engine.open(tmp.file(SIZE))
      const requests = Array.from({ length: 300 }, (_, i) => ({ fd: file.fd, offset: (i * 104729) % (SIZE - 3000), length: 3000 }))
      const effect = engine.readMany(requests, { concurrency: 32 })
      // Two runs at once and one after: runs must not share arenas or allocated buffers.
      const [r1, r2] = yield* Effect.all([effect, effect], { concurrency: 2 })
      const r3 = yield* effect
      for (const run of [r1, r2, r3]) {
        run.forEach((r, i) => assert.deepStrictEqual(r, pattern(requests[i]!.offset, 3000), `#${i}`))
      }
      assert.notStrictEqual(r1[0]!.buffer, r2[0]!.buffer)
      assert.notStrictEqual(r1[0]!.buffer, r3[0]!.buffer)
      // Requests are read when the Effect runs: a change in between is seen (and validated).
      ;(requests[0] as { offset: number }).offset = 8192
      const r4 = yield* effect
      assert.deepStrictEqual(r4[0], pattern(8192, 3000))
      ;(requests[0] as { offset: number }).offset = -1
      const bad = yield* Effect.flip(effect)
      assert.strictEqual(bad._tag, "BadArgument")
      assert.strictEqual((yield* engine.stats).inFlight, 0)
    }))

  it.scoped("interrupted mid-flight (reads parked on a FIFO): every read cancelled, every pool buffer back", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const pool = yield* AuraBufferPool
      const fifo = yield* engine.open(tmp.fifo(), { flag: "r+" }) // r+: open does not wait for a writer
      const state = yield* watchInFlight(engine.native.raw)
      const fiber = yield* Effect.fork(Effect.scoped(Effect.gen(function*() {
        const bufs = yield* Effect.forEach(Array.from({ length: 12 }), () => pool.acquire(4096))
        return yield* engine.readMany(bufs.map((buffer) => ({ fd: fifo.fd, offset: 0, length: 4096, buffer })), {
          concurrency: 5
        })
      })))
      // Submission is synchronous once the fiber runs; wait until the window is out (no clock).
      while (state.now < 5) yield* Effect.yieldNow()
      assert.strictEqual(state.now, 5)
      assert.strictEqual((yield* pool.stats).inUse, 12)
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit))
      // The fiber ended only after every cancelled read's own completion.
      assert.strictEqual(state.now, 0)
      assert.strictEqual(state.submitted, 5)
      assert.strictEqual(engine.native.raw.outstanding, 0)
      const ps = yield* pool.stats
      assert.strictEqual(ps.inUse, 0)
      assert.strictEqual(ps.pendingRelease, 0)
    }))
})
