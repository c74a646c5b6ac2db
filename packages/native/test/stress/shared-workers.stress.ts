// pnpm stress: 1M mixed raw ops from 4 worker_threads whose engines share the process-wide rings
// (`shared: true`), 20% cancelled at random points, while the main thread holds a shared engine too.
// Afterwards: nothing in flight or queued in any engine, no descriptor left, the process held exactly
// one set of rings (CPU count) throughout, and the group is gone once the last engine closed.
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { nativeObjects, openEngine } from "@auraio/native"
import { fdLeaks, fdSnapshot, gc, mib, report, ringFds, rssBytes } from "./support/accounting.js"
import { runLoadWorkers } from "./support/workers.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auraio-stress-shared-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
const OPS = Number(process.env["AURAIO_STRESS_OPS"] ?? 1_000_000)

describe("shared rings under 1M mixed ops", () => {
  it("4 worker_threads on the same rings: 1M ops in total, 20% cancelled", async () => {
    const before = fdSnapshot()
    const rings0 = ringFds(before)
    gc()
    const rss0 = rssBytes()
    const main = openEngine({ shared: true })
    const cpus = main.ringCount
    assert.strictEqual(ringFds() - rings0, cpus)
    const t0 = performance.now()
    let maxRings = 0
    const sampler = setInterval(() => (maxRings = Math.max(maxRings, ringFds() - rings0)), 200)
    const results = await runLoadWorkers({ dir, count: 4, ops: Math.floor(OPS / 4), seed: 200, shared: true })
    clearInterval(sampler)
    const secs = (performance.now() - t0) / 1000
    let ops = 0
    let cancelled = 0
    let cancelRequested = 0
    for (const r of results) {
      assert.strictEqual(r["errors"], 0, String(r["firstError"]))
      assert.strictEqual(r["duplicated"], 0)
      assert.strictEqual(r["inFlight"], 0)
      assert.strictEqual(r["queued"], 0)
      assert.strictEqual(r["leakedFds"], 0)
      assert.strictEqual(r["shared"], 1)
      assert.strictEqual(r["ringFds"], main.ringFds.join(","))
      ops += r["ops"] as number
      cancelled += r["cancelled"] as number
      cancelRequested += r["cancelRequested"] as number
    }
    assert.strictEqual(ops, Math.floor(OPS / 4) * 4)
    // One set of rings for the whole process, never one per worker.
    assert.isAtMost(maxRings, cpus)
    assert.strictEqual(ringFds() - rings0, cpus)
    await main.close()
    for (let i = 0; i < 200 && nativeObjects().sharedGroups !== 0; i++) await new Promise((r) => setImmediate(r))
    assert.strictEqual(nativeObjects().sharedEngines, 0)
    assert.strictEqual(nativeObjects().sharedGroups, 0)
    assert.strictEqual(ringFds(), rings0)
    await new Promise((r) => setTimeout(r, 50))
    gc()
    const growth = rssBytes() - rss0
    assert.deepStrictEqual(fdLeaks(before), [])
    report("stress.native.sharedWorkers", { workers: 4, rings: cpus, ops, cancelRequested, cancelled, seconds: secs.toFixed(1), opsPerSec: (ops / secs).toFixed(0), rssGrowthAfterExit: mib(growth), lost: 0, leakedFds: 0, ringsLeaked: 0 })
  })
})
