// A closed engine's native memory (its Host and the blocks behind counters, histograms and the delivery
// buffer) is freed once JS drops the engine: counted by the addon itself, no RSS thresholds.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { afterAll, describe, expect, it } from "vitest"
import { nativeObjects, openEngine, type Engine } from "@auraio/native"
import { errno, fileWith, pattern, raw, tmpDir } from "./helpers.js"

v8.setFlagsFromString("--expose-gc")
const gc = vm.runInNewContext("gc") as () => void

const dir = tmpDir("lifetime")
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

// N-API finalizers run after the GC that found the objects dead, from the loop: collect and yield until
// the counts settle. Bounded by rounds, not by time.
const counts = () => {
  const { hosts, blocks } = nativeObjects()
  return { hosts, blocks }
}
const settle = async (target: { hosts: number; blocks: number }) => {
  for (let i = 0; i < 100; i++) {
    const now = counts()
    if (now.hosts <= target.hosts && now.blocks <= target.blocks) return now
    gc()
    await new Promise((r) => setImmediate(r))
  }
  return counts()
}

const fifo = (name: string): number => {
  const p = path.join(dir, name)
  execFileSync("mkfifo", [p])
  return fs.openSync(p, fs.constants.O_RDWR)
}

describe("engine lifetime", () => {
  it("300 opened and closed engines leave no native object behind once collected", async () => {
    const base = await settle({ hosts: 0, blocks: 0 })
    const file = fileWith(dir, "a.bin", pattern(8192))
    const fd = fs.openSync(file, "r")
    for (let i = 0; i < 300; i++) {
      const e = openEngine({ rings: 1, entries: 8 })
      if (i % 3 === 0) expect(await raw((cb) => e.raw.read(fd, new Uint8Array(4096), 4096, 4096, cb))).toBe(4096)
      await e.close()
    }
    fs.closeSync(fd)
    // Every engine owns one Host and three blocks until it is collected.
    expect(nativeObjects().hosts).toBeGreaterThan(base.hosts)
    expect(await settle(base)).toEqual(base)
  })

  it("engines closed with ops in flight (cancelled in the kernel, or closed from a callback) are freed too", async () => {
    const base = await settle({ hosts: 0, blocks: 0 })
    const fd = fifo("f1")
    const ECANCELED = errno("ECANCELED")
    for (let i = 0; i < 20; i++) {
      const e = openEngine({ rings: 1 })
      const blocked = raw((cb) => e.raw.read(fd, new Uint8Array(64), 64, -1, cb))
      await e.close(0)
      expect(await blocked).toBe(ECANCELED)
      const e2 = openEngine({ rings: 1 })
      const closed = new Promise<void>((resolve) => e2.raw.fsync(fd, false, () => void e2.close().then(resolve)))
      await closed
    }
    fs.closeSync(fd)
    expect(await settle(base)).toEqual(base)
  })

  it("an open engine is never freed, and a function kept from a closed engine stays safe to call", async () => {
    const base = await settle({ hosts: 0, blocks: 0 })
    let open: Engine | undefined = openEngine({ rings: 1 })
    const closing = openEngine({ rings: 1 })
    // A caller holding on to one native function (not the engine) keeps the Host it points at alive.
    const n = (closing.raw as unknown as { n: { read: (...a: Array<unknown>) => number } }).n
    const read = n.read
    await closing.close()
    for (let i = 0; i < 10; i++) {
      gc()
      await new Promise((r) => setImmediate(r))
    }
    expect(nativeObjects().hosts).toBe(base.hosts + 2)
    expect(read(0, new Uint8Array(8), 8, 0)).toBe(-1) // closed: refused, no memory touched
    expect(await raw((cb) => open!.raw.fsync(0, false, cb))).not.toBe(undefined)
    await open.close()
    open = undefined
    // The kept function's Host (and its blocks) stay; the other engine is gone.
    const kept = { hosts: base.hosts + 1, blocks: base.blocks + 3 }
    expect(await settle(kept)).toEqual(kept)
    expect(read(0, new Uint8Array(8), 8, 0)).toBe(-1)
  })
})
