import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { AT_FDCWD, Counter, openEngine } from "@auraio/native"
import { errno, fileWith, pattern, raw, tmpDir } from "./helpers.js"

const dir = tmpDir("cancel")
const engine = openEngine({ rings: 1 })
afterAll(async () => {
  await engine.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const ECANCELED = errno("ECANCELED")

// A FIFO opened read-write never reaches EOF and has no data: a read on it waits until cancelled or fed.
const fifo = (name: string): number => {
  const p = path.join(dir, name)
  execFileSync("mkfifo", [p])
  return fs.openSync(p, fs.constants.O_RDWR)
}

const openFds = (): number => fs.readdirSync("/proc/self/fd").length

describe("cancel", () => {
  it("a read waiting on a FIFO is cancelled mid-flight, and keeps its buffer until its own completion", async () => {
    const fd = fifo("f1")
    try {
      const buf = new Uint8Array(64)
      let calls = 0
      const done = new Promise<number>((resolve) => {
        const id = engine.raw.read(fd, buf, 64, -1, (r) => {
          calls++
          resolve(r)
        })
        setTimeout(() => engine.raw.cancel(id), 20)
      })
      expect(await done).toBe(ECANCELED)
      await new Promise((r) => setTimeout(r, 20))
      expect(calls).toBe(1)
      expect(engine.counters[Counter.Cancels]).toBeGreaterThanOrEqual(1)
      expect(engine.counters[Counter.InFlight]).toBe(0)
    } finally {
      fs.closeSync(fd)
    }
  })

  it("cancel before the flush: the op either ran or was cancelled, and its callback fires once", async () => {
    const p = fileWith(dir, "before.bin", pattern(4096))
    const fd = fs.openSync(p, "r")
    try {
      const results: Array<number> = []
      await new Promise<void>((resolve) => {
        const id = engine.raw.read(fd, new Uint8Array(4096), 4096, 0, (r) => {
          results.push(r)
          setTimeout(resolve, 10)
        })
        engine.raw.cancel(id) // still in the SQ: the cancel goes out in the same enter, after the read
        engine.raw.cancel(id) // idempotent
      })
      expect(results.length).toBe(1)
      expect([4096, ECANCELED]).toContain(results[0])
    } finally {
      fs.closeSync(fd)
    }
  })

  it("cancel after completion is a no-op", async () => {
    const p = fileWith(dir, "after.bin", pattern(100))
    const fd = fs.openSync(p, "r")
    try {
      let id = -1
      let calls = 0
      const r = await raw((cb) => {
        id = engine.raw.read(fd, new Uint8Array(100), 100, 0, (x) => {
          calls++
          cb(x)
        })
        return id
      })
      expect(r).toBe(100)
      engine.raw.cancel(id)
      engine.raw.cancel(id)
      await new Promise((res) => setTimeout(res, 10))
      expect(calls).toBe(1)
    } finally {
      fs.closeSync(fd)
    }
  })

  it("a stale id never cancels the op that reuses its slot", async () => {
    const p = fileWith(dir, "stale.bin", pattern(10))
    const file = fs.openSync(p, "r")
    const fd = fifo("f2")
    try {
      let first = -1
      await raw((cb) => (first = engine.raw.read(file, new Uint8Array(10), 10, 0, cb)))
      await new Promise((r) => setImmediate(r)) // slots are recycled once their delivery batch returned
      const buf = new Uint8Array(5)
      const second = new Promise<number>((resolve) => {
        const id = engine.raw.read(fd, buf, 5, -1, resolve)
        expect(id & 0xfffff).toBe(first & 0xfffff) // same slot...
        expect(id).not.toBe(first) // ...another generation
        engine.raw.cancel(first) // stale: must not touch the FIFO read
        setTimeout(() => fs.writeSync(fd, "hello"), 30)
      })
      expect(await second).toBe(5)
      expect(new TextDecoder().decode(buf)).toBe("hello")
      engine.raw.cancel(-1)
      engine.raw.cancel(2 ** 60)
      engine.raw.cancel(Number.NaN)
    } finally {
      fs.closeSync(file)
      fs.closeSync(fd)
    }
  })

  it("an openat cancelled after it produced an fd closes that fd and reports ECANCELED", async () => {
    const p = fileWith(dir, "open.bin", pattern(10))
    const before = openFds()
    for (let i = 0; i < 20; i++) {
      const r = await new Promise<number>((resolve) => {
        const id = engine.raw.openat(AT_FDCWD, p, 0, 0, resolve)
        engine.raw.cancel(id)
      })
      expect(r).toBe(ECANCELED)
    }
    expect(openFds()).toBe(before)
  })
})

describe("limit queue", () => {
  it("limit 1 serializes ops in a FIFO, counts them as queued, and all complete in order", async () => {
    const e = openEngine({ rings: 1 })
    const p = fileWith(dir, "limit.bin", pattern(65536))
    const fd = fs.openSync(p, "r")
    try {
      e.setLimit(0, 1)
      expect(e.getLimit(0)).toBe(1)
      const order: Array<number> = []
      let maxInFlight = 0
      const all = new Promise<void>((resolve) => {
        for (let i = 0; i < 20; i++) {
          e.raw.read(fd, new Uint8Array(512), 512, i * 512, (r) => {
            expect(r).toBe(512)
            // the next queued op is already out while this callback runs
            maxInFlight = Math.max(maxInFlight, e.counters[Counter.InFlight]!)
            order.push(i)
            if (order.length === 20) resolve()
          })
        }
      })
      expect(e.counters[Counter.Queued]).toBe(19)
      expect(e.counters[Counter.InFlight]).toBe(1)
      await all
      expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i))
      expect(maxInFlight).toBe(1)
      expect(e.counters[Counter.Queued]).toBe(0)
      expect(e.counters[Counter.Completed]).toBe(20)
    } finally {
      fs.closeSync(fd)
      await e.close()
    }
  })

  it("a queued op is cancelled without reaching the kernel; raising the limit releases the rest", async () => {
    const e = openEngine({ rings: 1 })
    const f = fifo("f3")
    const p = fileWith(dir, "limit2.bin", pattern(4096))
    const file = fs.openSync(p, "r")
    try {
      e.setLimit(0, 1)
      const blocker = new Promise<number>((resolve) => e.raw.read(f, new Uint8Array(8), 8, -1, resolve))
      const results: Array<number> = []
      const ids: Array<number> = []
      const rest = new Promise<void>((resolve) => {
        for (let i = 0; i < 3; i++)
          ids.push(
            e.raw.read(file, new Uint8Array(100), 100, 0, (r) => {
              results[i] = r
              if (results.filter((x) => x !== undefined).length === 3) resolve()
            })
          )
      })
      expect(e.counters[Counter.Queued]).toBe(3)
      e.raw.cancel(ids[1]!)
      expect(e.counters[Counter.Queued]).toBe(2)
      e.setLimit(0, 0)
      await rest
      expect(results).toEqual([100, ECANCELED, 100])
      fs.writeSync(f, "x")
      expect(await blocker).toBe(1)
    } finally {
      fs.closeSync(f)
      fs.closeSync(file)
      await e.close()
    }
  })

  it("spills to the lighter ring when the CPU's ring is at its limit", async () => {
    const e = openEngine({ rings: 2 })
    const f = fifo("f4")
    try {
      e.setLimit(0, 1)
      e.setLimit(1, 1)
      // Two blocking reads fill both rings; whichever ring the CPU picks first, the second op spills.
      const a = new Promise<number>((resolve) => e.raw.read(f, new Uint8Array(1), 1, -1, resolve))
      const b = new Promise<number>((resolve) => e.raw.read(f, new Uint8Array(1), 1, -1, resolve))
      const inflight = e.counters[Counter.InFlight]! + e.counters[16 + Counter.InFlight]!
      expect(inflight).toBe(2)
      expect(e.counters[Counter.Spills]! + e.counters[16 + Counter.Spills]!).toBeGreaterThanOrEqual(1)
      fs.writeSync(f, "ab")
      expect(await a).toBe(1)
      expect(await b).toBe(1)
    } finally {
      fs.closeSync(f)
      await e.close()
    }
  })
})

describe("close", () => {
  it("close waits for in-flight ops, cancels them after the bound, then refuses new ops", async () => {
    const e = openEngine({ rings: 1 })
    const f = fifo("f5")
    try {
      const results: Array<number> = []
      e.raw.read(f, new Uint8Array(4), 4, -1, (r) => results.push(r))
      e.raw.read(f, new Uint8Array(4), 4, -1, (r) => results.push(r))
      const t0 = Date.now()
      await e.close(50)
      expect(Date.now() - t0).toBeGreaterThanOrEqual(40)
      expect(results).toEqual([ECANCELED, ECANCELED])
      expect(() => e.raw.read(f, new Uint8Array(1), 1, 0, () => {})).toThrow(/closed/)
      expect(e.closed).toBe(true)
      await e.close() // idempotent
    } finally {
      fs.closeSync(f)
    }
  })

  it("close drains ops that finish on their own", async () => {
    const e = openEngine({ rings: 1 })
    const p = fileWith(dir, "drain.bin", pattern(4096))
    const fd = fs.openSync(p, "r")
    try {
      const results: Array<number> = []
      for (let i = 0; i < 50; i++) e.raw.read(fd, new Uint8Array(4096), 4096, 0, (r) => results.push(r))
      await e.close(5000)
      expect(results.length).toBe(50)
      expect(results.every((r) => r === 4096)).toBe(true)
    } finally {
      fs.closeSync(fd)
    }
  })
})
