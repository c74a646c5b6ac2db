import { assert, describe, it, layer } from "@effect/vitest"
import { AuraEngine, AuraMetrics, EngineSetupError } from "@auraio/core"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as MetricState from "effect/MetricState"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { closeSync, openSync } from "node:fs"
import { afterAll } from "vitest"
import { makeTmp } from "./fixtures/tmp.js"

const tmp = makeTmp("engine")
afterAll(tmp.cleanup)

const withForcedSetupError = <A, E, R>(code: string, effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      process.env.AURAIO_FORCE_SETUP_ERROR = code
    }),
    () => effect,
    () =>
      Effect.sync(() => {
        delete process.env.AURAIO_FORCE_SETUP_ERROR
      })
  )

describe("engine setup", () => {
  it.effect("a ring that cannot be set up is an EngineSetupError in the layer's error channel", () =>
    Effect.gen(function*() {
      const table = [["ENOSYS", "Unsupported"], ["EPERM", "Disabled"], ["ENOMEM", "MemoryLimit"], ["EIO", "Unknown"]] as const
      for (const [code, reason] of table) {
        const exit = yield* withForcedSetupError(code, Effect.exit(Layer.build(AuraEngine.layer).pipe(Effect.scoped)))
        assert.isTrue(Exit.isFailure(exit), code)
        if (Exit.isFailure(exit) && exit.cause._tag === "Fail") {
          const err = exit.cause.error
          assert.isTrue(EngineSetupError.is(err))
          assert.strictEqual(err.reason, reason, code)
          assert.strictEqual(err.code, code)
          assert.isString(err.message)
        } else {
          assert.fail(`expected a typed failure for ${code}, got ${String(exit)}`)
        }
      }
    }))

  it.effect("layerConfig reads options through Config", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      assert.strictEqual(engine.ringCount, 1)
      const stats = yield* engine.stats
      assert.strictEqual(stats.pool.capBytes, 1 << 20)
      assert.strictEqual(stats.rings[0]!.aimd, undefined)
    }).pipe(
      Effect.provide(AuraEngine.layerConfig(AuraEngine.config)),
      Effect.withConfigProvider(
        ConfigProvider.fromMap(new Map([["AURAIO_RINGS", "1"], ["AURAIO_POOL_CAP_BYTES", "1048576"], ["AURAIO_AIMD", "false"]]))
      )
    ))

  it.effect("layerConfig passes AURAIO_SHARED through to the native engine", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      assert.isTrue(engine.native.shared)
      const fd = openSync(tmp.file(1 << 12), "r")
      const buf = new Uint8Array(4096)
      assert.strictEqual(yield* engine.read(fd, buf, 0), 4096)
      closeSync(fd)
    }).pipe(
      Effect.provide(AuraEngine.layerConfig(AuraEngine.config)),
      Effect.withConfigProvider(
        ConfigProvider.fromMap(new Map([["AURAIO_SHARED", "true"], ["AURAIO_AIMD", "false"]]))
      )
    ))

  it.live("after the engine closed, ops die at once (a defect, never a hang)", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const engine = yield* Scope.extend(AuraEngine.make({ aimd: false }), scope)
      const fd = openSync(tmp.file(1 << 16), "r")
      yield* Scope.close(scope, Exit.void)
      const requests = Array.from({ length: 8 }, (_, i) => ({ fd, offset: i * 4096, length: 4096 }))
      const exits: Array<Exit.Exit<unknown, unknown>> = [
        yield* Effect.exit(engine.read(fd, new Uint8Array(16), 0)),
        yield* Effect.exit(engine.readMany(requests)),
        yield* Effect.exit(engine.readMany([{ fd, offset: 0, length: 1, buffer: new Uint8Array(1) }])),
        yield* Effect.exit(Stream.runDrain(engine.readManyStream(requests))),
        yield* Effect.exit(Stream.runDrain(engine.stream(fd)))
      ]
      for (const [i, exit] of exits.entries()) {
        assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause), `case ${i}: ${String(exit)}`)
      }
      closeSync(fd)
    }))

  it.effect("a bad config value fails the layer", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Layer.build(AuraEngine.layerConfig(AuraEngine.config)).pipe(
          Effect.scoped,
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["AURAIO_RINGS", "many"]])))
        )
      )
      assert.isTrue(Exit.isFailure(exit))
    }))
})

layer(AuraEngine.layerWith({ metricsInterval: "20 millis" }))("stats and metrics", (it) => {
  it.effect("stats is a snapshot with per-ring counters and the AIMD phase", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const fd = yield* engine.openFd(tmp.file(1 << 16))
      yield* engine.readMany(Array.from({ length: 64 }, (_, i) => ({ fd, offset: i * 1024, length: 1024 })))
      const stats = yield* engine.stats
      assert.strictEqual(stats.rings.length, engine.ringCount)
      assert.isAtLeast(stats.completed, 65)
      assert.isAtLeast(stats.bytesRead, 64 * 1024)
      assert.strictEqual(stats.inFlight, 0)
      for (const r of stats.rings) {
        assert.isDefined(r.aimd)
        assert.isString(r.aimd!.phase)
      }
      yield* engine.close(fd)
    }))

  it.effect("Effect Metrics per ring are fed from the native counters", () =>
    Effect.gen(function*() {
      const engine = yield* AuraEngine
      const fd = yield* engine.openFd(tmp.file(1 << 16))
      yield* engine.readMany(Array.from({ length: 32 }, (_, i) => ({ fd, offset: i * 2048, length: 2048 })))
      yield* engine.close(fd)
      // The layer runs on the TestClock: move it and the metrics fiber samples.
      yield* TestClock.adjust("100 millis")
      let ops = 0
      let bytes = 0
      for (let r = 0; r < engine.ringCount; r++) {
        const tagged = Metric.tagged(AuraMetrics.ops, "ring", String(r))
        ops += (yield* Metric.value(tagged)).count
        bytes += (yield* Metric.value(Metric.tagged(Metric.tagged(AuraMetrics.bytes, "ring", String(r)), "direction", "read"))).count
      }
      const stats = yield* engine.stats
      assert.isAtLeast(ops, 34)
      assert.isAtMost(ops, stats.completed)
      assert.isAtLeast(bytes, 32 * 2048)
      const inf = yield* Metric.value(Metric.tagged(Metric.tagged(AuraMetrics.latencyBucket, "ring", "0"), "le", "+Inf"))
      assert.isTrue(MetricState.isGaugeState(inf))
      const snapshot = yield* Metric.snapshot
      assert.isTrue(snapshot.some((pair) => pair.metricKey.name === "auraio_in_flight"))
    }))
})
