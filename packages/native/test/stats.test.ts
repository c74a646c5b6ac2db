import * as fs from "node:fs"
import { describe, expect, it } from "vitest"
import {
  allocAligned,
  COUNTER_STRIDE,
  Counter,
  EngineSetupError,
  LATENCY_BUCKET_BOUNDS_US,
  LATENCY_BUCKETS,
  openEngine,
  percentile,
  percentiles
} from "@auraio/native"
import { loadAddon } from "../src/internal/loader.js"
import { fileWith, pattern, tmpDir } from "./helpers.js"

describe("latency histogram", () => {
  it("bucket bounds match the addon's table", () => {
    const native = loadAddon().latencyBounds()
    expect(native.length).toBe(LATENCY_BUCKETS)
    expect(LATENCY_BUCKET_BOUNDS_US.length).toBe(LATENCY_BUCKETS)
    native.forEach((b, i) => expect(b === -1 ? Number.POSITIVE_INFINITY : b).toBe(LATENCY_BUCKET_BOUNDS_US[i]))
    // exact below 16 us, <= 12.5% wide above, ~67 s before the overflow bucket
    expect(LATENCY_BUCKET_BOUNDS_US.slice(0, 16)).toEqual(Array.from({ length: 16 }, (_, i) => i))
    for (let i = 17; i < LATENCY_BUCKETS - 1; i++) {
      const lo = LATENCY_BUCKET_BOUNDS_US[i - 1]! + 1
      const hi = LATENCY_BUCKET_BOUNDS_US[i]!
      expect((hi - lo + 1) / lo).toBeLessThanOrEqual(0.125)
    }
    expect(LATENCY_BUCKET_BOUNDS_US[LATENCY_BUCKETS - 2]).toBeGreaterThan(60e6)
  })

  it("percentiles from counts", () => {
    const counts = new Float64Array(LATENCY_BUCKETS)
    counts[3] = 50 // 3 us
    counts[10] = 40 // 10 us
    counts[40] = 9
    counts[LATENCY_BUCKETS - 1] = 1
    expect(percentile(counts, 0.5)).toBe(3)
    expect(percentile(counts, 0.9)).toBe(10)
    expect(percentile(counts, 0.99)).toBe(LATENCY_BUCKET_BOUNDS_US[40])
    expect(percentiles(counts)).toEqual({
      count: 100,
      p50: 3,
      p90: 10,
      p99: LATENCY_BUCKET_BOUNDS_US[40],
      p999: LATENCY_BUCKET_BOUNDS_US[LATENCY_BUCKETS - 2]! + 1
    })
    expect(percentile(new Float64Array(LATENCY_BUCKETS), 0.5)).toBe(0)
  })

  it("live counters and histogram move with completions", async () => {
    const dir = tmpDir("stats")
    const e = openEngine({ rings: 2 })
    const fd = fs.openSync(fileWith(dir, "s.bin", pattern(1 << 16)), "r")
    try {
      const counters = e.counters
      expect(counters.length).toBe(2 * COUNTER_STRIDE)
      const h0 = Array.from(e.latencyBuckets(0)).concat(Array.from(e.latencyBuckets(1)))
      await new Promise<void>((resolve) => {
        let left = 100
        for (let i = 0; i < 100; i++) e.raw.read(fd, new Uint8Array(512), 512, i * 512, () => --left === 0 && resolve())
      })
      const completed = counters[Counter.Completed]! + counters[COUNTER_STRIDE + Counter.Completed]!
      expect(completed).toBe(100)
      const h1 = Array.from(e.latencyBuckets(0)).concat(Array.from(e.latencyBuckets(1)))
      expect(h1.reduce((a, b) => a + b, 0) - h0.reduce((a, b) => a + b, 0)).toBe(100)
      const s = e.stats()
      expect(s.rings.length).toBe(2)
      expect(s.total.completed).toBe(100)
      expect(s.total.bytesRead).toBe(100 * 512)
      expect(s.total.latencyUs.count).toBe(100)
      expect(s.total.latencyUs.p50).toBeLessThanOrEqual(s.total.latencyUs.p99)
      expect(s.total.inFlight).toBe(0)
    } finally {
      fs.closeSync(fd)
      await e.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe("setup", () => {
  it("a forced setup failure is an EngineSetupError with a reason", () => {
    for (const code of ["ENOSYS", "EPERM", "ENOMEM"]) {
      process.env["AURAIO_FORCE_SETUP_ERROR"] = code
      try {
        openEngine()
        expect.unreachable()
      } catch (e) {
        expect(e).toBeInstanceOf(EngineSetupError)
        const err = e as EngineSetupError
        expect(err.code).toBe(code)
        expect(err.errno).toBeGreaterThan(0)
        expect(err.reason.length).toBeGreaterThan(20)
        if (code === "EPERM") expect(err.reason).toMatch(/io_uring_disabled|seccomp/)
        if (code === "ENOMEM") expect(err.reason).toMatch(/RLIMIT_MEMLOCK/)
      } finally {
        delete process.env["AURAIO_FORCE_SETUP_ERROR"]
      }
    }
  })

  it("validates options", () => {
    expect(() => openEngine({ rings: 0 })).toThrow(RangeError)
    expect(() => openEngine({ entries: 1.5 })).toThrow(RangeError)
    expect(() => openEngine({ rings: "2" as unknown as number })).toThrow(TypeError)
  })

  it("defaults: one ring per CPU, every op on io_uring on this kernel", async () => {
    const e = openEngine()
    try {
      const os = await import("node:os")
      expect(e.ringCount).toBe(os.availableParallelism())
      expect(Object.values(e.supported).every((s) => s === "io_uring")).toBe(true)
      expect(e.getLimit(0)).toBe(0)
    } finally {
      await e.close()
    }
  })
})

describe("allocAligned", () => {
  it("returns zeroed, aligned memory", () => {
    for (const align of [512, 4096, 65536]) {
      const b = allocAligned(10000, align)
      expect(b.byteLength).toBe(10000)
      expect(b.every((x) => x === 0)).toBe(true)
      b[9999] = 1
    }
    expect(() => allocAligned(-1)).toThrow(RangeError)
    expect(() => allocAligned(100, 3000)).toThrow(RangeError)
  })

  it("is aligned enough for O_DIRECT (the kernel rejects misaligned buffers with EINVAL)", async () => {
    const dir = tmpDir("odirect")
    const e = openEngine({ rings: 1 })
    const p = fileWith(dir, "d.bin", pattern(8192))
    let fd: number
    try {
      fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_DIRECT)
    } catch (err) {
      console.log(`skipped: this filesystem does not support O_DIRECT (${(err as Error).message})`)
      await e.close()
      return
    }
    try {
      const buf = allocAligned(4096)
      const n = await new Promise<number>((resolve) => e.raw.read(fd, buf, 4096, 4096, resolve))
      expect(n).toBe(4096)
      expect(buf).toEqual(pattern(8192).subarray(4096))
      const odd = allocAligned(8192).subarray(1, 4097)
      expect(await new Promise<number>((resolve) => e.raw.read(fd, odd, 4096, 0, resolve))).toBe(-22)
    } finally {
      fs.closeSync(fd)
      await e.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
