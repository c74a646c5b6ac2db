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
import * as PubSub from "effect/PubSub"
import * as Stream from "effect/Stream"
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

/**
 * The ring's gauges, tagged once: `Metric.tagged` builds and hashes a new key, and doing that for six
 * gauges on every publish cost ~0.2 ms of the event loop, during which no completion was reaped,
 * so the controller itself added ~0.3 ms to the ring's p99 at a 10 ms tick (docs/design/aimd.md).
 */
const ringMetrics = (ring: number) => {
  const tag = <M extends Metric.Metric<any, any, any>>(m: M): M => Metric.tagged(m, "ring", String(ring)) as M
  const phase = tag(metrics.phase)
  const limit = tag(metrics.limit)
  const learned = tag(metrics.learned)
  const p50 = tag(metrics.p50)
  const p99 = tag(metrics.p99)
  const throughput = tag(metrics.throughput)
  return (s: AimdState): void => {
    phase.unsafeUpdate(phaseCodes.indexOf(s.phase), [])
    limit.unsafeUpdate(s.limit, [])
    learned.unsafeUpdate(s.learnedLimit, [])
    p50.unsafeUpdate(s.last?.p50Us ?? 0, [])
    p99.unsafeUpdate(s.last?.p99Us ?? 0, [])
    throughput.unsafeUpdate(s.last?.throughput ?? 0, [])
  }
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
    // A plain cell and a sliding PubSub rather than a SubscriptionRef: publishing runs on the event
    // loop that reaps completions, and the ref's semaphore and effects cost ~0.1 ms a publish there.
    const board: StatusBoard = {
      current: Array.from({ length: rings }, (_, ring) => config.enabled ? statusOf(ring, initial(config)) : offStatus(ring)),
      hub: yield* PubSub.sliding<ReadonlyArray<RingStatus>>(64)
    }
    yield* Effect.addFinalizer(() => PubSub.shutdown(board.hub))
    if (config.enabled) {
      for (let ring = 0; ring < rings; ring++) {
        yield* Effect.forkScoped(ringLoop(config, sampler, ring, board))
      }
    }
    return {
      config,
      ringCount: rings,
      status: Effect.sync(() => board.current),
      // Subscribed before the current value is read, so no change falls between the two.
      changes: Stream.unwrapScoped(
        Effect.map(PubSub.subscribe(board.hub), (sub) =>
          Stream.concat(Stream.sync(() => board.current), Stream.fromQueue(sub)))
      )
    }
  })

interface StatusBoard {
  current: ReadonlyArray<RingStatus>
  readonly hub: PubSub.PubSub<ReadonlyArray<RingStatus>>
}

const ringLoop = (
  config: AimdConfig,
  sampler: AimdSampler,
  ring: number,
  board: StatusBoard
): Effect.Effect<void> =>
  Effect.gen(function*() {
    let state = initial(config)
    let lastMs = yield* Clock.currentTimeMillis
    const recordMetrics = ringMetrics(ring)
    const publish = (s: AimdState): void => {
      const next = board.current.slice()
      next[ring] = statusOf(ring, s)
      board.current = next
      board.hub.unsafeOffer(next)
      recordMetrics(s)
    }

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
        publish(r.state)
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
