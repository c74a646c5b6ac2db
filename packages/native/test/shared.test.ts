// `shared: true`: the main thread and worker_threads submit to one process-wide set of rings; every
// completion comes back to the thread that submitted it. Real kernel rings, workers from the package's
// dist (built by `tsc -b packages/native`).
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Worker } from "node:worker_threads"
import { afterAll, describe, expect, it } from "vitest"
import { nativeObjects, openEngine, type Engine } from "@auraio/native"
import { errno, raw, tmpDir } from "./helpers.js"

const dir = tmpDir("shared")
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
const script = new URL("./fixtures/shared-worker.mjs", import.meta.url)
const cpus = os.availableParallelism()

const byteAt = (o: number, s: number) => ((o * 2654435761 + s * 40503) >>> 13) & 0xff
const patterned = (name: string, size: number, seedOf: (off: number) => number): string => {
  const p = path.join(dir, name)
  const b = new Uint8Array(size)
  for (let i = 0; i < size; i++) b[i] = byteAt(i, seedOf(i))
  fs.writeFileSync(p, b)
  return p
}

const run = (workerData: Record<string, unknown>) => {
  const w = new Worker(script, { workerData })
  const first = new Promise<Record<string, any>>((resolve, reject) => {
    w.once("message", resolve)
    w.once("error", reject)
  })
  const exit = new Promise<number>((resolve) => w.once("exit", resolve))
  return { w, first, exit }
}

const ringFdsOpen = (): number =>
  fs.readdirSync("/proc/self/fd").filter((f) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${f}`) === "anon_inode:[io_uring]"
    } catch {
      return false
    }
  }).length

// close() may resolve inside a completion batch, with the teardown right after it: yield until the
// group count settles (bounded by rounds).
const settled = async (want: number) => {
  for (let i = 0; i < 200 && nativeObjects().sharedEngines !== want; i++) await new Promise((r) => setImmediate(r))
  return nativeObjects().sharedEngines
}

const REGION = 1 << 20

describe("shared rings (worker_threads)", () => {
  it("4 workers and the main thread read and write through the same rings; every byte checks", async () => {
    const base = await settled(0)
    expect(base).toBe(0)
    const file = patterned("rw.bin", 5 * REGION, (o) => Math.floor(o / REGION) + 1)
    const main = openEngine({ shared: true })
    expect(main.shared).toBe(true)
    expect(main.ringCount).toBe(cpus)
    expect(ringFdsOpen()).toBe(cpus)
    const workers = [1, 2, 3, 4].map((i) => run({ mode: "rw", file, region: [i * REGION, (i + 1) * REGION], seed: i + 1, ops: 600 }))
    // The main thread works its own region meanwhile.
    const fd = fs.openSync(file, "r+")
    let bad = 0
    for (let k = 0; k < 200; k++) {
      const off = 4096 * (k % 256)
      const w = new Uint8Array(4096).map((_, i) => byteAt(off + i, 1))
      expect(await raw((cb) => main.raw.write(fd, w, 4096, off, cb))).toBe(4096)
      const r = new Uint8Array(4096)
      expect(await raw((cb) => main.raw.read(fd, r, 4096, off, cb))).toBe(4096)
      for (let i = 0; i < 4096; i++) if (r[i] !== w[i]) bad++
    }
    const results = await Promise.all(workers.map((w) => w.first))
    fs.closeSync(fd)
    expect(bad).toBe(0)
    for (const r of results) {
      expect(r["bad"]).toBe(0)
      expect(r["shared"]).toBe(true)
      expect(r["completed"]).toBe(1200)
      // Same process, same descriptors: the same rings.
      expect(r["ringFds"]).toEqual(main.ringFds)
      expect(r["objects"].sharedRings).toBe(cpus)
    }
    expect(new Set(results.map((r) => r["threadId"])).size).toBe(4)
    expect(await Promise.all(workers.map((w) => w.exit))).toEqual([0, 0, 0, 0])
    // Whole file through node:fs: every region holds its owner's pattern.
    const all = fs.readFileSync(file)
    let wrong = 0
    for (let i = 0; i < all.length; i++) if (all[i] !== byteAt(i, Math.floor(i / REGION) + 1)) wrong++
    expect(wrong).toBe(0)
    expect(ringFdsOpen()).toBe(cpus)
    await main.close()
    expect(await settled(0)).toBe(0)
    expect(nativeObjects().sharedGroups).toBe(0)
    expect(ringFdsOpen()).toBe(0)
  })

  it("a worker cancels its own blocked reads on a shared ring while the main thread keeps reading", async () => {
    const fifo = path.join(dir, "c.fifo")
    execFileSync("mkfifo", [fifo])
    const file = patterned("c.bin", REGION, () => 9)
    const main = openEngine({ shared: true })
    const w = run({ mode: "cancel", fifo })
    const fd = fs.openSync(file, "r")
    let n = 0
    const done = w.first.then((m) => m)
    let finished = false
    void done.then(() => (finished = true))
    while (!finished || n < 50) {
      const b = new Uint8Array(512)
      expect(await raw((cb) => main.raw.read(fd, b, 512, 512 * (n % 2048), cb))).toBe(512)
      expect(b[7]).toBe(byteAt(512 * (n % 2048) + 7, 9))
      n++
    }
    const m = await done
    expect(m["results"]).toEqual([m["expected"], m["expected"], m["expected"], m["expected"]])
    expect(await w.exit).toBe(0)
    fs.closeSync(fd)
    await main.close()
    expect(await settled(0)).toBe(0)
  })

  it("terminating a worker with ops in flight leaves the others running; the last engine tears the group down", async () => {
    const fifo = path.join(dir, "h.fifo")
    execFileSync("mkfifo", [fifo])
    const file = patterned("h.bin", REGION, () => 3)
    const main = openEngine({ shared: true })
    const other = openEngine({ shared: true })
    const fd = fs.openSync(file, "r")
    for (let round = 0; round < 3; round++) {
      const w = run({ mode: "hang", fifo, file })
      expect((await w.first)["ready"]).toBe(true)
      expect(nativeObjects().sharedEngines).toBe(3)
      // Keep both main-thread engines busy across the terminate.
      const busy = Promise.all(
        Array.from({ length: 256 }, (_, i) => {
          const b = new Uint8Array(4096)
          const e: Engine = i % 2 === 0 ? main : other
          return raw((cb) => e.raw.read(fd, b, 4096, 4096 * (i % 256), cb)).then((r) => (r === 4096 && b[1] === byteAt(4096 * (i % 256) + 1, 3) ? 0 : 1))
        })
      )
      await w.w.terminate()
      expect(await w.exit).toBe(1)
      expect((await busy).reduce((a: number, b: number) => a + b, 0)).toBe(0)
      expect(await settled(2)).toBe(2)
    }
    // A blocked read of ours is still cancellable after the terminations.
    const pfd = fs.openSync(fifo, fs.constants.O_RDWR)
    const blocked = raw((cb) => other.raw.read(pfd, new Uint8Array(8), 8, -1, cb))
    await other.close(0)
    expect(await blocked).toBe(errno("ECANCELED"))
    expect(await settled(1)).toBe(1)
    expect(ringFdsOpen()).toBe(cpus)
    fs.closeSync(pfd)
    fs.closeSync(fd)
    await main.close()
    expect(await settled(0)).toBe(0)
    expect(nativeObjects().sharedGroups).toBe(0)
    expect(ringFdsOpen()).toBe(0)
  })

  it("a process that exits (process.exit, an uncaught throw) with shared ops in flight in three threads exits with its own status", () => {
    const fifo = path.join(dir, "x.fifo")
    execFileSync("mkfifo", [fifo])
    const file = patterned("x.bin", REGION, () => 5)
    const child = new URL("./fixtures/shared-exit.mjs", import.meta.url).pathname
    for (const [how, status] of [["exit", 7], ["throw", 1]] as const) {
      const r = spawnSync(process.execPath, [child, fifo, file, how], { encoding: "utf8", timeout: 20_000 })
      expect({ how, status: r.status, signal: r.signal }).toEqual({ how, status, signal: null })
    }
  })

  it("limits are per engine: one engine's full queue on a shared ring does not hold back another's ops", async () => {
    const fifo = path.join(dir, "l.fifo")
    execFileSync("mkfifo", [fifo])
    const pfd = fs.openSync(fifo, fs.constants.O_RDWR)
    const file = patterned("l.bin", REGION, () => 4)
    const fd = fs.openSync(file, "r")
    const a = openEngine({ shared: true })
    const b = openEngine({ shared: true })
    for (let r = 0; r < a.ringCount; r++) a.setLimit(r, 1)
    // a: one blocked read per ring fills its limit; the rest wait in a's own FIFOs.
    const blocked = Array.from({ length: a.ringCount + 4 }, () => raw((cb) => a.raw.read(pfd, new Uint8Array(8), 8, -1, cb)))
    const queued = () => a.stats().total.queued
    expect(queued()).toBeGreaterThanOrEqual(4)
    // b is not limited by a's limit on the same rings.
    for (let i = 0; i < 64; i++) {
      const buf = new Uint8Array(4096)
      expect(await raw((cb) => b.raw.read(fd, buf, 4096, 4096 * i, cb))).toBe(4096)
      expect(buf[9]).toBe(byteAt(4096 * i + 9, 4))
    }
    expect(b.stats().total.queued).toBe(0)
    expect(queued()).toBeGreaterThanOrEqual(4)
    await a.close(0)
    const ECANCELED = errno("ECANCELED")
    expect(await Promise.all(blocked)).toEqual(blocked.map(() => ECANCELED))
    await b.close()
    fs.closeSync(fd)
    fs.closeSync(pfd)
    expect(await settled(0)).toBe(0)
  })

  it("private engines stay private next to shared ones; shared engines refuse registered buffers with a reason", async () => {
    const a = openEngine({ shared: true, rings: 1 })
    const p = openEngine({ rings: 1 })
    expect(p.shared).toBe(false)
    expect(p.ringFds).not.toEqual(a.ringFds.slice(0, 1))
    const reg = a.registerBuffers([new Uint8Array(4096)])
    expect(reg.registered).toBe(false)
    expect(reg.reason).toMatch(/shared/)
    expect(() => openEngine({ shared: true, sqpoll: true })).toThrow(TypeError)
    // Batches, linked chains and thread-pool fallbacks work on shared rings as on private ones.
    const file = patterned("p.bin", REGION, () => 6)
    const fd = fs.openSync(file, "r+")
    const f = openEngine({ shared: true, fallbackOps: ["read"] })
    const buf = new Uint8Array(64 * 512)
    const offs = new Float64Array(64).map((_, i) => i * 512)
    const lens = new Float64Array(64).fill(512)
    const results = await new Promise<Array<number>>((resolve) => {
      const out: Array<number> = []
      let left = 64
      a.raw.readBatch(fd, buf, offs, lens, offs, 64, (i, r) => {
        out[i] = r
        if (--left === 0) resolve(out)
      })
    })
    expect(results.every((r) => r === 512)).toBe(true)
    expect(buf.every((b, i) => b === byteAt(i, 6))).toBe(true)
    const w = new Uint8Array(4096).map((_, i) => byteAt(8192 + i, 6))
    expect(await raw((cb) => a.raw.writeFsync(fd, w, 4096, 8192, true, cb))).toBe(4096)
    const r = new Uint8Array(4096)
    expect(await raw((cb) => f.raw.read(fd, r, 4096, 8192, cb))).toBe(4096)
    expect(r).toEqual(w)
    expect(f.stats().total.fallbacks).toBe(1)
    fs.closeSync(fd)
    await Promise.all([a.close(), p.close(), f.close()])
    expect(await settled(0)).toBe(0)
  })
})
