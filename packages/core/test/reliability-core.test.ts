// Reliability of the Effect API: integrity through every write and read path, mixed load with 20% of
// the fibers interrupted, ENOSPC on a tiny filesystem, the engine's scope closed under load, and bad
// input to every service method. Real files and the real ring.
import { AuraBufferPool, AuraEngine } from "@auraio/core"
import { assert, describe, it } from "@effect/vitest"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"
import { fdLeaks, fdSnapshot, fdsUnder, report } from "../../native/test/stress/support/accounting.js"
import { fillPattern, firstMismatch, pattern, randomExtents, rng, sha256 } from "../../native/test/stress/support/pattern.js"
import { mountTinyTmpfs } from "../../native/test/stress/support/tmpfs.js"
import { runCoreLoad } from "./stress/support/coreLoad.js"
import { writePaths, writeVia } from "./stress/support/writePaths.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auraio-rel-core-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** What an Effect ended with, as a short string: "ok", "fail <tag>:<reason>", "defect …", "interrupt". */
const outcome = <A, E>(effect: Effect.Effect<A, E, never>) =>
  Effect.map(Effect.exit(Effect.timeout(effect, Duration.seconds(15))), (exit) => {
    if (Exit.isSuccess(exit)) return "ok"
    if (Cause.isInterruptedOnly(exit.cause)) return "interrupt"
    const f = Cause.failureOption(exit.cause)
    if (Option.isSome(f)) {
      const e = f.value as { _tag?: string; reason?: string; message?: string }
      if (e._tag === "TimeoutException") return "HANG"
      return `fail ${e._tag}${e.reason ? `:${e.reason}` : ""}`
    }
    return `defect ${Cause.pretty(exit.cause).split("\n")[0]}`
  })

const label = (v: unknown): string => {
  try {
    return typeof v === "bigint" ? `${v}n` : String(v)
  } catch {
    return "[object without prototype]"
  }
}

const isTyped = (o: string) => o.startsWith("fail BadArgument") || o.startsWith("fail SystemError")

// it.live (real clock: the load sleeps and interruptions race real completions), one engine per test.
const withEngine = <A, E>(self: Effect.Effect<A, E, AuraEngine | AuraBufferPool>) =>
  Effect.provide(self, AuraEngine.layerWith({ rings: 2, aimd: false }))

describe("reliability of the Effect API", () => {
  describe("data integrity", () => {
    it.live("every write path (write, writeAll, writev, writeAndSync, sink) → every read path (read, readv, readExactly, readAlloc, readMany, readManyStream, stream)", () =>
      Effect.gen(function* () {
        const engine = yield* AuraEngine
        const seed = 0xc0ffee
        const r = rng(seed)
        const size = 6 << 20
        const file = path.join(dir, "integrity.bin")
        fs.writeFileSync(file, new Uint8Array(0))
        const fd = yield* engine.openFd(file, "r+")
        const extents = randomExtents(size, 1, 300_000, r)
        const written: Record<string, number> = {}
        yield* Effect.forEach(
          extents,
          ({ offset, length }, i) => {
            const data = pattern(length, offset, seed)
            const how = writePaths[i % writePaths.length]!
            written[how] = (written[how] ?? 0) + length
            return writeVia(engine, how, fd, data, offset, { cut: (n) => r.int(0, n), sinkChunk: 65536, writeBehind: 3, datasync: true })
          },
          { concurrency: 16, discard: true }
        )
        assert.strictEqual(sha256(fs.readFileSync(file)), sha256(pattern(size, 0, seed)), "whole-file checksum (node:fs)")

        const readers = ["read", "readv", "readExactly", "readAlloc"] as const
        let verified = 0
        const back = randomExtents(size, 1, 250_000, r)
        yield* Effect.forEach(
          back,
          ({ offset, length }, i) =>
            Effect.gen(function* () {
              const how = readers[i % readers.length]!
              let data: Uint8Array
              if (how === "readAlloc") data = yield* engine.readAlloc(fd, length, offset)
              else {
                data = new Uint8Array(length)
                if (how === "read") assert.strictEqual(yield* engine.read(fd, data, offset), length)
                else if (how === "readExactly") yield* engine.readExactly(fd, data, offset)
                else {
                  const cut = r.int(0, length)
                  assert.strictEqual(yield* engine.readv(fd, [data.subarray(0, cut), data.subarray(cut)], BigInt(offset)), length)
                }
              }
              assert.strictEqual(data.length, length)
              assert.strictEqual(firstMismatch(data, offset, seed), -1, `${how} at ${offset}`)
              verified += length
            }),
          { concurrency: 16, discard: true }
        )
        assert.strictEqual(verified, size)

        // readMany (both modes) and readManyStream over the same extents.
        const reqs = back.map(({ offset, length }) => ({ fd, offset, length }))
        const many = yield* engine.readMany(reqs)
        many.forEach((d, i) => assert.strictEqual(firstMismatch(d, reqs[i]!.offset, seed), -1, `readMany #${i}`))
        const collected = yield* engine.readMany(reqs, { mode: "collect" })
        collected.forEach((e, i) => assert.isTrue(Either.isRight(e) && firstMismatch(e.right, reqs[i]!.offset, seed) === -1, `readMany collect #${i}`))
        const streamed = yield* Stream.runCollect(engine.readManyStream(reqs, { concurrency: 8 }))
        assert.strictEqual(Chunk.size(streamed), reqs.length)
        for (const { index, data } of streamed) assert.strictEqual(firstMismatch(data, reqs[index]!.offset, seed), -1, `readManyStream #${index}`)

        // stream at several chunk sizes and read-ahead depths, from an odd offset.
        for (const [chunkSize, readAhead, offset, length] of [
          [65536, 4, 0, undefined],
          [4096, 1, 12345, 300_000],
          [1 << 20, 8, 7, undefined]
        ] as const) {
          const chunks = yield* Stream.runCollect(engine.stream(fd, { chunkSize, readAhead, offset, length }))
          let at = offset
          for (const c of chunks) {
            assert.strictEqual(firstMismatch(c, at, seed), -1, `stream chunk at ${at}`)
            at += c.length
          }
          assert.strictEqual(at, length === undefined ? size : offset + length)
        }
        yield* engine.close(fd)
        report("integrity.core", { bytes: size, writeExtents: extents.length, readExtents: back.length, ...written, lost: 0 })
      }).pipe(withEngine),
      120_000
    )
  })

  describe("mixed load, 20% interrupted", () => {
    it.live("20k ops from 64 fibers: nothing in flight or queued after, every pool buffer back, no fd leaked", () =>
      Effect.gen(function* () {
        const engine = yield* AuraEngine
        const pool = yield* AuraBufferPool
        const sub = fs.mkdtempSync(path.join(dir, "load-"))
        const before = fdSnapshot()
        const t0 = performance.now()
        const res = yield* runCoreLoad({ dir: sub, ops: 20_000, fibers: 64, seed: 7 })
        const ms = performance.now() - t0
        assert.deepStrictEqual(res.failures.slice(0, 5), [])
        assert.strictEqual(res.ops, 20_000)
        assert.isAbove(res.interrupted, 500)
        const stats = yield* engine.stats
        assert.strictEqual(stats.inFlight, 0)
        for (const ring of stats.rings) {
          assert.strictEqual(ring.inFlight, 0)
          assert.strictEqual(ring.queued, 0)
        }
        const ps = yield* pool.stats
        assert.strictEqual(ps.inUse, 0)
        assert.strictEqual(ps.inUseBytes, 0)
        assert.strictEqual(ps.pendingRelease, 0)
        assert.strictEqual(ps.waiting, 0)
        assert.deepStrictEqual(fdsUnder(sub), [])
        assert.deepStrictEqual(fdLeaks(before), [])
        report("mixed.core", { ops: res.ops, interrupted: res.interrupted, bytesVerified: res.bytesVerified, ms: ms.toFixed(0), poolAcquired: ps.acquired, lost: 0, leakedFds: 0, leakedBuffers: 0 })
      }).pipe(withEngine),
      120_000
    )
  })

  describe("bad input to every service method", () => {
    it.live("fds, positions, lengths, buffers and paths: a typed PlatformError, never a defect or a hang", () =>
      Effect.gen(function* () {
        const engine = yield* AuraEngine
        const pool = yield* AuraBufferPool
        const file = path.join(dir, "bad.bin")
        fs.writeFileSync(file, pattern(8192, 0, 1))
        const good = yield* engine.openFd(file, "r+")
        const closed = fs.openSync(file, "r")
        fs.closeSync(closed)
        const buf = new Uint8Array(64)
        const ab = new ArrayBuffer(64)
        const detached = new Uint8Array(ab)
        structuredClone(ab, { transfer: [ab] })
        const u = <A>(x: unknown) => x as A

        const noProto: unknown = Object.create(null)
        const badFds: Array<unknown> = [-1, -100, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, "3", null, undefined, {}, 3n, noProto, closed]
        const badPositions: Array<unknown> = [-2, -1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -1n, 2n ** 64n, "0", {}]
        const badLengths: Array<unknown> = [-1, Number.NaN, 1.5, Number.POSITIVE_INFINITY, 2 ** 53, "1", null, noProto]
        const badBuffers: Array<unknown> = ["x", 42, null, {}, [1, 2], new ArrayBuffer(8), detached]
        const nul = "a\u0000b"
        const long = "/tmp/" + "x/".repeat(3000)
        const badPaths: Array<unknown> = [nul, long, path.join(dir, "z".repeat(300)), 42, null, {}, "", 3n, noProto]

        const cases: Array<[string, Effect.Effect<unknown, unknown>]> = []
        for (const fd of badFds) {
          const f = u<number>(fd)
          cases.push(
            [`read fd=${label(fd)}`, Effect.suspend(() => engine.read(f, buf, 0))],
            [`write fd=${label(fd)}`, Effect.suspend(() => engine.write(f, buf, 0))],
            [`readAlloc fd=${label(fd)}`, Effect.suspend(() => engine.readAlloc(f, 8, 0))],
            [`readExactly fd=${label(fd)}`, Effect.suspend(() => engine.readExactly(f, buf, 0))],
            [`writeAll fd=${label(fd)}`, Effect.suspend(() => engine.writeAll(f, buf, 0))],
            [`readv fd=${label(fd)}`, Effect.suspend(() => engine.readv(f, [buf], 0))],
            [`writev fd=${label(fd)}`, Effect.suspend(() => engine.writev(f, [buf], 0))],
            [`fsync fd=${label(fd)}`, Effect.suspend(() => engine.fsync(f))],
            [`fdatasync fd=${label(fd)}`, Effect.suspend(() => engine.fdatasync(f))],
            [`writeAndSync fd=${label(fd)}`, Effect.suspend(() => engine.writeAndSync(f, buf, 0))],
            [`close fd=${label(fd)}`, Effect.suspend(() => engine.close(f))],
            [`stat fd=${label(fd)}`, Effect.suspend(() => engine.stat(f))],
            [`fallocate fd=${label(fd)}`, Effect.suspend(() => engine.fallocate(f, 0, 1))],
            [`truncate fd=${label(fd)}`, Effect.suspend(() => engine.truncate(f, 0))],
            [`syncRange fd=${label(fd)}`, Effect.suspend(() => engine.syncRange(f, 0, 1))],
            [`readMany fd=${label(fd)}`, Effect.suspend(() => engine.readMany([{ fd: f, offset: 0, length: 8 }]))],
            [`readManyStream fd=${label(fd)}`, Effect.suspend(() => Stream.runDrain(engine.readManyStream([{ fd: f, offset: 0, length: 8 }])))],
            [`stream fd=${label(fd)}`, Effect.suspend(() => Stream.runDrain(engine.stream(f)))],
            [`sink fd=${label(fd)}`, Effect.suspend(() => Stream.run(Stream.make(buf), engine.sink(f, { offset: 0 })))]
          )
        }
        for (const p of badPositions) {
          const pos = u<number>(p)
          cases.push(
            [`read pos=${label(p)}`, Effect.suspend(() => engine.read(good, buf, pos))],
            [`write pos=${label(p)}`, Effect.suspend(() => engine.write(good, buf, pos))],
            [`readAlloc pos=${label(p)}`, Effect.suspend(() => engine.readAlloc(good, 8, pos))],
            [`readExactly pos=${label(p)}`, Effect.suspend(() => engine.readExactly(good, buf, pos))],
            [`writeAll pos=${label(p)}`, Effect.suspend(() => engine.writeAll(good, buf, pos))],
            [`readv pos=${label(p)}`, Effect.suspend(() => engine.readv(good, [buf], pos))],
            [`writev pos=${label(p)}`, Effect.suspend(() => engine.writev(good, [buf], pos))],
            [`writeAndSync pos=${label(p)}`, Effect.suspend(() => engine.writeAndSync(good, buf, pos))],
            [`fallocate off=${label(p)}`, Effect.suspend(() => engine.fallocate(good, pos, 1))],
            [`syncRange off=${label(p)}`, Effect.suspend(() => engine.syncRange(good, pos, 1))],
            [`truncate len=${label(p)}`, Effect.suspend(() => engine.truncate(good, pos))],
            [`readMany offset=${label(p)}`, Effect.suspend(() => engine.readMany([{ fd: good, offset: pos, length: 8 }]))],
            [`stream offset=${label(p)}`, Effect.suspend(() => Stream.runDrain(engine.stream(good, { offset: pos })))],
            [`sink offset=${label(p)}`, Effect.suspend(() => Stream.run(Stream.make(buf), engine.sink(good, { offset: pos })))]
          )
        }
        for (const l of badLengths) {
          const len = u<number>(l)
          cases.push(
            [`readAlloc length=${label(l)}`, Effect.suspend(() => engine.readAlloc(good, len, 0))],
            [`fallocate length=${label(l)}`, Effect.suspend(() => engine.fallocate(good, 0, len))],
            [`syncRange length=${label(l)}`, Effect.suspend(() => engine.syncRange(good, 0, len))],
            [`readMany length=${label(l)}`, Effect.suspend(() => engine.readMany([{ fd: good, offset: 0, length: len }]))],
            [`readMany length past its buffer=${label(l)}`, Effect.suspend(() => engine.readMany([{ fd: good, offset: 0, length: 65, buffer: buf }]))],
            [`stream chunkSize=${label(l)}`, Effect.suspend(() => Stream.runDrain(engine.stream(good, { chunkSize: len })))],
            [`stream readAhead=${label(l)}`, Effect.suspend(() => Stream.runDrain(engine.stream(good, { readAhead: len })))],
            [`stream length=${label(l)}`, Effect.suspend(() => Stream.runDrain(engine.stream(good, { length: len })))],
            [`readManyStream concurrency=${label(l)}`, Effect.suspend(() => Stream.runDrain(engine.readManyStream([{ fd: good, offset: 0, length: 8 }], { concurrency: len })))],
            [`pool.acquire size=${label(l)}`, Effect.suspend(() => Effect.scoped(pool.acquire(len)))],
            [`pool.tryAcquire size=${label(l)}`, Effect.suspend(() => Effect.scoped(pool.tryAcquire(len)))]
          )
        }
        for (const b of badBuffers) {
          const bb = u<Uint8Array>(b)
          cases.push(
            [`read buffer=${label(b)}`, Effect.suspend(() => engine.read(good, bb, 0))],
            [`write buffer=${label(b)}`, Effect.suspend(() => engine.write(good, bb, 0))],
            [`readExactly buffer=${label(b)}`, Effect.suspend(() => engine.readExactly(good, bb, 0))],
            [`writeAll buffer=${label(b)}`, Effect.suspend(() => engine.writeAll(good, bb, 0))],
            [`readv buffers=[${label(b)}]`, Effect.suspend(() => engine.readv(good, [bb], 0))],
            [`writev buffers=${label(b)}`, Effect.suspend(() => engine.writev(good, u<Array<Uint8Array>>(b), 0))],
            [`writeAndSync buffer=${label(b)}`, Effect.suspend(() => engine.writeAndSync(good, bb, 0))],
            [`readMany buffer=${label(b)}`, Effect.suspend(() => engine.readMany([{ fd: good, offset: 0, length: 8, buffer: bb }]))],
            [`readMany requests=${label(b)}`, Effect.suspend(() => engine.readMany(u<Array<AuraEngine.ReadRequest>>(b)))],
            [`sink chunk=${label(b)}`, Effect.suspend(() => Stream.run(Stream.make(bb), engine.sink(good, { offset: 0 })))]
          )
        }
        for (const p of badPaths) {
          const s = u<string>(p)
          cases.push(
            [`open ${label(p).slice(0, 20)}`, Effect.suspend(() => Effect.scoped(engine.open(s)))],
            [`openFd ${label(p).slice(0, 20)}`, Effect.suspend(() => engine.openFd(s, "r"))],
            [`stat ${label(p).slice(0, 20)}`, Effect.suspend(() => engine.stat(s))],
            [`unlink ${label(p).slice(0, 20)}`, Effect.suspend(() => engine.unlink(s))],
            [`rmdir ${label(p).slice(0, 20)}`, Effect.suspend(() => engine.rmdir(s))],
            [`rename from ${label(p).slice(0, 20)}`, Effect.suspend(() => engine.rename(s, path.join(dir, "x")))],
            [`rename to ${label(p).slice(0, 20)}`, Effect.suspend(() => engine.rename(file, s))],
            [`mkdir ${label(p).slice(0, 20)}`, Effect.suspend(() => engine.mkdir(s))],
            [`symlink target ${label(p).slice(0, 20)}`, Effect.suspend(() => engine.symlink(s, path.join(dir, "l")))],
            [`symlink path ${label(p).slice(0, 20)}`, Effect.suspend(() => engine.symlink("t", s))],
            [`link from ${label(p).slice(0, 20)}`, Effect.suspend(() => engine.link(s, path.join(dir, "h")))],
            [`link to ${label(p).slice(0, 20)}`, Effect.suspend(() => engine.link(file, s))]
          )
        }
        cases.push(
          ["open flag=bogus", Effect.suspend(() => Effect.scoped(engine.open(file, { flag: "bogus" })))],
          ["open mode=-1", Effect.suspend(() => Effect.scoped(engine.open(path.join(dir, "m1"), { flag: "w", mode: -1 })))],
          ["open mode=NaN", Effect.suspend(() => Effect.scoped(engine.open(path.join(dir, "m2"), { flag: "w", mode: Number.NaN })))],
          ["openFd flags=1.5", Effect.suspend(() => engine.openFd(file, 1.5))],
          ["openFd flags=no-prototype object", Effect.suspend(() => engine.openFd(file, u<number>(noProto)))],
          ["mkdir mode=NaN", Effect.suspend(() => engine.mkdir(path.join(dir, "dm"), Number.NaN))],
          ["fallocate mode=-1", Effect.suspend(() => engine.fallocate(good, 0, 1, -1))],
          ["syncRange flags=99", Effect.suspend(() => engine.syncRange(good, 0, 1, 99))],
          ["readv buffers=not-an-array", Effect.suspend(() => engine.readv(good, u<Array<Uint8Array>>("x"), 0))],
          ["readv 2000 buffers", Effect.suspend(() => engine.readv(good, Array.from({ length: 2000 }, () => buf), 0))],
          ["readMany mode=bogus", Effect.suspend(() => engine.readMany([{ fd: good, offset: 0, length: 8 }], u({ mode: "bogus" })))]
        )

        const results = yield* Effect.forEach(cases, ([name, eff]) => Effect.map(Effect.zipRight(Effect.sync(() => process.env["REL_DEBUG"] && console.log(`START ${name}`)), outcome(eff)), (o) => [name, o] as const))
        if (process.env["REL_DEBUG"]) for (const [n, o] of results) console.log(`${o}\t${n}`)
        const bad = results.filter(([, o]) => o === "HANG" || o.startsWith("defect"))
        assert.deepStrictEqual(bad, [], "defects or hangs")
        // Everything here is invalid: it must fail, and fail as a PlatformError. A few combinations are
        // legal to the kernel (a read at a huge offset is EOF) — those may succeed.
        // null options mean "the default"; a long *target* of a symlink is legal; "3" as pathOrFd is a path.
        const mayPass = /^(read|readAlloc|readMany|stream|readExactly) pos=9007199254740992|^stream offset=9007199254740992|(length|readAhead|chunkSize|concurrency)=null$|^readMany length=null|^symlink target \/tmp\/auraio|^readMany mode=bogus/
        const untyped = results.filter(([name, o]) => !isTyped(o) && !(o === "ok" && mayPass.test(name)))
        assert.deepStrictEqual(untyped, [], "every bad input fails with BadArgument or SystemError")
        yield* engine.close(good)
        report("badinput.core", { tried: cases.length, typed: results.filter(([, o]) => isTyped(o)).length, defects: 0, hangs: 0 })
      }).pipe(withEngine),
      120_000
    )
  })
})

describe("faults through the Effect API", () => {
  it.live("ENOSPC on a 2 MiB tmpfs: a typed error (same reason as NodeFileSystem), earlier data intact", () =>
    Effect.gen(function* () {
      const tiny = mountTinyTmpfs(2 * 1024 * 1024)
      if (tiny._tag === "Unavailable") {
        console.log(`skip ENOSPC: ${tiny.reason}`)
        return
      }
      yield* Effect.addFinalizer(() => Effect.sync(tiny.unmount))
      const engine = yield* AuraEngine
      const first = path.join(tiny.dir, "first.bin")
      const firstData = pattern(512 * 1024, 0, 21)
      const fd1 = yield* engine.openFd(first, "w")
      yield* engine.writeAll(fd1, firstData, 0)
      yield* engine.fsync(fd1)
      yield* engine.close(fd1)

      const second = path.join(tiny.dir, "second.bin")
      const fd2 = yield* engine.openFd(second, "w")
      let at = 0
      let failure: string | undefined
      let message = ""
      while (at < 8 * 1024 * 1024) {
        const chunk = pattern(64 * 1024, at, 22)
        const exit = yield* Effect.exit(engine.writeAll(fd2, chunk, at))
        if (Exit.isFailure(exit)) {
          const f = Cause.failureOption(exit.cause)
          assert.isTrue(Option.isSome(f), `a failure, not a defect: ${Cause.pretty(exit.cause)}`)
          const e = (f as Option.Some<{ _tag: string; reason?: string; message: string }>).value
          failure = `${e._tag}:${e.reason}`
          message = e.message
          break
        }
        at += chunk.length
      }
      assert.isDefined(failure, "the 2 MiB filesystem never filled")
      assert.match(message, /ENOSPC|no space/i)
      // Also through the sink and through writeAndSync.
      const sinkExit = yield* Effect.exit(Stream.run(Stream.make(pattern(1 << 20, 0, 23)), engine.sink(fd2, { offset: at })))
      const syncExit = yield* Effect.exit(engine.writeAndSync(fd2, pattern(1 << 20, at, 24), at + (1 << 20)))
      yield* engine.close(fd2)

      // NodeFileSystem's verdict on the same condition.
      const nodeReason = yield* Effect.provide(
        Effect.flatMap(FileSystem.FileSystem, (nfs) =>
          Effect.map(Effect.flip(nfs.writeFile(path.join(tiny.dir, "third.bin"), new Uint8Array(4 << 20))), (e) => `${e._tag}:${(e as { reason?: string }).reason}`)
        ),
        NodeFileSystem.layer
      )
      assert.strictEqual(failure, nodeReason)
      for (const x of [sinkExit, syncExit] as Array<Exit.Exit<unknown, unknown>>) {
        assert.isTrue(Exit.isFailure(x))
        if (Exit.isFailure(x)) assert.isTrue(Option.isSome(Cause.failureOption(x.cause)))
      }

      // Earlier data: the first file whole, the second file's acknowledged prefix.
      assert.strictEqual(sha256(fs.readFileSync(first)), sha256(firstData))
      const prefix = fs.readFileSync(second).subarray(0, at)
      assert.strictEqual(firstMismatch(prefix, 0, 22), -1)
      report("fault.enospc", { reason: failure!, nodeFileSystemReason: nodeReason, acknowledgedBytesIntact: at })
    }).pipe(Effect.scoped, Effect.provide(AuraEngine.layerWith({ rings: 1, aimd: false })))
  )

  it.live("the engine's scope closed under load finishes within its bound; blocked ops are cancelled", () =>
    Effect.gen(function* () {
      const before = fdSnapshot()
      const file = path.join(dir, "closing.bin")
      fs.writeFileSync(file, pattern(1 << 20, 0, 5))
      const fifoPath = path.join(dir, "closing.fifo")
      execFileSync("mkfifo", [fifoPath])
      const fifoFd = fs.openSync(fifoPath, fs.constants.O_RDWR)
      const scope = yield* Scope.make()
      const engine = yield* Scope.extend(AuraEngine.make({ rings: 2, closeTimeout: Duration.millis(200) }), scope)
      const fd = yield* engine.openFd(file, "r")
      // 2,000 reads and 8 reads that can never complete, all forked outside the engine's scope.
      const fibers = yield* Effect.forEach(
        Array.from({ length: 2008 }, (_, i) => i),
        (i) => Effect.fork(i < 2000 ? engine.read(fd, new Uint8Array(4096), (i * 4096) % (1 << 20)) : engine.read(fifoFd, new Uint8Array(16))),
        { concurrency: "unbounded" }
      )
      yield* Effect.sleep(Duration.millis(5))
      const t0 = performance.now()
      yield* Scope.close(scope, Exit.void)
      const ms = performance.now() - t0
      const exits = yield* Effect.forEach(fibers, (f) => Effect.timeout(Fiber.await(f), Duration.seconds(5)))
      const finished = exits.filter((e) => Exit.isExit(e)).length
      assert.strictEqual(finished, 2008)
      const ok = exits.filter((e) => Exit.isSuccess(e)).length
      assert.isAtLeast(ms, 0)
      // bound 200 ms + cancel round trip, generous for a 2-vCPU VM under a parallel test run.
      assert.isBelow(ms, 3000, `closing took ${ms} ms`)
      fs.closeSync(fifoFd)
      fs.closeSync(fd)
      assert.deepStrictEqual(fdLeaks(before), [])
      report("fault.scope-close-under-load", { ops: 2008, boundMs: 200, tookMs: ms.toFixed(0), completed: ok, endedOtherwise: 2008 - ok })
    })
  )
})

it("the NodeFileSystem oracle agrees with itself (harness sanity)", () => {
  assert.strictEqual(firstMismatch(fillPattern(new Uint8Array(10), 5, 1), 5, 1), -1)
})
