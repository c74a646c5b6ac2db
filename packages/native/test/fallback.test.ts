import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { AT_FDCWD, Counter, openEngine } from "@auraio/native"
import type { OpName } from "@auraio/native"
import { errno, fileWith, pattern, raw, tmpDir } from "./helpers.js"

// Every op forced onto the thread pool, as on a kernel that lacks the opcodes: same results, same errors.
const all: Array<OpName> = ["read", "write", "readv", "writev", "fsync", "openat", "close", "statx", "fallocate", "ftruncate", "syncFileRange", "unlinkat", "renameat", "mkdirat", "symlinkat", "linkat", "readFixed", "writeFixed"]
const dir = tmpDir("fallback")
const engine = openEngine({ rings: 1, fallbackOps: all })
afterAll(async () => {
  await engine.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe("thread-pool fallback for ops the kernel lacks", () => {
  it("reports which ops fall back", () => {
    expect(Object.values(engine.supported).every((s) => s === "threadpool")).toBe(true)
  })

  it("runs every op as the plain syscall and completes through the same path", async () => {
    const data = pattern(8192)
    const src = fileWith(dir, "src.bin", data)
    const fd = await raw((cb) => engine.raw.openat(AT_FDCWD, src, 2, 0, cb))
    expect(fd).toBeGreaterThanOrEqual(0)
    const buf = new Uint8Array(4096)
    expect(await raw((cb) => engine.raw.read(fd, buf, 4096, 4096, cb))).toBe(4096)
    expect(buf).toEqual(data.subarray(4096))
    expect(await raw((cb) => engine.raw.read(fd, buf, 10, -1, cb))).toBe(10)
    expect(await raw((cb) => engine.raw.write(fd, buf, 100, 0, cb))).toBe(100)
    expect(await raw((cb) => engine.raw.writev(fd, [buf.subarray(0, 5), buf.subarray(5, 9)], 0, cb))).toBe(9)
    const [a, b] = [new Uint8Array(4), new Uint8Array(4)]
    expect(await raw((cb) => engine.raw.readv(fd, [a, b], 0, cb))).toBe(8)
    expect(await raw((cb) => engine.raw.fsync(fd, true, cb))).toBe(0)
    expect(await raw((cb) => engine.raw.fallocate(fd, 0, 0, 20000, cb))).toBe(0)
    expect(await raw((cb) => engine.raw.ftruncate(fd, 50, cb))).toBe(0)
    expect(await raw((cb) => engine.raw.syncFileRange(fd, 0, 50, 2, cb))).toBe(0)
    const st = new Uint8Array(256)
    expect(await raw((cb) => engine.raw.statx(fd, "", 0x1000, 0x7ff, st, cb))).toBe(0)
    expect(new DataView(st.buffer).getBigUint64(40, true)).toBe(50n)
    expect(await raw((cb) => engine.raw.close(fd, cb))).toBe(0)
    expect(await raw((cb) => engine.raw.close(fd, cb))).toBe(errno("EBADF"))

    const d = path.join(dir, "d")
    expect(await raw((cb) => engine.raw.mkdirat(AT_FDCWD, d, 0o755, cb))).toBe(0)
    expect(await raw((cb) => engine.raw.renameat(AT_FDCWD, src, AT_FDCWD, path.join(d, "x"), 0, cb))).toBe(0)
    expect(await raw((cb) => engine.raw.symlinkat("x", AT_FDCWD, path.join(d, "s"), cb))).toBe(0)
    expect(await raw((cb) => engine.raw.linkat(AT_FDCWD, path.join(d, "x"), AT_FDCWD, path.join(d, "h"), 0, cb))).toBe(0)
    for (const f of ["x", "s", "h"]) expect(await raw((cb) => engine.raw.unlinkat(AT_FDCWD, path.join(d, f), 0, cb))).toBe(0)
    expect(await raw((cb) => engine.raw.unlinkat(AT_FDCWD, d, 0x200, cb))).toBe(0)
    expect(await raw((cb) => engine.raw.openat(AT_FDCWD, path.join(d, "gone"), 0, 0, cb))).toBe(errno("ENOENT"))
    expect(engine.counters[Counter.Fallbacks]).toBeGreaterThanOrEqual(20)
    expect(engine.counters[Counter.InFlight]).toBe(0)
  })

  it("a linked chain needs the kernel: it fails with EOPNOTSUPP instead of running unordered", async () => {
    const fd = fs.openSync(path.join(dir, "chain.bin"), "w")
    try {
      expect(await raw((cb) => engine.raw.writeFsync(fd, new Uint8Array(4), 4, 0, false, cb))).toBe(errno("EOPNOTSUPP"))
    } finally {
      fs.closeSync(fd)
    }
  })

  it("only the named ops fall back", async () => {
    const e = openEngine({ rings: 1, fallbackOps: ["ftruncate"] })
    try {
      expect(e.supported.ftruncate).toBe("threadpool")
      expect(e.supported.read).toBe("io_uring")
      const fd = fs.openSync(path.join(dir, "one.bin"), "w")
      expect(await raw((cb) => e.raw.ftruncate(fd, 123, cb))).toBe(0)
      expect(fs.fstatSync(fd).size).toBe(123)
      fs.closeSync(fd)
      expect(e.counters[Counter.Fallbacks]).toBe(1)
    } finally {
      await e.close()
    }
  })
})
