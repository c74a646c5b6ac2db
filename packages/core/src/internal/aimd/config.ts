/**
 * Resolution of the controller's options into one plain, fully-defaulted config.
 *
 * The public surface is deliberately small (target, bounds, tick, off); everything else is a
 * tuning knob with a measured default, reachable through `tuning` for tests and benchmarks.
 *
 * @internal
 */
import * as Duration from "effect/Duration"

/** @internal */
export interface AimdTuning {
  /** Completions a decision window needs before the controller acts on it. */
  readonly minSamples: number
  /** Shortest decision window: a few ticks, so one odd tick cannot decide alone. */
  readonly minWindowMs: number
  /** A window closes after this long even when thin; a thin window only counts as idle time. */
  readonly maxWindowMs: number
  /** Depth at which the unloaded ("baseline") latency is measured. */
  readonly baselineDepth: number
  /** Depth from which probing starts when nothing has been learned yet. */
  readonly startDepth: number
  /** Median latency over this multiple of the baseline median is an inflation breach. */
  readonly inflation: number
  /**
   * …but only once the median is also over this many µs. Below it, latency grows with depth because
   * completions queue for the CPU (page-cache reads: ~1.5 µs each, so 32 in flight wait ~50 µs, 10×
   * a depth-1 baseline), not because a device queue formed; cutting there only costs throughput.
   */
  readonly inflationFloorUs: number
  /**
   * Median inflation does not stop a probe below this depth unless the throughput is falling too:
   * there the levels are too shallow for the throughput rules to tell queueing from a busy host, and
   * on this VM the host alone put the median of 19 in flight at 4–5× the depth-1 one while the device
   * still doubled its IOPS from 16 to 64.
   */
  readonly inflationMinDepth: number
  /** Multiplicative decrease on a breach. */
  readonly backoff: number
  /** Additive increase per probe window, as a fraction of the limit (at least 1). */
  readonly probeGain: number
  /** The same, while nothing has been learned yet (the first climb from `startDepth`). */
  readonly startGain: number
  /** Probing stops when this factor more depth bought less than `minGain` more throughput. */
  readonly gainSpan: number
  /** See `gainSpan`; negative: the upper half must be clearly slower (window noise is ±30 %+). */
  readonly minGain: number
  /** No throughput judgement below this depth (the low end of the span): noise dominates there. */
  readonly gainFloor: number
  /**
   * From this depth on, each probe level is held for `levelMs` and judged for a throughput plateau
   * (see `plateauGain`). Below it one window per level: the climb must stay fast, and a device
   * that is saturated at 8 in flight is still found by median inflation.
   */
  readonly plateauFloor: number
  /** Time a probe level is held from `plateauFloor` on: one 30 ms window's IOPS swings ±50 %. */
  readonly levelMs: number
  /** A level is compared with the deepest held level at least this factor shallower. */
  readonly plateauSpan: number
  /**
   * Plateau: the relative throughput gain over that span is under this fraction of the relative
   * depth gain (elasticity d ln X / d ln N). Past saturation latency ∝ depth and the gain is 0; below
   * the knee of this VM's disk it is 0.35–0.6.
   */
  readonly plateauGain: number
  /** On a plateau, settle at the shallowest level of the span with this share of its best throughput (0.95 held 75–95 in flight on this disk in calm runs, where the p99 is 2× qd64's). */
  readonly plateauShare: number
  /** Hold time in `settled` before an upward re-probe. */
  readonly settleMs: number
  /** Windows a re-probe's first step is held for before its mean throughput is judged. */
  readonly reprobeWindows: number
  /** Period of the baseline re-measurement while engaged. */
  readonly rebaselineMs: number
  /** Relative upward drift of the baseline per second, so a lucky minimum does not stick. */
  readonly baselineDecayPerSec: number
  /** App-limited time after which the controller returns to passthrough (keeping its limit). */
  readonly idleMs: number
  /** A throughput or median-latency change of this factor while settled is a workload shift… */
  readonly shiftFactor: number
  /** …once it has lasted this many windows in a row. */
  readonly shiftWindows: number
  /** The p99 target is judged on at least this long… */
  readonly targetWindowMs: number
  /** …and this many completions (a p99 over 10 samples above it), or 4× the time when fewer. */
  readonly targetSamples: number
  /**
   * A target cut aims the p99 at this fraction of the target, and no depth is added while the last
   * verdict is above it: a controller that aims at the target itself spends half its time over it.
   */
  readonly targetHeadroom: number
  /**
   * A decision window whose latency at this quantile is over the target is a breach at once, before
   * the p99 verdict: 5 % of one window over the target means the p99 is well over it, and every
   * 100 ms spent over the target at the start of a disturbance is ~1 % of a 10 s p99.
   */
  readonly fastQuantile: number
  /**
   * Target cuts that quartered the depth must bring the p99 verdict under this fraction of the p99
   * where cutting last helped (our own queueing halves the latency when the depth halves). If they
   * did not, the latency is not ours (a neighbour saturating the device): the depth goes back to
   * that point and target cuts stop there until a verdict is under the target again, instead of
   * trading all the throughput for nothing. 0.75 let noise pass for relief under a neighbour.
   */
  readonly targetRelief: number
}

/** @internal */
export interface AimdConfig extends AimdTuning {
  readonly enabled: boolean
  /** p99 target in microseconds; 0 = none (inflation over the baseline still applies). */
  readonly p99TargetUs: number
  readonly minInFlight: number
  readonly maxInFlight: number
  readonly tickMs: number
  /** Upper bounds (µs) of the latency histogram buckets; one more bucket catches the overflow. */
  readonly bucketBoundsUs: ReadonlyArray<number>
}

/** @internal */
export interface AimdOptions {
  readonly enabled?: boolean | undefined
  readonly p99Target?: Duration.DurationInput | undefined
  readonly minInFlight?: number | undefined
  readonly maxInFlight?: number | undefined
  readonly tick?: Duration.DurationInput | undefined
  readonly tuning?: Partial<AimdTuning> | undefined
}

/**
 * Defaults chosen from the measurements in docs/design/aimd.md: windows of ≥ 200 completions and
 * ≥ 20 ms keep the p99 of one window meaningful (two samples above it) without slowing a
 * 2-second convergence; ×0.8 is the anchor's decrease, kept because it bounds the steady-state
 * dip at 20 %.
 *
 * @internal
 */
export const defaultTuning: AimdTuning = {
  minSamples: 200,
  minWindowMs: 30,
  maxWindowMs: 500,
  baselineDepth: 1,
  startDepth: 4,
  inflation: 4,
  inflationFloorUs: 256,
  inflationMinDepth: 32,
  backoff: 0.8,
  probeGain: 0.125,
  startGain: 0.25,
  gainSpan: 2,
  minGain: -0.25,
  gainFloor: 32,
  plateauFloor: 16,
  levelMs: 90,
  plateauSpan: 2,
  plateauGain: 0.15,
  plateauShare: 0.9,
  settleMs: 1000,
  reprobeWindows: 3,
  rebaselineMs: 10_000,
  baselineDecayPerSec: 0.02,
  idleMs: 1000,
  shiftFactor: 3,
  shiftWindows: 8,
  targetWindowMs: 150,
  targetSamples: 1000,
  targetHeadroom: 0.8,
  fastQuantile: 0.95,
  targetRelief: 0.6
}

/** @internal */
export const defaultBucketBoundsUs: ReadonlyArray<number> = Array.from({ length: 24 }, (_, i) => 2 ** i)

const positiveInt = (value: number | undefined, fallback: number): number =>
  value !== undefined && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback

/** @internal */
export const makeConfig = (
  options: AimdOptions = {},
  bucketBoundsUs: ReadonlyArray<number> = defaultBucketBoundsUs
): AimdConfig => {
  const maxInFlight = positiveInt(options.maxInFlight, 256)
  const minInFlight = Math.min(positiveInt(options.minInFlight, 1), maxInFlight)
  const tickMs = options.tick === undefined ? 10 : Math.max(1, Duration.toMillis(Duration.decode(options.tick)))
  const p99TargetUs = options.p99Target === undefined
    ? 0
    : Math.max(0, Duration.toMillis(Duration.decode(options.p99Target)) * 1000)
  const tuning = { ...defaultTuning, ...options.tuning }
  return {
    ...tuning,
    enabled: options.enabled ?? true,
    p99TargetUs: Number.isFinite(p99TargetUs) ? p99TargetUs : 0,
    minInFlight,
    maxInFlight,
    tickMs,
    bucketBoundsUs
  }
}
