import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { EngineClosedError, openEngine } from "@auraio/native"
import type { ErrnoException } from "@auraio/native"
import { fileWith, pattern, tmpDir } from "./helpers.js"

const dir = tmpDir("api")
const engine = openEngine({ rings: 1 })
const p = engine.promises
afterAll(async () => {
  await engine.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const rejects = async (run: () => Promise<unknown>, code: string, syscall?: string, errPath?: string) => {
  try {
    await run()
    expect.unreachable()
  } catch (e) {
    const err = e as ErrnoException
    expect(err.code).toBe(code)
    if (syscall) expect(err.syscall).toBe(syscall)
    if (errPath) expect(err.path).toBe(errPath)
    if (syscall) expect(err.errno).toBeLessThan(0)
  }
}

describe("promise forms", () => {
  it("open / read / write / readv / writev / fsync / close", async () => {
    const file = path.join(dir, "a.txt")
    const fd = await p.open(file, "w+", 0o600)
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe("600")
    expect(await p.write(fd, new TextEncoder().encode("hello world"))).toBe(11)
    expect(await p.write(fd, Buffer.from("!!"), 0, 2, 11)).toBe(2)
    const buf = Buffer.alloc(20)
    expect(await p.read(fd, buf, 0, 20, 0)).toBe(13)
    expect(buf.subarray(0, 13).toString()).toBe("hello world!!")
    // offset into the target buffer, length, position; DataView and other views share memory
    const view = new DataView(new ArrayBuffer(8))
    expect(await p.read(fd, view, 2, 5, 6)).toBe(5)
    expect(Buffer.from(view.buffer).subarray(2, 7).toString()).toBe("world")
    expect(await p.writev(fd, [Buffer.from("ab"), Buffer.from("cd")], 0)).toBe(4)
    const [x, y] = [Buffer.alloc(3), Buffer.alloc(3)]
    expect(await p.readv(fd, [x, y], 0)).toBe(6)
    expect(Buffer.concat([x, y]).toString()).toBe("abcdo ")
    expect(await p.writeFsync(fd, Buffer.from("Z"), 0, true)).toBe(1)
    await p.fsync(fd)
    await p.fdatasync(fd)
    await p.close(fd)
    await rejects(() => p.close(fd), "EBADF", "close")
    await rejects(() => p.read(fd, buf), "EBADF", "read")
  })

  it("open errors carry code, errno, syscall and path", async () => {
    const missing = path.join(dir, "missing", "x")
    await rejects(() => p.open(missing), "ENOENT", "open", missing)
    const exists = fileWith(dir, "e.txt", pattern(1))
    await rejects(() => p.open(exists, "wx"), "EEXIST", "open", exists)
    await rejects(() => p.open(path.join(exists, "x")), "ENOTDIR", "open")
    await rejects(() => p.open(dir, "w"), "EISDIR", "open", dir)
    const fd = await p.open(pathToFileURL(exists))
    await p.close(fd)
    const fd2 = await p.open(Buffer.from(exists), "r")
    await p.close(fd2)
  })

  it("stat / lstat / fstat agree with node:fs", async () => {
    const file = fileWith(dir, "s.bin", pattern(12345))
    const link = path.join(dir, "s.link")
    fs.symlinkSync(file, link)
    const st = await p.stat(file)
    const ref = fs.statSync(file)
    expect(st.size).toBe(12345)
    expect(st.ino).toBe(ref.ino)
    expect(st.dev).toBe(ref.dev)
    expect(st.mode).toBe(ref.mode)
    expect(st.nlink).toBe(ref.nlink)
    expect(st.uid).toBe(ref.uid)
    expect(st.blocks).toBe(ref.blocks)
    expect(Math.abs(st.mtimeMs - ref.mtimeMs)).toBeLessThan(1)
    expect(st.isFile()).toBe(true)
    expect((await p.lstat(link)).isSymbolicLink()).toBe(true)
    expect((await p.stat(link)).isFile()).toBe(true)
    expect((await p.stat(dir)).isDirectory()).toBe(true)
    const fd = fs.openSync(file, "r")
    expect((await p.fstat(fd)).size).toBe(12345)
    fs.closeSync(fd)
    await rejects(() => p.stat(path.join(dir, "nope")), "ENOENT", "stat")
    await rejects(() => p.fstat(987654), "EBADF", "fstat")
  })

  it("fallocate / ftruncate / syncFileRange", async () => {
    const fd = await p.open(path.join(dir, "t.bin"), "w+")
    await p.fallocate(fd, 0, 0, 8192)
    expect((await p.fstat(fd)).size).toBe(8192)
    await p.ftruncate(fd, 10)
    expect((await p.fstat(fd)).size).toBe(10)
    await p.syncFileRange(fd, 0, 10, 2)
    await p.close(fd)
    await rejects(() => p.ftruncate(fd, 0), "EBADF", "ftruncate")
  })

  it("mkdir / rename / symlink / link / unlink / rmdir", async () => {
    const d = path.join(dir, "d")
    await p.mkdir(d)
    await rejects(() => p.mkdir(d), "EEXIST", "mkdir", d)
    const a = fileWith(d, "a", pattern(3))
    const b = path.join(d, "b")
    await p.rename(a, b)
    await rejects(() => p.rename(a, b), "ENOENT", "rename", a)
    await p.symlink(b, path.join(d, "s"))
    await p.link(b, path.join(d, "h"))
    await rejects(() => p.link(b, path.join(d, "h")), "EEXIST", "link")
    await rejects(() => p.rmdir(d), "ENOTEMPTY", "rmdir", d)
    await rejects(() => p.unlink(d), "EISDIR", "unlink", d)
    for (const f of ["b", "s", "h"]) await p.unlink(path.join(d, f))
    await rejects(() => p.unlink(b), "ENOENT", "unlink", b)
    await p.rmdir(d)
    expect(fs.existsSync(d)).toBe(false)
  })
})

describe("callback forms", () => {
  it("cb(err, bytes, buffer) like node:fs", async () => {
    const file = fileWith(dir, "cb.bin", pattern(100))
    const fd = fs.openSync(file, "r")
    const buf = Buffer.alloc(100)
    const [err, n, same] = await new Promise<[unknown, number | undefined, unknown]>((resolve) =>
      engine.read(fd, buf, 0, 100, 0, (e, bytes, b) => resolve([e, bytes, b]))
    )
    expect(err).toBeNull()
    expect(n).toBe(100)
    expect(same).toBe(buf)
    fs.closeSync(fd)
    const e2 = await new Promise<unknown>((resolve) => engine.stat(path.join(dir, "x"), (e) => resolve(e)))
    expect((e2 as ErrnoException).code).toBe("ENOENT")
  })
})

describe("validation happens before native code", () => {
  const buf = new Uint8Array(16)
  const cb = () => {}
  const code = (f: () => unknown) => {
    try {
      f()
    } catch (e) {
      return [(e as Error).constructor.name, (e as { code?: string }).code]
    }
    return undefined
  }

  it("bad fds, lengths, offsets and positions", () => {
    expect(code(() => engine.read(-1, buf, 0, 1, 0, cb))).toEqual(["RangeError", "ERR_OUT_OF_RANGE"])
    expect(code(() => engine.read(1.5, buf, 0, 1, 0, cb))).toEqual(["RangeError", "ERR_OUT_OF_RANGE"])
    expect(code(() => engine.read(Number.NaN, buf, 0, 1, 0, cb))).toEqual(["RangeError", "ERR_OUT_OF_RANGE"])
    expect(code(() => engine.read("3" as unknown as number, buf, 0, 1, 0, cb))).toEqual(["TypeError", "ERR_INVALID_ARG_TYPE"])
    expect(code(() => engine.read(0, buf, 0, 17, 0, cb))).toEqual(["RangeError", "ERR_OUT_OF_RANGE"])
    expect(code(() => engine.read(0, buf, 10, 7, 0, cb))).toEqual(["RangeError", "ERR_OUT_OF_RANGE"])
    expect(code(() => engine.read(0, buf, -1, 1, 0, cb))).toEqual(["RangeError", "ERR_OUT_OF_RANGE"])
    expect(code(() => engine.read(0, buf, 0, -1, 0, cb))).toEqual(["RangeError", "ERR_OUT_OF_RANGE"])
    expect(code(() => engine.read(0, buf, 0, 1.5, 0, cb))).toEqual(["RangeError", "ERR_OUT_OF_RANGE"])
    expect(code(() => engine.read(0, buf, 0, 1, -2, cb))).toEqual(["RangeError", "ERR_OUT_OF_RANGE"])
    expect(code(() => engine.read(0, buf, 0, 1, Number.NaN, cb))).toEqual(["RangeError", "ERR_OUT_OF_RANGE"])
    expect(code(() => engine.read(0, buf, 0, 1, 2 ** 53, cb))).toEqual(["RangeError", "ERR_OUT_OF_RANGE"])
    expect(code(() => engine.read(0, buf, 0, 1, -1n, cb))).toEqual(["RangeError", "ERR_OUT_OF_RANGE"])
    expect(code(() => engine.read(0, "x" as unknown as Uint8Array, 0, 1, 0, cb))).toEqual(["TypeError", "ERR_INVALID_ARG_TYPE"])
    expect(code(() => engine.read(0, buf, 0, 1, 0, undefined as unknown as () => void))).toEqual(["TypeError", "ERR_INVALID_ARG_TYPE"])
    expect(code(() => engine.ftruncate(0, -1, cb))).toEqual(["RangeError", "ERR_OUT_OF_RANGE"])
    expect(code(() => engine.fallocate(0, 0, 0, Number.POSITIVE_INFINITY, cb))).toEqual(["RangeError", "ERR_OUT_OF_RANGE"])
    expect(code(() => engine.readv(0, [buf, "x" as unknown as Uint8Array], 0, cb))).toEqual(["TypeError", "ERR_INVALID_ARG_TYPE"])
    expect(code(() => engine.setLimit(5, 1))).toEqual(["RangeError", "ERR_OUT_OF_RANGE"])
    expect(code(() => engine.setLimit(0, -1))).toEqual(["RangeError", "ERR_OUT_OF_RANGE"])
  })

  it("detached buffers and NUL bytes in paths", async () => {
    const ab = new ArrayBuffer(8)
    const view = new Uint8Array(ab)
    structuredClone(ab, { transfer: [ab] })
    expect(code(() => engine.read(0, view, 0, 1, 0, cb))).toEqual(["TypeError", "ERR_INVALID_ARG_VALUE"])
    expect(code(() => engine.open("a\u0000b", "r", undefined, cb))).toEqual(["TypeError", "ERR_INVALID_ARG_VALUE"])
    expect(code(() => engine.open(42 as unknown as string, "r", undefined, cb))).toEqual(["TypeError", "ERR_INVALID_ARG_TYPE"])
    expect(code(() => engine.open("x", "bogus", undefined, cb))).toEqual(["TypeError", "ERR_INVALID_ARG_VALUE"])
    expect(code(() => engine.rename("a", "b\u0000", cb))).toEqual(["TypeError", "ERR_INVALID_ARG_VALUE"])
    // promise forms reject instead of throwing
    await expect(p.read(-1, buf)).rejects.toThrow(RangeError)
    await expect(p.unlink("x\u0000")).rejects.toThrow(TypeError)
  })

  it("a closed engine refuses new ops with EngineClosedError", async () => {
    const e = openEngine({ rings: 1 })
    await e.close()
    expect(() => e.raw.read(0, buf, 1, 0, cb)).toThrow(EngineClosedError)
    await expect(e.promises.stat("/")).rejects.toBeInstanceOf(EngineClosedError)
    e.raw.cancel(12345) // harmless after close
  })
})

describe("promise chains", () => {
  it("a sequential chain of awaited reads never waits for an unrelated wakeup", async () => {
    // Each read is submitted from a microtask of the previous one's delivery: every pump pass must
    // leave nothing unsubmitted behind, or the chain stalls until some other event wakes the loop.
    const file = fileWith(dir, "chain.bin", pattern(4096 * 64))
    const fd = fs.openSync(file, "r")
    const e = openEngine({ rings: 1 })
    try {
      const buf = new Uint8Array(4096)
      const t0 = Date.now()
      for (let i = 0; i < 2000; i++) expect(await e.promises.read(fd, buf, 0, 4096, (i % 64) * 4096)).toBe(4096)
      // 2,000 stalls of even 10 ms would take 20 s; unstalled it is well under a second.
      expect(Date.now() - t0).toBeLessThan(5000)
    } finally {
      fs.closeSync(fd)
      await e.close()
    }
  })
})
