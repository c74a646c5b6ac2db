/**
 * One fiber per ring, forked into the caller's scope: every tick it reads the ring's sample, steps
 * the pure controller, writes the limit when it changed and publishes the ring's status.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type * as Scope from "effect/Scope"
import * as Schedule from "effect/Schedule"
import type * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { type AimdConfig, type AimdOptions, makeConfig } from "./config.js"
import type { AimdSampler } from "./sampler.js"
import { type AimdState, initial, type Phase, step } from "./step.js"

/** @internal */
export interface RingStatus {
  readonly ring: number
  readonly phase: Phase | "off"
  readonly limit: number
  readonly learnedLimit: number
  /** Of the last decision window; 0 before the first one. */
  readonly p50Us: number
  readonly p99Us: number
  /** Completions per second over the last decision window. */
  readonly throughput: number
  readonly inFlight: number
  readonly queued: number
  readonly baselineP50Us: number
}

/** @internal */
export interface Controller {
  readonly config: AimdConfig
  readonly ringCount: number
  readonly status: Effect.Effect<ReadonlyArray<RingStatus>>
  readonly changes: Stream.Stream<ReadonlyArray<RingStatus>>
}

/** Phases as gauge values, in this order. @internal */
export const phaseCodes: ReadonlyArray<Phase> = ["passthrough", "baseline", "probe", "backoff", "settled"]

/** @internal */
export const metrics = {
  phase: Metric.gauge("auraio_aimd_phase", {
    description: "AIMD phase per ring: 0 passthrough, 1 baseline, 2 probe, 3 backoff, 4 settled"
  }),
  limit: Metric.gauge("auraio_aimd_limit", { description: "in-flight limit chosen by the AIMD controller, per ring" }),
  learned: Metric.gauge("auraio_aimd_learned_limit", { description: "last validated AIMD limit, per ring" }),
  p50: Metric.gauge("auraio_aimd_p50_us", { description: "p50 latency of the last AIMD decision window (µs)" }),
  p99: Metric.gauge("auraio_aimd_p99_us", { description: "p99 latency of the last AIMD decision window (µs)" }),
  throughput: Metric.gauge("auraio_aimd_throughput", {
    description: "completions per second in the last AIMD decision window"
  }),
  transitions: Metric.counter("auraio_aimd_transitions_total", {
    description: "AIMD phase transitions, per ring and target phase"
  })
}

const recordMetrics = (ring: number, s: AimdState): Effect.Effect<void> => {
  const tag = <M extends Metric.Metric<any, any, any>>(m: M): M => Metric.tagged(m, "ring", String(ring)) as M
  return Effect.all([
    Metric.set(tag(metrics.phase), phaseCodes.indexOf(s.phase)),
    Metric.set(tag(metrics.limit), s.limit),
    Metric.set(tag(metrics.learned), s.learnedLimit),
    Metric.set(tag(metrics.p50), s.last?.p50Us ?? 0),
    Metric.set(tag(metrics.p99), s.last?.p99Us ?? 0),
    Metric.set(tag(metrics.throughput), s.last?.throughput ?? 0)
  ], { discard: true })
}

/** @internal */
export const statusOf = (ring: number, state: AimdState): RingStatus => ({
  ring,
  phase: state.phase,
  limit: state.limit,
  learnedLimit: state.learnedLimit,
  p50Us: state.last?.p50Us ?? 0,
  p99Us: state.last?.p99Us ?? 0,
  throughput: state.last?.throughput ?? 0,
  inFlight: state.last?.inFlight ?? 0,
  queued: state.last?.queued ?? 0,
  baselineP50Us: state.baselineP50Us
})

const offStatus = (ring: number): RingStatus => ({
  ring,
  phase: "off",
  limit: 0,
  learnedLimit: 0,
  p50Us: 0,
  p99Us: 0,
  throughput: 0,
  inFlight: 0,
  queued: 0,
  baselineP50Us: 0
})

/** @internal */
export const run = (
  sampler: AimdSampler,
  options: AimdOptions = {}
): Effect.Effect<Controller, never, Scope.Scope> =>
  Effect.gen(function*() {
    const config = makeConfig(options, sampler.bucketBoundsUs)
    const rings = sampler.ringCount
    const ref = yield* SubscriptionRef.make<ReadonlyArray<RingStatus>>(
      Array.from({ length: rings }, (_, ring) => config.enabled ? statusOf(ring, initial(config)) : offStatus(ring))
    )
    if (config.enabled) {
      for (let ring = 0; ring < rings; ring++) {
        yield* Effect.forkScoped(ringLoop(config, sampler, ring, ref))
      }
    }
    return {
      config,
      ringCount: rings,
      status: SubscriptionRef.get(ref),
      changes: ref.changes
    }
  })

const ringLoop = (
  config: AimdConfig,
  sampler: AimdSampler,
  ring: number,
  ref: SubscriptionRef.SubscriptionRef<ReadonlyArray<RingStatus>>
): Effect.Effect<void> =>
  Effect.gen(function*() {
    let state = initial(config)
    let lastMs = yield* Clock.currentTimeMillis
    const publish = (s: AimdState) =>
      Effect.zipRight(
        SubscriptionRef.update(ref, (all) => {
          const next = all.slice()
          next[ring] = statusOf(ring, s)
          return next
        }),
        recordMetrics(ring, s)
      )

    const tick = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const raw = yield* sampler.sample(ring)
      const previous = state
      const r = step(config, state, { ...raw, elapsedMs: now - lastMs })
      lastMs = now
      state = r.state
      if (r.limit !== raw.limit) yield* sampler.setLimit(ring, r.limit)
      if (r.transition !== undefined) {
        yield* Effect.logDebug(`aimd: ${r.transition.from} → ${r.transition.to}: ${r.transition.reason}`).pipe(
          Effect.annotateLogs({ ring, limit: r.limit })
        )
        yield* Metric.increment(
          Metric.tagged(Metric.tagged(metrics.transitions, "ring", String(ring)), "to", r.transition.to)
        )
      }
      // Publish once per decision window (or change), not once per tick.
      if (r.state.last !== previous.last || r.limit !== previous.limit || r.state.phase !== previous.phase) {
        yield* publish(r.state)
      }
    }).pipe(
      // A bug in one step must not stop the controller, nor the engine that owns it.
      Effect.catchAllCause((cause) =>
        Effect.logWarning("aimd: controller step failed; limit left unchanged", cause).pipe(
          Effect.annotateLogs({ ring })
        )
      ),
      // A tick is a few synchronous steps: interrupting it between writing the ring's limit and
      // publishing it would leave `status` disagreeing with what the ring enforces.
      Effect.uninterruptible
    )

    yield* Effect.repeat(tick, Schedule.spaced(config.tickMs))
  }).pipe(Effect.asVoid)
