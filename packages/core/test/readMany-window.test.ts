import { assert, layer } from "@effect/vitest"
import { AuraBufferPool, AuraEngine } from "@auraio/core"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { writeSync } from "node:fs"
import { afterAll } from "vitest"
import { makeTmp, pattern } from "./fixtures/tmp.js"

const tmp = makeTmp("readmany-window")
afterAll(tmp.cleanup)

const SIZE = 1 << 20

type Raw = AuraEngine.Service["native"]["raw"]

/**
 * Wraps the raw submit calls of `readManyStream` (which submits from JavaScript) for the rest of the
 * scope and counts the reads between submission and completion callback: the window is observable from
 * here.
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

/** Counts the native readMany jobs started for the rest of the scope. */
const countJobs = (raw: Raw) =>
  Effect.gen(function*() {
    const state = { jobs: 0 }
    const readMany = raw.readMany
    raw.readMany = function(this: Raw, ...args: Parameters<Raw["readMany"]>) {
      state.jobs++
      return readMany.apply(this, args)
    }
    yield* Effect.addFinalizer(() => Effect.sync(() => (raw.readMany = readMany)))
    return state
  })

const inFlight = (engine: AuraEngine.Service) => Effect.map(engine.stats, (s) => s.inFlight)
const completed = (engine: AuraEngine.Service) => Effect.map(engine.stats, (s) => s.completed)

layer(AuraEngine.layerWith({ aimd: false }))("readMany window and reuse", (it) => {
  it.scoped("readMany keeps exactly `concurrency` reads in flight while enough remain (reads parked on a FIFO)", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const fifo = yield* engine.open(tmp.fifo(), { flag: "r+" }) // r+: open does not wait for a writer
      const jobs = yield* countJobs(engine.native.raw)
      for (const concurrency of [1, 3, 8]) {
        const n = 3 * concurrency + 1
        const base = yield* completed(engine)
        // Each request reads 100 bytes; each 100-byte write into the FIFO completes exactly one of them,
        // and the engine refills the window from that completion before JavaScript sees it.
        const fiber = yield* Effect.fork(engine.readMany(
          Array.from({ length: n }, () => ({ fd: fifo.fd, offset: 0, length: 100 })),
          { concurrency }
        ))
        for (let done = 0; done < n; done++) {
          while ((yield* inFlight(engine)) !== Math.min(concurrency, n - done)) yield* Effect.yieldNow()
          assert.strictEqual(yield* inFlight(engine), Math.min(concurrency, n - done), `c${concurrency} after ${done}`)
          writeSync(fifo.fd, new Uint8Array(100).fill(done & 0xff))
          while ((yield* completed(engine)) < base + done + 1) yield* Effect.yieldNow()
        }
        const out = yield* Fiber.join(fiber)
        assert.strictEqual(out.length, n)
        for (const r of out) {
          assert.strictEqual(r.length, 100)
          assert.isTrue(r.every((b) => b === r[0]), "each read got one write")
        }
        // Every write was read by exactly one request.
        assert.deepStrictEqual(out.map((r) => r[0]!).sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i))
        assert.strictEqual(yield* inFlight(engine), 0)
      }
      assert.strictEqual(jobs.jobs, 3, "one native job per call")
    }))

  it.scoped("readMany returns every read whatever the fds and buffers; one native job per call", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const a = yield* engine.open(tmp.file(SIZE))
      const b = yield* engine.open(tmp.file(SIZE))
      const jobs = yield* countJobs(engine.native.raw)
      const offsets = Array.from({ length: 400 }, (_, i) => (i * 7919) % (SIZE - 4096))
      const slabs = [new Uint8Array(200 * 4096), new Uint8Array(200 * 4096)]
      for (const concurrency of [1, 3, 16, 64, 1000]) {
        const out = yield* engine.readMany(
          offsets.map((offset, i) => ({
            fd: i % 2 === 1 ? b.fd : a.fd,
            offset,
            length: 4096,
            // Three kinds of buffer: none (allocated), and views into two different ArrayBuffers.
            ...(i % 3 === 0 ? {} : { buffer: slabs[i % 3 - 1]!.subarray((i >> 1) * 4096, ((i >> 1) + 1) * 4096) })
          })),
          { concurrency }
        )
        out.forEach((r, i) => {
          assert.deepStrictEqual(r, pattern(offsets[i]!, 4096), `c${concurrency} #${i}`)
          if (i % 3 !== 0) assert.strictEqual(r.buffer, slabs[i % 3 - 1]!.buffer)
        })
        // The allocated ones are views of one slab.
        assert.strictEqual(out[0]!.buffer, out[3]!.buffer)
      }
      assert.strictEqual(jobs.jobs, 5)
      assert.strictEqual(yield* inFlight(engine), 0)
    }))

  it.scoped("readManyStream never has more than `concurrency` reads in flight, on the batch and the single-read paths", () =>
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
          const stream = yield* Stream.runCollect(engine.readManyStream(
            offsets.map((offset, i) => ({ fd: mixed && i % 2 === 1 ? b.fd : a.fd, offset, length: 512 })),
            { concurrency }
          ))
          assert.strictEqual(Chunk.size(stream), offsets.length)
          for (const { data, index } of stream) assert.deepStrictEqual(data, pattern(offsets[index]!, 512))
        }
        assert.strictEqual(state.submitted, 2 * offsets.length, `every read submitted once (c${concurrency})`)
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
      const before = yield* engine.stats
      const fiber = yield* Effect.fork(Effect.scoped(Effect.gen(function*() {
        const bufs = yield* Effect.forEach(Array.from({ length: 12 }), () => pool.acquire(4096))
        return yield* engine.readMany(bufs.map((buffer) => ({ fd: fifo.fd, offset: 0, length: 4096, buffer })), {
          concurrency: 5
        })
      })))
      // Submission is synchronous once the fiber runs; wait until the window is out (no clock).
      while ((yield* inFlight(engine)) < 5) yield* Effect.yieldNow()
      assert.strictEqual(yield* inFlight(engine), 5)
      assert.strictEqual((yield* pool.stats).inUse, 12)
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit))
      // The fiber ended only after every cancelled read's own completion.
      const after = yield* engine.stats
      assert.strictEqual(after.inFlight, 0)
      assert.strictEqual(after.submitted - before.submitted, 5, "only the window was ever submitted")
      assert.strictEqual(after.completed - before.completed, 5)
      assert.strictEqual(engine.native.raw.outstanding, 0)
      const ps = yield* pool.stats
      assert.strictEqual(ps.inUse, 0)
      assert.strictEqual(ps.pendingRelease, 0)
    }))

  it.scoped("readManyStream interrupted mid-flight: every read cancelled", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const fifo = yield* engine.open(tmp.fifo(), { flag: "r+" })
      const state = yield* watchInFlight(engine.native.raw)
      const fiber = yield* Effect.fork(Stream.runDrain(engine.readManyStream(
        Array.from({ length: 12 }, () => ({ fd: fifo.fd, offset: 0, length: 4096 })),
        { concurrency: 5 }
      )))
      while (state.now < 5) yield* Effect.yieldNow()
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.strictEqual(state.now, 0)
      assert.strictEqual(state.submitted, 5)
      assert.strictEqual(engine.native.raw.outstanding, 0)
    }))
})
