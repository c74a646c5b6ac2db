// pnpm stress: 1M mixed Effect operations (read, pooled read, write, readv/writev, fsync, stat,
// open/read/close, readMany, writeAndSync) from 256 fibers, 20% interrupted at random points. After:
// nothing in flight or queued, every pool buffer back, no descriptor leaked, RSS growth bounded.
import { AuraBufferPool, AuraEngine } from "@auraio/core"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"
import { fdLeaks, fdSnapshot, gc, mib, report, rssBytes } from "../../../native/test/stress/support/accounting.js"
import { runCoreLoad } from "./support/coreLoad.js"

const OPS = Number(process.env["AURAIO_STRESS_OPS"] ?? 1_000_000)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auraio-stress-core-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe("1M mixed Effect ops, 20% interrupted", () => {
  it.live(
    "nothing in flight, every buffer back, no fd leaked, RSS bounded",
    () =>
      Effect.gen(function* () {
        const before = fdSnapshot()
        gc()
        const rss0 = rssBytes()
        let peak = rss0
        const sampler = setInterval(() => (peak = Math.max(peak, rssBytes())), 250)
        const t0 = performance.now()
        const res = yield* Effect.scoped(
          Effect.gen(function* () {
            const ctx = yield* Effect.context<AuraEngine | AuraBufferPool>()
            const r = yield* runCoreLoad({ dir, ops: OPS, fibers: 256, seed: 99 })
            const engine = ctx.unsafeMap.get(AuraEngine.key) as AuraEngine.Service
            const stats = yield* engine.stats
            const pool = yield* (ctx.unsafeMap.get(AuraBufferPool.key) as AuraBufferPool.Service).stats
            return { r, stats, pool }
          }).pipe(Effect.provide(AuraEngine.layer))
        )
        clearInterval(sampler)
        const secs = (performance.now() - t0) / 1000
        assert.deepStrictEqual(res.r.failures.slice(0, 5), [])
        assert.strictEqual(res.r.ops, OPS)
        assert.strictEqual(res.stats.inFlight, 0)
        for (const ring of res.stats.rings) assert.strictEqual(ring.queued, 0)
        assert.strictEqual(res.pool.inUse, 0)
        assert.strictEqual(res.pool.pendingRelease, 0)
        assert.strictEqual(res.pool.waiting, 0)
        yield* Effect.sleep("50 millis")
        gc()
        const growth = rssBytes() - rss0
        assert.deepStrictEqual(fdLeaks(before), [])
        assert.isBelow(growth, 256 * 1024 * 1024)
        report("stress.mixed.core", {
          ops: res.r.ops,
          interrupted: res.r.interrupted,
          bytesVerified: res.r.bytesVerified,
          poolAcquired: res.pool.acquired,
          seconds: secs.toFixed(1),
          opsPerSec: (res.r.ops / secs).toFixed(0),
          rssGrowthAfterClose: mib(growth),
          rssPeakGrowth: mib(peak - rss0),
          lost: 0,
          leakedFds: 0,
          leakedBuffers: 0
        })
      }),
    60 * 60_000
  )
})
