// pnpm stress: 1M raw ops in the main thread, then 1M more from 4 worker_threads (250k each, each with
// its own engine on its own event loop), 20% cancelled at random points. Afterwards nothing is in
// flight or queued, no descriptor is left open, and RSS growth is reported and bounded.
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Counter, openEngine } from "@auraio/native"
import { fdLeaks, fdSnapshot, gc, mib, report, ringFds, rssBytes } from "./support/accounting.js"
import { runLoadWorkers } from "./support/workers.js"
import { runMixedLoad } from "./support/nativeLoad.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auraio-stress-native-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
const OPS = Number(process.env["AURAIO_STRESS_OPS"] ?? 1_000_000)

describe("native engine under 1M mixed ops", () => {
  it("main thread: 1M ops, 128 loops, 20% cancelled", async () => {
    const before = fdSnapshot()
    const rings0 = ringFds(before)
    gc()
    const rss0 = rssBytes()
    const e = openEngine()
    const t0 = performance.now()
    const res = await runMixedLoad(e, { dir: fs.mkdtempSync(path.join(dir, "main-")), ops: OPS, concurrency: 128, seed: 1 })
    const secs = (performance.now() - t0) / 1000
    assert.deepStrictEqual(res.errors.slice(0, 5), [])
    assert.strictEqual(res.ops, OPS)
    assert.strictEqual(res.callbacksDuplicated, 0)
    let inFlight = 0
    let queued = 0
    for (let r = 0; r < e.ringCount; r++) {
      inFlight += e.counters[r * 16 + Counter.InFlight]!
      queued += e.counters[r * 16 + Counter.Queued]!
    }
    assert.strictEqual(inFlight, 0)
    assert.strictEqual(queued, 0)
    assert.strictEqual(e.outstanding, 0)
    await e.close()
    for (let i = 0; i < 50 && ringFds() !== rings0; i++) await new Promise((r) => setTimeout(r, 2))
    gc()
    const growth = rssBytes() - rss0
    assert.deepStrictEqual(fdLeaks(before), [])
    assert.strictEqual(ringFds(), rings0)
    // Bounded: the load allocates only transient buffers; 256 MiB would mean something is retained.
    assert.isBelow(growth, 256 * 1024 * 1024)
    report("stress.native.main", { ops: res.ops, cancelRequested: res.cancelRequested, cancelled: res.cancelled, bytesVerified: res.bytesVerified, seconds: secs.toFixed(1), opsPerSec: (res.ops / secs).toFixed(0), rssGrowth: mib(growth), lost: 0, leakedFds: 0 })
  })

  it("4 worker_threads, each its own engine: 1M ops in total", async () => {
    const before = fdSnapshot()
    gc()
    const rss0 = rssBytes()
    const t0 = performance.now()
    const results = await runLoadWorkers({ dir, count: 4, ops: Math.floor(OPS / 4), seed: 100 })
    const secs = (performance.now() - t0) / 1000
    let ops = 0
    for (const r of results) {
      assert.strictEqual(r["errors"], 0, String(r["firstError"]))
      assert.strictEqual(r["duplicated"], 0)
      assert.strictEqual(r["inFlight"], 0)
      assert.strictEqual(r["queued"], 0)
      assert.strictEqual(r["leakedFds"], 0)
      ops += r["ops"] as number
    }
    assert.strictEqual(ops, Math.floor(OPS / 4) * 4)
    await new Promise((r) => setTimeout(r, 50))
    gc()
    const growth = rssBytes() - rss0
    assert.deepStrictEqual(fdLeaks(before), [])
    report("stress.native.workers", { workers: 4, ops, seconds: secs.toFixed(1), opsPerSec: (ops / secs).toFixed(0), rssGrowthAfterExit: mib(growth), lost: 0, leakedFds: 0 })
  })
})
