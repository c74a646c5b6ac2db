import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { Counter, type Engine, openEngine } from "@auraio/native"
import { errno, fileWith, pattern, raw, sum, tmpDir } from "./helpers.js"

const dir = tmpDir("readmany")
const engine = openEngine({ rings: 2 })
afterAll(async () => {
  await engine.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const data = pattern(1 << 20, 3)
const file = fileWith(dir, "data.bin", data)

/** Columns for `raw.readMany`: every request reads `len` bytes into `buffers[base]` at `off`. */
const job = (reqs: ReadonlyArray<{ fd: number; pos: number; len: number; base?: number; off: number }>) => {
  const n = reqs.length
  const cols = {
    fds: new Int32Array(n),
    positions: new Float64Array(n),
    lengths: new Int32Array(n),
    bases: new Int32Array(n),
    offsets: new Float64Array(n),
    results: new Int32Array(n).fill(0x7fffffff)
  }
  reqs.forEach((r, i) => {
    cols.fds[i] = r.fd
    cols.positions[i] = r.pos
    cols.lengths[i] = r.len
    cols.bases[i] = r.base ?? 0
    cols.offsets[i] = r.off
  })
  return cols
}

type Cols = ReturnType<typeof job>

const run = (
  e: Engine,
  c: Cols,
  buffers: ReadonlyArray<Uint8Array>,
  window: number,
  failFast: boolean,
  onId?: (id: number) => void
) =>
  raw((cb) => {
    const id = e.raw.readMany(c.fds, c.positions, c.lengths, c.bases, c.offsets, buffers, c.fds.length, window, failFast, c.results, cb)
    onId?.(id)
    return id
  })

const inFlight = (e: Engine) => sum(e, Counter.InFlight)
const completed = (e: Engine) => sum(e, Counter.Completed)

/** Waits for the event loop to deliver what the engine is doing (no clock: turns of the loop). */
const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setImmediate(r))
}

describe("raw.readMany", () => {
  it("reads every request into its buffer at its offset, across ArrayBuffers, with one callback", async () => {
    const fd = fs.openSync(file, "r")
    try {
      const a = new Uint8Array(300 * 1000)
      const b = new Uint8Array(64 * 1024).subarray(4096) // a view: offsets are ArrayBuffer-relative
      const reqs = Array.from({ length: 300 }, (_, i) => ({
        fd,
        pos: (i * 7919) % (data.length - 1000),
        len: 1000,
        base: i % 7 === 0 ? 1 : 0,
        off: i % 7 === 0 ? 4096 + (i / 7) * 100 : i * 1000
      }))
      // The ones in b are 100 bytes long, side by side.
      reqs.forEach((r, i) => {
        if (i % 7 === 0) r.len = 100
      })
      const c = job(reqs)
      const before = completed(engine)
      expect(await run(engine, c, [a, b], 16, true)).toBe(-1)
      expect(completed(engine) - before).toBe(300) // the job itself is no ring op
      reqs.forEach((r, i) => {
        expect(c.results[i]).toBe(r.len)
        const got = i % 7 === 0 ? new Uint8Array(b.buffer, r.off, r.len) : a.subarray(r.off, r.off + r.len)
        expect(got).toEqual(data.subarray(r.pos, r.pos + r.len))
      })
      // A short read at the end and an empty one past it.
      const t = job([{ fd, pos: data.length - 10, len: 100, off: 0 }, { fd, pos: data.length, len: 100, off: 100 }])
      expect(await run(engine, t, [a], 4, true)).toBe(-1)
      expect(Array.from(t.results)).toEqual([10, 0])
      expect(engine.outstanding).toBe(0)
    } finally {
      fs.closeSync(fd)
    }
  })

  it("keeps at most `window` reads in flight and refills without JavaScript (reads parked on a FIFO)", async () => {
    const p = path.join(dir, "fifo-window")
    execFileSync("mkfifo", [p])
    const fd = fs.openSync(p, "r+")
    try {
      const n = 10
      const buf = new Uint8Array(n * 64)
      const c = job(Array.from({ length: n }, (_, i) => ({ fd, pos: 0, len: 64, off: i * 64 })))
      const base = completed(engine)
      let code: number | undefined
      void run(engine, c, [buf], 3, true).then((r) => (code = r))
      for (let done = 0; done < n; done++) {
        await until(() => inFlight(engine) === Math.min(3, n - done))
        expect(inFlight(engine)).toBe(Math.min(3, n - done))
        fs.writeSync(fd, new Uint8Array(64).fill(done + 1))
        await until(() => completed(engine) >= base + done + 1)
      }
      await until(() => code !== undefined)
      expect(code).toBe(-1)
      expect(Array.from(c.results)).toEqual(Array(n).fill(64))
      const firsts = Array.from({ length: n }, (_, i) => buf[i * 64]!).sort((x, y) => x - y)
      expect(firsts).toEqual(Array.from({ length: n }, (_, i) => i + 1))
    } finally {
      fs.closeSync(fd)
    }
  })

  it("fail-fast stops at the first error and cancels the rest; without it every outcome is kept", async () => {
    const fd = fs.openSync(file, "r")
    const dfd = fs.openSync(dir, "r")
    try {
      const reqs = Array.from({ length: 100 }, (_, i) => ({ fd: i === 40 ? dfd : fd, pos: i * 100, len: 100, off: i * 100 }))
      const buf = new Uint8Array(100 * 100)
      const ff = job(reqs)
      expect(await run(engine, ff, [buf], 4, true)).toBe(40)
      expect(ff.results[40]).toBe(errno("EISDIR"))
      // Every result is written: read, or cancelled (in flight, or never submitted). (A read of a
      // directory may go to an io-wq worker, so later page-cache reads can finish before it fails.)
      expect(Array.from(ff.results).every((r, i) => r === 100 || i === 40 || r === errno("ECANCELED"))).toBe(true)
      const all = job(reqs)
      expect(await run(engine, all, [buf], 4, false)).toBe(-1)
      expect(all.results[40]).toBe(errno("EISDIR"))
      expect(Array.from(all.results).filter((r) => r === 100).length).toBe(99)
      expect(engine.outstanding).toBe(0)
    } finally {
      fs.closeSync(fd)
      fs.closeSync(dfd)
    }
  })

  it("cancel stops the job: the callback fires once, after every read in flight has completed", async () => {
    const p = path.join(dir, "fifo-cancel")
    execFileSync("mkfifo", [p])
    const fd = fs.openSync(p, "r+")
    try {
      const c = job(Array.from({ length: 8 }, (_, i) => ({ fd, pos: 0, len: 64, off: i * 64 })))
      let id = -1
      const before = sum(engine, Counter.Submitted)
      const done = run(engine, c, [new Uint8Array(8 * 64)], 5, true, (x) => (id = x))
      await until(() => inFlight(engine) === 5)
      engine.raw.cancel(id)
      engine.raw.cancel(id) // idempotent
      expect(await done).toBe(-2)
      expect(inFlight(engine)).toBe(0)
      expect(sum(engine, Counter.Submitted) - before).toBe(5) // the window only
      expect(Array.from(c.results)).toEqual(Array(8).fill(errno("ECANCELED")))
      engine.raw.cancel(id) // after the end: nothing happens
      expect(engine.outstanding).toBe(0)
    } finally {
      fs.closeSync(fd)
    }
  })

  it("members waiting for the ring's limit are cancelled too (fail-fast and cancel)", async () => {
    const e = openEngine({ rings: 1 })
    e.setLimit(0, 3)
    const p = path.join(dir, "fifo-limit")
    execFileSync("mkfifo", [p])
    const fd = fs.openSync(p, "r+")
    try {
      const buf = new Uint8Array(6 * 64)
      // 0 and 1 park on the FIFO, 2 fails at once (bad fd), 3..5 wait in the ring's FIFO behind the limit.
      const ff = job([0, 1, 2, 3, 4, 5].map((i) => ({ fd: i === 2 ? 1 << 30 : fd, pos: 0, len: 64, off: i * 64 })))
      expect(await run(e, ff, [buf], 6, true)).toBe(2)
      expect(ff.results[2]).toBe(errno("EBADF"))
      expect([0, 1, 3, 4, 5].map((i) => ff.results[i])).toEqual(Array(5).fill(errno("ECANCELED")))
      expect(inFlight(e)).toBe(0)
      expect(sum(e, Counter.Queued)).toBe(0)
      const c = job([0, 1, 2, 3, 4, 5].map((i) => ({ fd, pos: 0, len: 64, off: i * 64 })))
      let id = -1
      const done = run(e, c, [buf], 5, true, (x) => (id = x))
      await until(() => inFlight(e) === 3)
      expect(sum(e, Counter.Queued)).toBe(2)
      e.raw.cancel(id)
      expect(await done).toBe(-2)
      expect(Array.from(c.results)).toEqual(Array(6).fill(errno("ECANCELED")))
      expect(inFlight(e) + sum(e, Counter.Queued)).toBe(0)
      expect(e.outstanding).toBe(0)
    } finally {
      fs.closeSync(fd)
      await e.close()
    }
  })

  it("closing the engine cancels a running job; its callback still fires", async () => {
    const e = openEngine({ rings: 1 })
    const p = path.join(dir, "fifo-close")
    execFileSync("mkfifo", [p])
    const fd = fs.openSync(p, "r+")
    try {
      const c = job(Array.from({ length: 6 }, (_, i) => ({ fd, pos: 0, len: 64, off: i * 64 })))
      const done = run(e, c, [new Uint8Array(6 * 64)], 2, false)
      await until(() => inFlight(e) === 2)
      await e.close(0)
      expect(await done).toBe(-2)
      expect(Array.from(c.results)).toEqual(Array(6).fill(errno("ECANCELED")))
      expect(() => e.raw.readMany(c.fds, c.positions, c.lengths, c.bases, c.offsets, [], 1, 1, true, c.results, () => {}))
        .toThrow(/closed/)
    } finally {
      fs.closeSync(fd)
    }
  })

  it("runs on the thread pool when the kernel lacks the read op", async () => {
    const e = openEngine({ rings: 1, fallbackOps: ["read"] })
    const fd = fs.openSync(file, "r")
    try {
      const buf = new Uint8Array(50 * 512)
      const c = job(Array.from({ length: 50 }, (_, i) => ({ fd, pos: i * 999, len: 512, off: i * 512 })))
      expect(await run(e, c, [buf], 4, true)).toBe(-1)
      for (let i = 0; i < 50; i++) expect(buf.subarray(i * 512, (i + 1) * 512)).toEqual(data.subarray(i * 999, i * 999 + 512))
      expect(sum(e, Counter.Fallbacks)).toBe(50)
    } finally {
      fs.closeSync(fd)
      await e.close()
    }
  })

  it("runs on shared rings too (the other reaping path), and two engines' jobs at once", async () => {
    const a = openEngine({ shared: true })
    const b = openEngine({ shared: true })
    const fd = fs.openSync(file, "r")
    try {
      const make = (seed: number) => {
        const buf = new Uint8Array(200 * 4096)
        const c = job(Array.from({ length: 200 }, (_, i) => ({ fd, pos: ((i * 7 + seed) % 256) * 4096, len: 4096, off: i * 4096 })))
        return { buf, c }
      }
      const x = make(1)
      const y = make(2)
      const [rx, ry] = await Promise.all([run(a, x.c, [x.buf], 16, true), run(b, y.c, [y.buf], 16, true)])
      expect([rx, ry]).toEqual([-1, -1])
      for (const [{ buf, c }] of [[x], [y]] as const) {
        for (let i = 0; i < 200; i++) {
          expect(c.results[i]).toBe(4096)
          const pos = c.positions[i]!
          expect(buf.subarray(i * 4096, (i + 1) * 4096)).toEqual(data.subarray(pos, pos + 4096))
        }
      }
      expect(a.outstanding + b.outstanding).toBe(0)
    } finally {
      fs.closeSync(fd)
      await a.close()
      await b.close()
    }
  })

  it("a job far larger than the window (70,000 reads), then a small one on the same recycled job", async () => {
    const fd = fs.openSync(file, "r")
    try {
      const n = 70_000
      const buf = new Uint8Array(n * 16)
      const c = job(Array.from({ length: n }, (_, i) => ({ fd, pos: (i * 4099) % (data.length - 16), len: 16, off: i * 16 })))
      expect(await run(engine, c, [buf], 64, true)).toBe(-1)
      for (let i = 0; i < n; i += 997) {
        const pos = c.positions[i]!
        expect(buf.subarray(i * 16, i * 16 + 16)).toEqual(data.subarray(pos, pos + 16))
      }
      expect(Array.from(c.results).every((r) => r === 16)).toBe(true)
      const small = job([{ fd, pos: 5, len: 16, off: 0 }])
      expect(await run(engine, small, [buf], 64, true)).toBe(-1)
      expect(buf.subarray(0, 16)).toEqual(data.subarray(5, 21))
    } finally {
      fs.closeSync(fd)
    }
  })

  it("refuses columns shorter than count", () => {
    const c = job([{ fd: 0, pos: 0, len: 1, off: 0 }])
    expect(() => engine.raw.readMany(c.fds, c.positions, c.lengths, c.bases, c.offsets, [new Uint8Array(1)], 2, 1, true, c.results, () => {}))
      .toThrow(RangeError)
  })
})
