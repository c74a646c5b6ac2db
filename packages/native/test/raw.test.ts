import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { AT_FDCWD, Counter, openEngine } from "@auraio/native"
import { errno, fileWith, pattern, raw, sum, tmpDir } from "./helpers.js"

const dir = tmpDir("raw")
const engine = openEngine()
afterAll(async () => {
  await engine.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe("raw read/write", () => {
  it("reads at an offset and at the current position", async () => {
    const data = pattern(8192)
    const p = fileWith(dir, "r.bin", data)
    const fd = fs.openSync(p, "r")
    try {
      const buf = new Uint8Array(4096)
      expect(await raw((cb) => engine.raw.read(fd, buf, 4096, 4096, cb))).toBe(4096)
      expect(buf).toEqual(data.subarray(4096))
      // -1: the file cursor, which advances
      const a = new Uint8Array(100)
      expect(await raw((cb) => engine.raw.read(fd, a, 100, -1, cb))).toBe(100)
      expect(await raw((cb) => engine.raw.read(fd, a, 100, -1, cb))).toBe(100)
      expect(a).toEqual(data.subarray(100, 200))
      // short read at EOF, then 0
      expect(await raw((cb) => engine.raw.read(fd, buf, 4096, 8000, cb))).toBe(192)
      expect(await raw((cb) => engine.raw.read(fd, buf, 4096, 9000, cb))).toBe(0)
    } finally {
      fs.closeSync(fd)
    }
  })

  it("writes and reports errors as -errno", async () => {
    const p = path.join(dir, "w.bin")
    const fd = fs.openSync(p, "w+")
    try {
      const data = pattern(5000, 7)
      expect(await raw((cb) => engine.raw.write(fd, data, 5000, 0, cb))).toBe(5000)
      expect(new Uint8Array(fs.readFileSync(p))).toEqual(data)
      expect(await raw((cb) => engine.raw.write(fd, data, 10, -1, cb))).toBe(10)
    } finally {
      fs.closeSync(fd)
    }
    const ro = fs.openSync(p, "r")
    try {
      expect(await raw((cb) => engine.raw.write(ro, new Uint8Array(1), 1, 0, cb))).toBe(errno("EBADF"))
    } finally {
      fs.closeSync(ro)
    }
    expect(await raw((cb) => engine.raw.read(987654, new Uint8Array(1), 1, 0, cb))).toBe(errno("EBADF"))
    const d = fs.openSync(dir, "r")
    try {
      expect(await raw((cb) => engine.raw.read(d, new Uint8Array(1), 1, 0, cb))).toBe(errno("EISDIR"))
    } finally {
      fs.closeSync(d)
    }
  })

  it("readv/writev scatter and gather", async () => {
    const p = path.join(dir, "v.bin")
    const fd = fs.openSync(p, "w+")
    try {
      const a = pattern(3000, 1)
      const b = pattern(5000, 2)
      expect(await raw((cb) => engine.raw.writev(fd, [a, b], 0, cb))).toBe(8000)
      const x = new Uint8Array(3000)
      const y = new Uint8Array(5000)
      expect(await raw((cb) => engine.raw.readv(fd, [x, y], 0, cb))).toBe(8000)
      expect(x).toEqual(a)
      expect(y).toEqual(b)
      expect(await raw((cb) => engine.raw.readv(99999, [x], 0, cb))).toBe(errno("EBADF"))
    } finally {
      fs.closeSync(fd)
    }
  })

  it("writeFsync links a write and an fsync under one id", async () => {
    const p = path.join(dir, "wf.bin")
    const fd = fs.openSync(p, "w")
    try {
      const data = pattern(4096)
      expect(await raw((cb) => engine.raw.writeFsync(fd, data, 4096, 0, false, cb))).toBe(4096)
      expect(await raw((cb) => engine.raw.writeFsync(fd, data, 4096, 4096, true, cb))).toBe(4096)
      expect(fs.statSync(p).size).toBe(8192)
    } finally {
      fs.closeSync(fd)
    }
    const ro = fs.openSync(p, "r")
    try {
      // the write fails: its error wins over the fsync's -ECANCELED
      expect(await raw((cb) => engine.raw.writeFsync(ro, new Uint8Array(8), 8, 0, false, cb))).toBe(errno("EBADF"))
    } finally {
      fs.closeSync(ro)
    }
  })

  it("ids are safe non-negative integers and every callback fires exactly once", async () => {
    const p = fileWith(dir, "many.bin", pattern(65536))
    const fd = fs.openSync(p, "r")
    try {
      const seen = new Map<number, number>()
      const ids: Array<number> = []
      await new Promise<void>((resolve) => {
        let left = 500
        for (let i = 0; i < 500; i++) {
          const buf = new Uint8Array(128)
          const id = engine.raw.read(fd, buf, 128, (i * 128) % 65536, (r) => {
            seen.set(i, (seen.get(i) ?? 0) + 1)
            expect(r).toBe(128)
            if (--left === 0) setImmediate(resolve)
          })
          ids.push(id)
        }
      })
      expect(seen.size).toBe(500)
      expect([...seen.values()].every((n) => n === 1)).toBe(true)
      expect(ids.every((id) => Number.isSafeInteger(id) && id >= 0)).toBe(true)
      expect(new Set(ids).size).toBe(500)
    } finally {
      fs.closeSync(fd)
    }
  })
})

describe("batching", () => {
  it("10,000 reads at depth 32 need at most 0.05 enters per op", async () => {
    const p = fileWith(dir, "batch.bin", pattern(1 << 20))
    const fd = fs.openSync(p, "r")
    const e = openEngine({ rings: 1 })
    try {
      const total = 10_000
      const buf = new Uint8Array(32 * 4096)
      let submitted = 0
      let completed = 0
      await new Promise<void>((resolve) => {
        const one = (slot: number) => {
          const view = buf.subarray(slot * 4096, (slot + 1) * 4096)
          submitted++
          e.raw.read(fd, view, 4096, ((submitted * 7919) % 256) * 4096, (r) => {
            expect(r).toBe(4096)
            completed++
            if (submitted < total) one(slot)
            else if (completed === total) resolve()
          })
        }
        for (let s = 0; s < 32; s++) one(s)
      })
      const enters = e.counters[Counter.Enters]!
      expect(e.counters[Counter.Completed]).toBe(total)
      expect(enters).toBeGreaterThan(0)
      expect(enters / total).toBeLessThanOrEqual(0.05)
    } finally {
      await e.close()
      fs.closeSync(fd)
    }
  })

  it("sqpoll: the kernel thread picks SQEs up, enters only to wake it", async () => {
    const p = fileWith(dir, "sq.bin", pattern(1 << 20))
    const fd = fs.openSync(p, "r")
    let e
    try {
      e = openEngine({ rings: 1, sqpoll: true })
    } catch (err) {
      console.log(`skipped: SQPOLL is not available here (${(err as Error).message})`)
      fs.closeSync(fd)
      return
    }
    try {
      const total = 2000
      let done = 0
      await new Promise<void>((resolve) => {
        const go = (i: number): void => {
          e.raw.read(fd, new Uint8Array(4096), 4096, (i % 256) * 4096, (r) => {
            expect(r).toBe(4096)
            if (++done === total) resolve()
            else if (i + 32 < total) go(i + 32)
          })
        }
        for (let i = 0; i < 32; i++) go(i)
      })
      expect(e.counters[Counter.Completed]).toBe(total)
      expect(e.counters[Counter.Enters]! / total).toBeLessThan(0.05)
    } finally {
      await e.close()
      fs.closeSync(fd)
    }
  })

  it("readBatch: one call, N reads, cb(index, result)", async () => {
    const data = pattern(64 * 1024, 3)
    const p = fileWith(dir, "rb.bin", data)
    const fd = fs.openSync(p, "r")
    try {
      const n = 16
      const buf = new Uint8Array(n * 1024)
      const offs = new Float64Array(n)
      const lens = new Float64Array(n)
      const poss = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        offs[i] = i * 1024
        lens[i] = 1024
        poss[i] = (n - 1 - i) * 4096
      }
      const results = new Array<number>(n).fill(-999)
      await new Promise<void>((resolve) => {
        let left = n
        engine.raw.readBatch(fd, buf, offs, lens, poss, n, (i, r) => {
          results[i] = r
          if (--left === 0) resolve()
        })
      })
      expect(results.every((r) => r === 1024)).toBe(true)
      for (let i = 0; i < n; i++) {
        const at = (n - 1 - i) * 4096
        expect(buf.subarray(i * 1024, (i + 1) * 1024)).toEqual(data.subarray(at, at + 1024))
      }
    } finally {
      fs.closeSync(fd)
    }
  })
})

describe("files and directories through raw", () => {
  it("openat / close / statx / unlinkat / mkdirat / renameat / symlinkat / linkat", async () => {
    const p = path.join(dir, "new.txt")
    const O_CREAT = 0o100
    const O_EXCL = 0o200
    const O_RDWR = 2
    const fd = await raw((cb) => engine.raw.openat(AT_FDCWD, p, O_CREAT | O_EXCL | O_RDWR, 0o644, cb))
    expect(fd).toBeGreaterThanOrEqual(0)
    expect(await raw((cb) => engine.raw.openat(AT_FDCWD, p, O_CREAT | O_EXCL | O_RDWR, 0o644, cb))).toBe(errno("EEXIST"))
    expect(await raw((cb) => engine.raw.close(fd, cb))).toBe(0)
    expect(await raw((cb) => engine.raw.close(fd, cb))).toBe(errno("EBADF"))
    expect(await raw((cb) => engine.raw.openat(AT_FDCWD, path.join(dir, "nope", "x"), 0, 0, cb))).toBe(errno("ENOENT"))
    expect(await raw((cb) => engine.raw.openat(AT_FDCWD, path.join(p, "x"), 0, 0, cb))).toBe(errno("ENOTDIR"))

    const out = new Uint8Array(256)
    expect(await raw((cb) => engine.raw.statx(AT_FDCWD, p, 0, 0x7ff, out, cb))).toBe(0)
    expect(await raw((cb) => engine.raw.statx(AT_FDCWD, path.join(dir, "missing"), 0, 0x7ff, out, cb))).toBe(errno("ENOENT"))
    expect(await raw((cb) => engine.raw.statx(AT_FDCWD, path.join(p, "x"), 0, 0x7ff, out, cb))).toBe(errno("ENOTDIR"))
    expect(await raw((cb) => engine.raw.statx(424242, "", 0x1000, 0x7ff, out, cb))).toBe(errno("EBADF"))

    const d = path.join(dir, "sub")
    expect(await raw((cb) => engine.raw.mkdirat(AT_FDCWD, d, 0o755, cb))).toBe(0)
    expect(await raw((cb) => engine.raw.mkdirat(AT_FDCWD, d, 0o755, cb))).toBe(errno("EEXIST"))
    expect(fs.statSync(d).isDirectory()).toBe(true)

    const q = path.join(d, "moved.txt")
    expect(await raw((cb) => engine.raw.renameat(AT_FDCWD, p, AT_FDCWD, q, 0, cb))).toBe(0)
    expect(fs.existsSync(q)).toBe(true)
    expect(await raw((cb) => engine.raw.renameat(AT_FDCWD, p, AT_FDCWD, q, 0, cb))).toBe(errno("ENOENT"))

    const s = path.join(dir, "sym")
    expect(await raw((cb) => engine.raw.symlinkat(q, AT_FDCWD, s, cb))).toBe(0)
    expect(fs.readlinkSync(s)).toBe(q)
    expect(await raw((cb) => engine.raw.symlinkat(q, AT_FDCWD, s, cb))).toBe(errno("EEXIST"))
    const l = path.join(dir, "hard")
    expect(await raw((cb) => engine.raw.linkat(AT_FDCWD, q, AT_FDCWD, l, 0, cb))).toBe(0)
    expect(fs.statSync(q).nlink).toBe(2)
    expect(await raw((cb) => engine.raw.linkat(AT_FDCWD, path.join(dir, "missing"), AT_FDCWD, l + "2", 0, cb))).toBe(errno("ENOENT"))

    expect(await raw((cb) => engine.raw.unlinkat(AT_FDCWD, d, 0, cb))).toBe(errno("EISDIR"))
    expect(await raw((cb) => engine.raw.unlinkat(AT_FDCWD, d, 0x200, cb))).toBe(errno("ENOTEMPTY"))
    expect(await raw((cb) => engine.raw.unlinkat(AT_FDCWD, q, 0, cb))).toBe(0)
    expect(await raw((cb) => engine.raw.unlinkat(AT_FDCWD, q, 0, cb))).toBe(errno("ENOENT"))
  })

  it("fsync / fallocate / ftruncate / syncFileRange", async () => {
    const p = path.join(dir, "sizes.bin")
    const fd = fs.openSync(p, "w+")
    try {
      expect(await raw((cb) => engine.raw.fallocate(fd, 0, 0, 65536, cb))).toBe(0)
      expect(fs.fstatSync(fd).size).toBe(65536)
      expect(await raw((cb) => engine.raw.ftruncate(fd, 1000, cb))).toBe(0)
      expect(fs.fstatSync(fd).size).toBe(1000)
      expect(await raw((cb) => engine.raw.syncFileRange(fd, 0, 1000, 2, cb))).toBe(0)
      expect(await raw((cb) => engine.raw.fsync(fd, false, cb))).toBe(0)
      expect(await raw((cb) => engine.raw.fsync(fd, true, cb))).toBe(0)
      expect(await raw((cb) => engine.raw.fsync(424242, false, cb))).toBe(errno("EBADF"))
      expect(await raw((cb) => engine.raw.ftruncate(424242, 0, cb))).toBe(errno("EBADF"))
      expect(await raw((cb) => engine.raw.fallocate(424242, 0, 0, 1, cb))).toBe(errno("EBADF"))
      expect(await raw((cb) => engine.raw.syncFileRange(424242, 0, 1, 2, cb))).toBe(errno("EBADF"))
      expect(await raw((cb) => engine.raw.fallocate(fd, 0, 0, 0, cb))).toBe(errno("EINVAL"))
    } finally {
      fs.closeSync(fd)
    }
    const ro = fs.openSync(p, "r")
    try {
      expect(await raw((cb) => engine.raw.ftruncate(ro, 0, cb))).toBe(errno("EINVAL"))
    } finally {
      fs.closeSync(ro)
    }
  })

  it("counts bytes and errors", () => {
    expect(sum(engine, Counter.BytesRead)).toBeGreaterThan(0)
    expect(sum(engine, Counter.BytesWritten)).toBeGreaterThan(0)
    expect(sum(engine, Counter.Errors)).toBeGreaterThan(0)
  })
})
