/**
 * The AIMD in-flight controller: a pure step function and the fiber that drives it per ring.
 *
 * Nobody picks a queue depth: per ring, the controller finds the depth past which more in-flight
 * operations only add latency, holds it, and moves it when the device or the workload changes.
 * See docs/design/aimd.md for the phases and why they are what they are.
 *
 * @since 0.1.0
 */
import { COUNTER_STRIDE, Counter, LATENCY_BUCKET_BOUNDS_US } from "@auraio/native"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as config from "./internal/aimd/config.js"
import * as controller from "./internal/aimd/controller.js"
import * as histogram from "./internal/aimd/histogram.js"
import * as sampler from "./internal/aimd/sampler.js"
import * as internal from "./internal/aimd/step.js"

// == types

/**
 * `passthrough` (not throttling, keeps what it learned), `baseline` (measuring unloaded latency),
 * `probe` (additive increase), `backoff` (multiplicative decrease), `settled` (holding).
 *
 * @since 0.1.0
 * @category models
 */
export type Phase = internal.Phase

/**
 * Zero-config by default. `p99Target` adds a latency target on top of the built-in inflation
 * test: the controller aims the p99 at 80 % of it, and gives depth back when cutting it shows no
 * effect on the p99 (a neighbour, not our queue, sets the latency then). Choose a target the device
 * can meet at a useful depth when something else shares it; `enabled: false` turns the controller
 * off (rings keep their limit).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends config.AimdOptions {}

/**
 * Tuning knobs with measured defaults (see {@link defaultTuning}); for benchmarks and tests.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tuning extends config.AimdTuning {}

/**
 * A fully resolved configuration.
 *
 * @since 0.1.0
 * @category models
 */
export interface Config extends config.AimdConfig {}

/**
 * What one ring did during one tick (deltas), as fed to {@link step}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sample extends internal.AimdSample {}

/**
 * Statistics of one decision window.
 *
 * @since 0.1.0
 * @category models
 */
export interface WindowStats extends internal.WindowStats {}

/**
 * The controller state of one ring. Treat as opaque except for the documented fields.
 *
 * @since 0.1.0
 * @category models
 */
export interface State extends internal.AimdState {}

/**
 * A phase change and why it happened (logged at Debug level by the fiber).
 *
 * @since 0.1.0
 * @category models
 */
export interface Transition extends internal.Transition {}

/**
 * @since 0.1.0
 * @category models
 */
export interface StepResult extends internal.StepResult {}

/**
 * What the controller publishes per ring (for `stats` and Metrics).
 *
 * @since 0.1.0
 * @category models
 */
export interface RingStatus extends controller.RingStatus {}

/**
 * A running controller: its config and the latest status of every ring.
 *
 * @since 0.1.0
 * @category models
 */
export interface Controller extends controller.Controller {}

/**
 * A sample as read from a ring, before the fiber adds the elapsed time.
 *
 * @since 0.1.0
 * @category models
 */
export interface RawSample extends sampler.RawSample {}

/**
 * The controller's whole view of the engine: read a ring's sample, set a ring's limit.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sampler extends sampler.AimdSampler {}

/**
 * The part of the native engine (Contract 1) the controller uses.
 *
 * @since 0.1.0
 * @category models
 */
export interface NativeEngineLike extends sampler.NativeEngineLike {}

/**
 * Where the controller's fields sit in the native counters.
 *
 * @since 0.1.0
 * @category models
 */
export interface NativeLayout extends sampler.NativeLayout {}

// == pure controller

/**
 * The measured defaults of every tuning knob (windows, inflation factor, gains, periods); see
 * docs/design/aimd.md for why each has its value.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTuning: Tuning = config.defaultTuning

/**
 * Resolves options (and histogram bucket bounds, in µs) into a config.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeConfig: (options?: Options, bucketBoundsUs?: ReadonlyArray<number>) => Config = config.makeConfig

/**
 * The state of a ring the controller has not seen yet: passthrough at `maxInFlight`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const initial: (config: Config) => State = internal.initial

/**
 * One controller step: pure, no clock, no I/O.
 *
 * @since 0.1.0
 * @category controller
 */
export const step: (config: Config, state: State, sample: Sample) => StepResult = internal.step

/**
 * Percentile `q` (0–1) of a bucketed latency histogram, interpolated inside the bucket.
 *
 * @since 0.1.0
 * @category controller
 */
export const percentile: (bounds: ReadonlyArray<number>, counts: ArrayLike<number>, q: number) => number =
  histogram.percentile

// == fiber

/**
 * Where `@auraio/native` keeps the counters and histogram bounds the controller reads.
 *
 * @since 0.1.0
 * @category constants
 */
export const nativeLayout: NativeLayout = {
  stride: COUNTER_STRIDE,
  completed: Counter.Completed,
  inFlight: Counter.InFlight,
  queued: Counter.Queued,
  limit: Counter.Limit,
  bucketBoundsUs: LATENCY_BUCKET_BOUNDS_US
}

/**
 * A sampler over the native engine's live counters and latency histograms. Deltas are taken
 * against the sampler's own copy, so other readers of the counters are not disturbed.
 *
 * @since 0.1.0
 * @category constructors
 */
export const nativeSampler = (engine: NativeEngineLike, layout: NativeLayout = nativeLayout): Sampler =>
  sampler.fromNative(engine, layout)

/**
 * The controller's Effect metrics, tagged `ring` (transitions also `to`): `auraio_aimd_phase`
 * (0 passthrough … 4 settled, in the order of `phases`), `auraio_aimd_limit`,
 * `auraio_aimd_learned_limit`, `auraio_aimd_p50_us`, `auraio_aimd_p99_us`,
 * `auraio_aimd_throughput`, `auraio_aimd_transitions_total`. Updated once per decision window.
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics = controller.metrics

/**
 * The phases in the order of their `auraio_aimd_phase` gauge values.
 *
 * @since 0.1.0
 * @category metrics
 */
export const phases: ReadonlyArray<Phase> = controller.phaseCodes

const isSampler = (source: Sampler | NativeEngineLike): source is Sampler => "sample" in source

/**
 * Forks one controller fiber per ring into the current scope, on `Schedule.spaced(tick)`: each
 * tick reads the ring's counters and histogram delta, steps, and writes the limit when it changed.
 * Takes the native engine itself, or any {@link Sampler} (a synthetic device in tests).
 *
 * @since 0.1.0
 * @category controller
 */
export const run = (
  source: Sampler | NativeEngineLike,
  options?: Options
): Effect.Effect<Controller, never, Scope.Scope> =>
  controller.run(isSampler(source) ? source : nativeSampler(source), options)
