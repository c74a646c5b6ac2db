import { assert, layer } from "@effect/vitest"
import { AuraBufferPool, AuraEngine } from "@auraio/core"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { readFileSync } from "node:fs"
import { afterAll } from "vitest"
import { makeTmp, pattern } from "./fixtures/tmp.js"

const tmp = makeTmp("batch")
afterAll(tmp.cleanup)

const SIZE = 1 << 20

layer(AuraEngine.layerWith({ aimd: false }))("readMany", (it) => {
  it.scoped("returns every read in request order, into given or allocated buffers", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const file = yield* engine.open(tmp.file(SIZE))
      const offsets = Array.from({ length: 500 }, (_, i) => ((i * 7919) % 250) * 4096 + (i % 3))
      const requests = offsets.map((offset, i) => ({
        fd: file.fd,
        offset,
        length: 4096,
        ...(i % 2 === 0 ? { buffer: new Uint8Array(4096) } : {})
      }))
      const results = yield* engine.readMany(requests, { concurrency: 16 })
      assert.strictEqual(results.length, 500)
      results.forEach((r, i) => assert.deepStrictEqual(r, pattern(offsets[i]!, 4096), `read ${i}`))
      // A read past the end is trimmed, one at the end is empty.
      const tail = yield* engine.readMany([
        { fd: file.fd, offset: SIZE - 10, length: 4096 },
        { fd: file.fd, offset: SIZE, length: 4096 },
        { fd: file.fd, offset: 0n, length: 0 }
      ])
      assert.deepStrictEqual(tail.map((r) => r.length), [10, 0, 0])
      assert.deepStrictEqual(yield* engine.readMany([]), [])
    }))

  it.scoped("one native job per call: allocated results are views of one slab, given buffers come back", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const file = yield* engine.open(tmp.file(SIZE))
      const raw = engine.native.raw
      const original = raw.readMany
      let jobs = 0
      raw.readMany = function(this: typeof raw, ...args: Parameters<typeof original>) {
        jobs++
        return original.apply(this, args)
      }
      yield* Effect.addFinalizer(() => Effect.sync(() => (raw.readMany = original)))
      const before = yield* engine.stats
      const offsets = Array.from({ length: 300 }, (_, i) => ((i * 104729) % (SIZE - 5000)))
      const allocated = yield* engine.readMany(offsets.map((offset) => ({ fd: file.fd, offset, length: 5000 })), {
        concurrency: 64
      })
      allocated.forEach((r, i) => {
        assert.strictEqual(r.buffer, allocated[0]!.buffer)
        assert.deepStrictEqual(r, pattern(offsets[i]!, 5000), `allocated ${i}`)
      })
      const slab = new Uint8Array(300 * 4096)
      const views = yield* engine.readMany(
        offsets.map((offset, i) => ({ fd: file.fd, offset, length: 4096, buffer: slab.subarray(i * 4096, (i + 1) * 4096) })),
        { concurrency: 32 }
      )
      views.forEach((r, i) => {
        assert.strictEqual(r.buffer, slab.buffer)
        assert.strictEqual(r.byteOffset, i * 4096, "the caller's own view")
        assert.deepStrictEqual(r, pattern(offsets[i]!, 4096), `slab ${i}`)
      })
      const after = yield* engine.stats
      assert.strictEqual(after.inFlight, 0)
      // Every read went to the ring on its own; JavaScript made one native call per readMany.
      assert.strictEqual(after.completed - before.completed, 600)
      assert.strictEqual(jobs, 2)
    }))

  it.scoped("fail-fast fails with the first error and leaves nothing in flight", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const file = yield* engine.open(tmp.file(SIZE))
      const dir = yield* engine.open(tmp.dir)
      const requests = Array.from({ length: 200 }, (_, i) => ({
        fd: i === 50 ? dir.fd : file.fd,
        offset: i * 4096,
        length: 4096
      }))
      const err = yield* Effect.flip(engine.readMany(requests, { concurrency: 8 }))
      assert.strictEqual(err._tag === "SystemError" && err.reason, "BadResource")
      assert.strictEqual(err._tag === "SystemError" && err.pathOrDescriptor, dir.fd)
      assert.strictEqual((yield* engine.stats).inFlight, 0)
    }))

  it.scoped("collect returns every outcome", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const file = yield* engine.open(tmp.file(SIZE))
      const dir = yield* engine.open(tmp.dir)
      const requests = Array.from({ length: 20 }, (_, i) => ({
        fd: i % 5 === 0 ? dir.fd : file.fd,
        offset: i * 100,
        length: 100
      }))
      const out = yield* engine.readMany(requests, { mode: "collect" })
      out.forEach((r, i) => {
        if (i % 5 === 0) assert.isTrue(Either.isLeft(r), `read ${i}`)
        else assert.deepStrictEqual(Either.getOrThrow(r), pattern(i * 100, 100))
      })
    }))

  it.scoped("rejects bad requests before submitting any", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const bad = [
        [{ fd: -1, offset: 0, length: 1 }],
        [{ fd: 0, offset: -1, length: 1 }],
        [{ fd: 0, offset: 0, length: -1 }],
        [{ fd: 0, offset: 0, length: 10, buffer: new Uint8Array(5) }],
        [null as any]
      ]
      for (const requests of bad) {
        const err = yield* Effect.flip(engine.readMany(requests))
        assert.strictEqual(err._tag, "BadArgument")
      }
      const c = yield* Effect.flip(engine.readMany([{ fd: 0, offset: 0, length: 1 }], { concurrency: 0 }))
      assert.strictEqual(c._tag, "BadArgument")
      assert.strictEqual((yield* engine.stats).submitted, (yield* engine.stats).completed)
    }))

  it.scoped("readManyStream yields every read once, in completion order", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const file = yield* engine.open(tmp.file(SIZE))
      const requests = Array.from({ length: 300 }, (_, i) => ({ fd: file.fd, offset: (i * 3001) % (SIZE - 512), length: 512 }))
      const out = Chunk.toReadonlyArray(yield* Stream.runCollect(engine.readManyStream(requests, { concurrency: 12 })))
      assert.strictEqual(out.length, 300)
      assert.deepStrictEqual(new Set(out.map((r) => r.index)).size, 300)
      for (const r of out) assert.deepStrictEqual(r.data, pattern(requests[r.index]!.offset, 512))
      // Taking a few and stopping cancels the rest.
      const few = yield* Stream.runCollect(Stream.take(engine.readManyStream(requests, { concurrency: 12 }), 5))
      assert.strictEqual(Chunk.size(few), 5)
      assert.strictEqual((yield* engine.stats).inFlight, 0)
      const dir = yield* engine.open(tmp.dir)
      const failed = yield* Effect.flip(Stream.runDrain(engine.readManyStream([{ fd: dir.fd, offset: 0, length: 10 }])))
      assert.strictEqual(failed._tag, "SystemError")
    }))
})

layer(AuraEngine.layerWith({ aimd: false }))("stream and sink", (it) => {
  it.scoped("stream reads the file in order with read-ahead", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const size = 3 * 65536 + 1234
      const file = yield* engine.open(tmp.file(size))
      const chunks = yield* Stream.runCollect(file.stream({ readAhead: 4 }))
      const all = Buffer.concat(Chunk.toReadonlyArray(chunks))
      assert.isTrue(all.equals(Buffer.from(pattern(0, size))))
      const part = yield* Stream.runCollect(engine.stream(file.fd, { offset: 1000, length: 70_000, chunkSize: 4096 }))
      const partAll = Buffer.concat(Chunk.toReadonlyArray(part))
      assert.isTrue(partAll.equals(Buffer.from(pattern(1000, 70_000))))
      assert.strictEqual(Chunk.size(yield* Stream.runCollect(engine.stream(file.fd, { offset: size }))), 0)
      const bad = yield* Effect.flip(Stream.runDrain(engine.stream(file.fd, { chunkSize: 0 })))
      assert.strictEqual(bad._tag, "BadArgument")
      const dir = yield* engine.open(tmp.dir)
      const err = yield* Effect.flip(Stream.runDrain(engine.stream(dir.fd)))
      assert.strictEqual(err._tag === "SystemError" && err.reason, "BadResource")
    }))

  it.scoped("sink writes chunks in order with write-behind; a stream copies a file", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const size = 5 * 65536 + 77
      const src = yield* engine.open(tmp.file(size))
      const path = tmp.fresh()
      const dst = yield* engine.open(path, { flag: "w" })
      yield* Stream.run(src.stream({ chunkSize: 65536 }), dst.sink({ offset: 0, writeBehind: 4 }))
      assert.isTrue(readFileSync(path).equals(Buffer.from(pattern(0, size))))
      // At the cursor: serial writes, appended in order.
      const path2 = tmp.fresh()
      const dst2 = yield* engine.open(path2, { flag: "w" })
      yield* Stream.run(Stream.make(new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array([4, 5])), dst2.sink())
      assert.deepStrictEqual([...readFileSync(path2)], [1, 2, 3, 4, 5])
      const ro = yield* engine.open(tmp.file(10))
      const err = yield* Effect.flip(Stream.run(Stream.make(new Uint8Array(10)), ro.sink({ offset: 0 })))
      assert.strictEqual(err._tag, "SystemError")
      assert.strictEqual(dst.inFlight, 0)
    }))
})

layer(AuraEngine.layerWith({ aimd: false, poolCapBytes: 64 * 1024 }))("the engine's buffer pool", (it) => {
  it.scoped("page-aligned buffers for real reads; exhaustion and backpressure at the cap", () =>
    Effect.gen(function*() {
      const pool = yield* AuraBufferPool
      const engine = yield* AuraEngine
      const holder = yield* Scope.make()
      const a = yield* Scope.extend(pool.acquire(32 * 1024), holder)
      const b = yield* pool.acquire(16 * 1024)
      for (const buf of [a, b]) {
        // allocAligned memory: the start is on a page boundary, so O_DIRECT can use it.
        assert.strictEqual(buf.byteOffset, 0)
        assert.strictEqual(buf.buffer.byteLength % 4096, 0)
      }
      const fd = (yield* engine.open(tmp.file(SIZE))).fd
      yield* engine.readExactly(fd, b, 0)
      assert.deepStrictEqual(b, pattern(0, 16 * 1024))

      const none = yield* Effect.scoped(pool.tryAcquire(32 * 1024))
      assert.strictEqual(none._tag, "None")
      const waiter = yield* Effect.fork(Effect.scoped(Effect.map(pool.acquire(32 * 1024), (buf) => buf.length)))
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      assert.strictEqual((yield* pool.stats).waiting, 1)
      yield* Scope.close(holder, Exit.void)
      assert.strictEqual(yield* Fiber.join(waiter), 32 * 1024)
      const stats = yield* pool.stats
      assert.strictEqual(stats.capBytes, 64 * 1024)
      assert.strictEqual(stats.inUse, 1)
      assert.strictEqual(stats.waiting, 0)
      const tooBig = yield* Effect.flip(Effect.scoped(pool.acquire(128 * 1024)))
      assert.strictEqual(tooBig._tag, "BadArgument")
    }))
})
