import * as fs from "node:fs"
import { afterAll, describe, expect, it } from "vitest"
import { allocAligned, Counter, openEngine } from "@auraio/native"
import { errno, fileWith, pattern, raw, tmpDir } from "./helpers.js"

const dir = tmpDir("fixed")
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe("registered (fixed) buffers", () => {
  it("readFixed / writeFixed go through buffers registered on every ring", async () => {
    const e = openEngine({ rings: 2 })
    const data = pattern(64 * 1024, 5)
    const src = fileWith(dir, "src.bin", data)
    const fd = fs.openSync(src, "r+")
    try {
      const a = allocAligned(16 * 4096)
      const b = allocAligned(4096)
      expect(e.registerBuffers([a, b])).toEqual({ registered: true })
      // a view inside registered buffer 0, at an offset
      const view = a.subarray(4096, 3 * 4096)
      expect(await raw((cb) => e.raw.readFixed(fd, view, 8192, 4096, 0, cb))).toBe(8192)
      expect(view).toEqual(data.subarray(4096, 4096 + 8192))
      b.fill(0xab)
      expect(await raw((cb) => e.raw.writeFixed(fd, b, 4096, 0, 1, cb))).toBe(4096)
      expect(new Uint8Array(fs.readFileSync(src)).subarray(0, 4096).every((x) => x === 0xab)).toBe(true)
      // a buffer outside the registered range, or a bad index, is refused by the kernel
      expect(await raw((cb) => e.raw.readFixed(fd, new Uint8Array(4096), 4096, 0, 0, cb))).toBe(errno("EFAULT"))
      expect(await raw((cb) => e.raw.readFixed(fd, b, 4096, 0, 7, cb))).toBe(errno("EFAULT"))
      expect(e.stats().total.bytesRead).toBe(8192)
      expect(e.counters[Counter.Errors]! + e.counters[16 + Counter.Errors]!).toBe(2)
      e.unregisterBuffers()
      expect(await raw((cb) => e.raw.readFixed(fd, b, 4096, 0, 1, cb))).toBe(errno("EFAULT"))
    } finally {
      fs.closeSync(fd)
      await e.close()
    }
  })

  it("a refusal degrades with a reason; plain reads keep working", async () => {
    const e = openEngine({ rings: 1 })
    try {
      expect(() => e.registerBuffers([])).toThrow(RangeError)
      // more iovecs than the kernel accepts (UIO_MAXIOV = 1024 on older kernels, 16384 max here)
      const tiny = Array.from({ length: 16384 }, () => new Uint8Array(1))
      const r = e.registerBuffers(tiny)
      if (!r.registered) expect(r.reason).toMatch(/io_uring_register_buffers|RLIMIT_MEMLOCK/)
      const p = fileWith(dir, "plain.bin", pattern(10))
      const fd = fs.openSync(p, "r")
      expect(await raw((cb) => e.raw.read(fd, new Uint8Array(10), 10, 0, cb))).toBe(10)
      fs.closeSync(fd)
    } finally {
      await e.close()
    }
  })

  it("falls back to pread/pwrite when the kernel lacks the opcode", async () => {
    const e = openEngine({ rings: 1, fallbackOps: ["readFixed"] })
    const p = fileWith(dir, "fb.bin", pattern(100, 2))
    const fd = fs.openSync(p, "r")
    try {
      expect(e.supported.readFixed).toBe("threadpool")
      const buf = new Uint8Array(100)
      expect(await raw((cb) => e.raw.readFixed(fd, buf, 100, 0, 0, cb))).toBe(100)
      expect(buf).toEqual(pattern(100, 2))
    } finally {
      fs.closeSync(fd)
      await e.close()
    }
  })
})
