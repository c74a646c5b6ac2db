import { assert, describe, layer } from "@effect/vitest"
import { AuraEngine } from "@auraio/core"
import { NodeFileSystem } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { closeSync, existsSync, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs"
import { afterAll } from "vitest"
import { makeTmp, pattern } from "./fixtures/tmp.js"

const tmp = makeTmp("ops")
afterAll(tmp.cleanup)

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

layer(AuraEngine.layerWith({ aimd: false }))("AuraEngine operations", (it) => {
  describe("read / write", () => {
    it.scoped("positional read and write", () =>
      Effect.gen(function*() {
        const engine = yield* AuraEngine
        const path = tmp.file(10_000)
        const fd = yield* engine.openFd(path, "r+")
        const buf = new Uint8Array(4096)
        assert.strictEqual(yield* engine.read(fd, buf, 1000), 4096)
        assert.deepStrictEqual(buf, pattern(1000, 4096))
        assert.strictEqual(yield* engine.read(fd, buf, 9000n), 1000)
        assert.strictEqual(yield* engine.read(fd, buf, 20_000), 0)
        assert.strictEqual(yield* engine.write(fd, bytes("hello"), 2), 5)
        yield* engine.close(fd)
        assert.strictEqual(readFileSync(path).subarray(0, 7).toString("latin1").slice(2), "hello")
      }))

    it.scoped("omitted position uses and moves the file cursor", () =>
      Effect.gen(function*() {
        const engine = yield* AuraEngine
        const path = tmp.fresh()
        const file = yield* engine.open(path, { flag: "w+" })
        yield* file.write(bytes("abc"))
        yield* file.write(bytes("def"))
        const out = yield* file.readAlloc(6, 0)
        assert.strictEqual(text(out), "abcdef")
      }))

    it.scoped("readAlloc trims to what was read", () =>
      Effect.gen(function*() {
        const engine = yield* AuraEngine
        const fd = yield* engine.openFd(tmp.file(100))
        const out = yield* engine.readAlloc(fd, 4096, 50)
        assert.strictEqual(out.length, 50)
        assert.deepStrictEqual(out, pattern(50, 50))
        assert.strictEqual((yield* engine.readAlloc(fd, 10, 100)).length, 0)
        yield* engine.close(fd)
      }))

    it.scoped("readExactly fills the buffer or fails UnexpectedEof", () =>
      Effect.gen(function*() {
        const engine = yield* AuraEngine
        const fd = yield* engine.openFd(tmp.file(8192))
        const buf = new Uint8Array(8000)
        yield* engine.readExactly(fd, buf, 100)
        assert.deepStrictEqual(buf, pattern(100, 8000))
        const err = yield* Effect.flip(engine.readExactly(fd, buf, 1000))
        assert.strictEqual(err._tag, "SystemError")
        if (err._tag === "SystemError") assert.strictEqual(err.reason, "UnexpectedEof")
        yield* engine.close(fd)
      }))

    it.scoped("writeAll writes everything, positional and at the cursor", () =>
      Effect.gen(function*() {
        const engine = yield* AuraEngine
        const path = tmp.fresh()
        const fd = yield* engine.openFd(path, "w")
        const data = pattern(0, 3 * 1024 * 1024 + 17)
        // The cursor write lands at 0 and moves the cursor; the positional one leaves it alone.
        yield* engine.writeAll(fd, bytes("head"))
        yield* engine.writeAll(fd, data, 4)
        yield* engine.writeAll(fd, bytes("HEAD"))
        yield* engine.close(fd)
        const back = readFileSync(path)
        assert.strictEqual(back.length, data.length + 4)
        assert.strictEqual(back.subarray(0, 8).toString("latin1"), "headHEAD")
        assert.isTrue(Buffer.from(data.subarray(4)).equals(back.subarray(8)))
      }))

    it.scoped("readv / writev scatter and gather", () =>
      Effect.gen(function*() {
        const engine = yield* AuraEngine
        const path = tmp.fresh()
        const fd = yield* engine.openFd(path, "w+")
        assert.strictEqual(yield* engine.writev(fd, [bytes("ab"), bytes("cde"), bytes("f")], 0), 6)
        const a = new Uint8Array(4)
        const b = new Uint8Array(4)
        assert.strictEqual(yield* engine.readv(fd, [a, b], 0), 6)
        assert.strictEqual(text(a) + text(b.subarray(0, 2)), "abcdef")
        yield* engine.close(fd)
      }))

    it.scoped("errors are SystemErrors with Node's reason, syscall and descriptor", () =>
      Effect.gen(function*() {
        const engine = yield* AuraEngine
        const path = tmp.file(10)
        const ro = yield* engine.openFd(path, "r")
        const err = yield* Effect.flip(engine.write(ro, bytes("x"), 0))
        assert.strictEqual(err._tag, "SystemError")
        if (err._tag !== "SystemError") return
        assert.strictEqual(err.syscall, "write")
        assert.strictEqual(err.pathOrDescriptor, ro)
        assert.match(err.description ?? "", /^EBADF/)
        yield* engine.close(ro)
        const dir = yield* engine.openFd(tmp.dir, "r")
        const isDir = yield* Effect.flip(engine.read(dir, new Uint8Array(10), 0))
        assert.strictEqual(isDir._tag === "SystemError" && isDir.reason, "BadResource")
        yield* engine.close(dir)
      }))
  })

  describe("sync", () => {
    it.scoped("fsync, fdatasync and the linked write → fsync", () =>
      Effect.gen(function*() {
        const engine = yield* AuraEngine
        const path = tmp.fresh()
        const file = yield* engine.open(path, { flag: "w+" })
        assert.strictEqual(yield* file.writeAndSync(bytes("durable"), 0), 7)
        assert.strictEqual(yield* engine.writeAndSync(file.fd, bytes("!"), 7, { datasync: true }), 1)
        yield* engine.fsync(file.fd)
        yield* engine.fdatasync(file.fd)
        yield* file.sync
        yield* file.datasync
        yield* file.syncRange(0, 8)
        assert.strictEqual(readFileSync(path, "utf8"), "durable!")
        const bad = yield* Effect.flip(engine.fsync(1_000_000))
        assert.strictEqual(bad._tag === "SystemError" && bad.syscall, "fsync")
        const badLinked = yield* Effect.flip(engine.writeAndSync(1_000_000, bytes("x"), 0))
        assert.strictEqual(badLinked._tag, "SystemError")
      }))
  })

  describe("open / close", () => {
    it.scoped("open honours Node's flags and mode", () =>
      Effect.gen(function*() {
        const engine = yield* AuraEngine
        const path = tmp.fresh()
        yield* Effect.scoped(engine.open(path, { flag: "wx", mode: 0o600 }))
        assert.strictEqual(statSync(path).mode & 0o777, 0o600)
        const exists = yield* Effect.flip(Effect.scoped(engine.open(path, { flag: "wx" })))
        assert.strictEqual(exists._tag === "SystemError" && exists.reason, "AlreadyExists")
        const missing = yield* Effect.flip(Effect.scoped(engine.open(tmp.path("nope/x"))))
        assert.strictEqual(missing._tag === "SystemError" && missing.reason, "NotFound")
        if (missing._tag === "SystemError") {
          assert.strictEqual(missing.syscall, "open")
          assert.strictEqual(missing.pathOrDescriptor, tmp.path("nope/x"))
        }
        writeFileSync(path, "12345")
        yield* Effect.scoped(Effect.flatMap(engine.open(path, { flag: "a" }), (f) => f.write(bytes("6"))))
        assert.strictEqual(readFileSync(path, "utf8"), "123456")
        const unknown = yield* Effect.flip(engine.openFd(path, "rw"))
        assert.strictEqual(unknown._tag, "BadArgument")
      }))

    it.scoped("a scoped file closes with its scope; the fd is close-on-exec", () =>
      Effect.gen(function*() {
        const engine = yield* AuraEngine
        const fd = yield* Effect.scoped(Effect.map(engine.open(tmp.file(10)), (f) => {
          fstatSync(f.fd)
          return f.fd
        }))
        // The fd number is free again: opening anything reuses the lowest one.
        const probe = openSync(tmp.file(1), "r")
        assert.isAtMost(probe, fd)
        closeSync(probe)
      }))

    it.scoped("close reports EBADF", () =>
      Effect.gen(function*() {
        const engine = yield* AuraEngine
        const err = yield* Effect.flip(engine.close(999_999))
        assert.strictEqual(err._tag === "SystemError" && err.syscall, "close")
      }))
  })

  describe("stat", () => {
    it.scoped("matches NodeFileSystem's File.Info for a path, an fd and a symlink", () =>
      Effect.gen(function*() {
        const engine = yield* AuraEngine
        const fs = yield* FileSystem.FileSystem
        const path = tmp.file(12345)
        const link = tmp.fresh("lnk")
        yield* engine.symlink(path, link)
        const ours = yield* engine.stat(path)
        const theirs = yield* fs.stat(path)
        assert.deepStrictEqual(ours, theirs)
        const file = yield* engine.open(path)
        assert.deepStrictEqual(yield* file.stat, theirs)
        assert.deepStrictEqual(yield* engine.stat(link), theirs)
        const l = yield* engine.stat(link, { followSymlinks: false })
        assert.strictEqual(l.type, "SymbolicLink")
        assert.strictEqual(Number(l.size), lstatSync(link).size)
        assert.strictEqual((yield* engine.stat(tmp.dir)).type, "Directory")
        const missing = yield* Effect.flip(engine.stat(tmp.path("missing")))
        assert.strictEqual(missing._tag === "SystemError" && missing.reason, "NotFound")
        assert.strictEqual(missing._tag === "SystemError" && missing.syscall, "stat")
        assert.isTrue(Option.isSome(ours.ino))
      }).pipe(Effect.provide(NodeFileSystem.layer)))
  })

  describe("space", () => {
    it.scoped("fallocate and truncate", () =>
      Effect.gen(function*() {
        const engine = yield* AuraEngine
        const path = tmp.fresh()
        const file = yield* engine.open(path, { flag: "w+" })
        yield* file.fallocate(0, 1 << 20)
        assert.strictEqual(statSync(path).size, 1 << 20)
        yield* engine.fallocate(file.fd, 0, 2 << 20)
        assert.strictEqual(statSync(path).size, 2 << 20)
        yield* file.truncate(100)
        assert.strictEqual(statSync(path).size, 100)
        yield* engine.truncate(file.fd, 0n)
        assert.strictEqual(statSync(path).size, 0)
        const err = yield* Effect.flip(engine.truncate(1_000_000, 0))
        assert.strictEqual(err._tag === "SystemError" && err.syscall, "ftruncate")
        const err2 = yield* Effect.flip(engine.fallocate(1_000_000, 0, 10))
        assert.strictEqual(err2._tag, "SystemError")
        const err3 = yield* Effect.flip(engine.syncRange(1_000_000, 0, 10))
        assert.strictEqual(err3._tag, "SystemError")
      }))
  })

  describe("paths", () => {
    it.scoped("mkdir, rename, link, symlink, unlink, rmdir — and their failures", () =>
      Effect.gen(function*() {
        const engine = yield* AuraEngine
        const dir = tmp.path("d1")
        yield* engine.mkdir(dir, 0o750)
        assert.isTrue(statSync(dir).isDirectory())
        const again = yield* Effect.flip(engine.mkdir(dir))
        assert.strictEqual(again._tag === "SystemError" && again.reason, "AlreadyExists")

        const a = `${dir}/a`
        writeFileSync(a, "x")
        yield* engine.rename(a, `${dir}/b`)
        assert.isFalse(existsSync(a))
        const renameMissing = yield* Effect.flip(engine.rename(a, `${dir}/c`))
        assert.strictEqual(renameMissing._tag === "SystemError" && renameMissing.reason, "NotFound")
        if (renameMissing._tag === "SystemError") assert.strictEqual(renameMissing.pathOrDescriptor, a)

        yield* engine.link(`${dir}/b`, `${dir}/hard`)
        assert.strictEqual(statSync(`${dir}/b`).nlink, 2)
        const linkExists = yield* Effect.flip(engine.link(`${dir}/b`, `${dir}/hard`))
        assert.strictEqual(linkExists._tag === "SystemError" && linkExists.reason, "AlreadyExists")

        yield* engine.symlink("b", `${dir}/soft`)
        assert.strictEqual(readlinkSync(`${dir}/soft`), "b")
        const symExists = yield* Effect.flip(engine.symlink("b", `${dir}/soft`))
        assert.strictEqual(symExists._tag === "SystemError" && symExists.reason, "AlreadyExists")

        const notEmpty = yield* Effect.flip(engine.rmdir(dir))
        assert.strictEqual(notEmpty._tag === "SystemError" && notEmpty.syscall, "rmdir")
        for (const name of ["b", "hard", "soft"]) yield* engine.unlink(`${dir}/${name}`)
        const unlinkMissing = yield* Effect.flip(engine.unlink(`${dir}/b`))
        assert.strictEqual(unlinkMissing._tag === "SystemError" && unlinkMissing.reason, "NotFound")
        const unlinkDir = yield* Effect.flip(engine.unlink(dir))
        assert.strictEqual(unlinkDir._tag, "SystemError")
        yield* engine.rmdir(dir)
        assert.isFalse(existsSync(dir))
      }))
  })

  describe("bad arguments never reach the ring", () => {
    it.scoped("every op validates in TypeScript", () =>
      Effect.gen(function*() {
        const engine = yield* AuraEngine
        const buf = new Uint8Array(8)
        const detached = new Uint8Array(new ArrayBuffer(8))
        structuredClone(detached.buffer, { transfer: [detached.buffer] })
        const cases: Array<Effect.Effect<unknown, { readonly _tag: string }>> = [
          engine.read(-1, buf, 0),
          engine.read(1.5, buf, 0),
          engine.read(0, "nope" as any, 0),
          engine.read(0, buf, -1),
          engine.read(0, buf, 2 ** 60),
          engine.read(0, buf, -1n),
          engine.read(0, detached, 0),
          engine.write(Number.NaN, buf, 0),
          engine.readAlloc(0, -1, 0),
          engine.readExactly(0, buf, undefined as any),
          engine.writeAll(0, buf, 1.5),
          engine.readv(0, [buf, 42 as any], 0),
          engine.writev(0, "x" as any, 0),
          engine.fsync(-3),
          engine.writeAndSync(0, buf, -5),
          engine.openFd("", "r"),
          engine.openFd("a\u0000b", "r"),
          engine.openFd("x", "r", 0o17777),
          engine.close(-1),
          engine.stat(""),
          engine.stat(-2),
          engine.fallocate(0, -1, 10),
          engine.truncate(0, -1),
          engine.syncRange(0, 0, 10, 99),
          engine.unlink(""),
          engine.rmdir(7 as any),
          engine.rename("a", ""),
          engine.mkdir("x", -1),
          engine.symlink("", "x"),
          engine.link("x", "")
        ]
        for (const [i, op] of cases.entries()) {
          const err = yield* Effect.flip(op)
          assert.strictEqual(err._tag, "BadArgument", `case ${i}`)
        }
        const stats = yield* engine.stats
        assert.strictEqual(stats.inFlight, 0)
      }))
  })
})
