/**
 * The AIMD controller as a pure function: `step(config, state, sample) → { state, limit }`.
 *
 * No clock, no I/O, no native call: the fiber (controller.ts) feeds it one sample per ring per tick
 * and writes the limit it returns. Ticks are accumulated into decision windows of at least
 * `minSamples` completions, so a decision never rests on a handful of latencies.
 *
 * Phases:
 * - passthrough — not throttling. The limit is what was learned (or the maximum): it never binds
 *   while the app is the bottleneck, and protects the device the moment demand returns.
 * - baseline — a short dip to `baselineDepth` to measure the unloaded latency (on first demand,
 *   periodically while engaged, and when the workload shifts).
 * - probe — additive increase, step ∝ limit, only while the app is not the bottleneck and more
 *   depth still buys throughput.
 * - backoff — multiplicative decrease after a p99-target breach or a median-latency inflation over
 *   the (decaying, re-measured) baseline.
 * - settled — hold; periodically re-probe upwards (a failed re-probe returns to the held limit).
 *
 * @internal
 */
import type { AimdConfig } from "./config.js"
import { percentile } from "./histogram.js"

/** @internal */
export type Phase = "passthrough" | "baseline" | "probe" | "backoff" | "settled"

/**
 * What one ring did during one tick. Counts are deltas since the previous sample.
 *
 * @internal
 */
export interface AimdSample {
  readonly elapsedMs: number
  /** Every completion of the tick (not sampled). */
  readonly completions: number
  /** Operations in the kernel (current or tick average). */
  readonly inFlight: number
  /** Operations waiting in the ring's limit queue. */
  readonly queued: number
  /** The limit the ring currently enforces. */
  readonly limit: number
  /** Completions per latency bucket during the tick, aligned with `config.bucketBoundsUs`. */
  readonly latency: ArrayLike<number>
}

/** @internal */
export interface WindowStats {
  readonly ms: number
  readonly completions: number
  /** Completions per second. */
  readonly throughput: number
  readonly p50Us: number
  readonly p99Us: number
  readonly inFlight: number
  readonly queued: number
}

interface Window {
  readonly ms: number
  readonly ticks: number
  readonly completions: number
  readonly inFlightSum: number
  readonly queuedSum: number
  readonly histogram: ReadonlyArray<number>
}

interface ProbePoint {
  readonly limit: number
  readonly throughput: number
  /** Length of the window (0 for a re-probe's settled point, which stands for a held level). */
  readonly ms: number
  /** Mean in flight over the window: the first window after a step still runs at the old depth. */
  readonly inFlight: number
}

/** Consecutive probe windows at one limit. */
interface Level {
  readonly limit: number
  readonly ms: number
  /**
   * Completions over time across the level's windows. (The best window's throughput, tried first on
   * the idea that stalls only take throughput away, picked 95 in flight on one window of 218k IOPS
   * between windows of 174k and 126k: 30 ms windows also catch completion bursts.)
   */
  readonly throughput: number
}

/** @internal */
export interface AimdState {
  readonly phase: Phase
  /** The limit the controller wants enforced. */
  readonly limit: number
  /** Last limit validated by a settle or a backoff; 0 = nothing learned yet. */
  readonly learnedLimit: number
  /** Unloaded median / p99 latency; 0 = not measured yet. */
  readonly baselineP50Us: number
  readonly baselineP99Us: number
  /** The last completed decision window. */
  readonly last: WindowStats | undefined
  readonly window: Window
  readonly phaseMs: number
  readonly sinceBaselineMs: number
  readonly appLimitedMs: number
  /** Consecutive windows with a breach. */
  readonly breaches: number
  /** Windows still to discard: those right after a decrease carry latencies of the old depth. */
  readonly skip: number
  /** (limit, throughput) of the current probe, oldest first. */
  readonly history: ReadonlyArray<ProbePoint>
  /**
   * The shallower level of a first plateau verdict in this probe (0 = none): one more level must
   * confirm it before the probe settles, because one comparison of two levels is wrong ~25 % of the
   * time on this disk below the knee, and two in a row rarely are.
   */
  readonly plateauRef: number
  /**
   * The last held level still bought throughput (elasticity ≥ `plateauGain`): the latency it added
   * is parallelism being used, not a queue, so median inflation does not stop the probe.
   */
  readonly scaling: boolean
  /**
   * The limit held before the p99 target started cutting (0 = none). A probe below it climbs back
   * +25 % a window without holding levels: that depth was fine before the disturbance, and at +12.5 %
   * per held level the way back from 11 to 75 in flight took 1.5 s once the neighbour left.
   */
  readonly regrowTo: number
  /** Limit held while a baseline is measured, and the phase to go back to. */
  readonly holdLimit: number
  readonly returnPhase: Phase
  /** The settled limit a re-probe started from, until its first step is judged (0 = none). */
  readonly reprobeFrom: number
  /** A re-probe's start, for the whole probe: a breach never backs off below it. */
  readonly reprobeFloor: number
  /** Limit at which the current backoff started. */
  readonly backoffFrom: number
  /** Smoothed window stats while settled, to notice a workload shift. */
  readonly reference: WindowStats | undefined
  /** Consecutive settled windows that differ from the reference by `shiftFactor`. */
  readonly shifts: number
  /** Throughput of recent windows (max, decaying ×0.9 per window), to tell a stall. */
  readonly recentThroughput: number
  /**
   * Latencies since the last target verdict. A 30 ms window's p99 rests on ~10 samples and swings
   * 5× on a shared disk; the p99 target is judged on ≥ `targetSamples` over ≥ `targetWindowMs`.
   */
  readonly target: TargetWindow
  /** p99 of the last target verdict in this phase (0 = none yet). */
  readonly targetP99Us: number
  /** p50 of the same verdict's latencies. */
  readonly targetP50Us: number
  /** p99 of the verdict before the last one in this phase (0 = none). */
  readonly previousP99Us: number
  /**
   * A series of target cuts: the limit before its first cut and the p99 that started it (0 = none;
   * a p99 of 0 with a limit: started by a fast breach, and the first verdict sets it),
   * moved down to the current limit and verdict whenever a verdict shows the cuts bought latency.
   * It lasts across backoff/settled episodes until a step up or a baseline: a p99 hovering at the target cuts a little at a time, and only the whole
   * series says whether less depth still buys any latency.
   */
  readonly cutFrom: number
  readonly cutP99Us: number
  /**
   * The median of the verdict that set `cutP99Us`. Relief needs the median down too: our own queue
   * is in every latency (Little: W = N / X), so cutting it lowers the median with the tail, while a
   * neighbour's writes delay a few reads a lot. A p99 falling alone is a disturbance decaying (the
   * writer's onset), which, credited as relief, moved the series down a halving at a time.
   */
  readonly cutP50Us: number
  /** The limit `cutP99Us` was measured at (a fast-started series: the depth of its first verdict). */
  readonly cutP99Limit: number
  /**
   * Target cuts never go below this (0 = no floor): set when cutting depth did not bring the p99
   * down, cleared by a verdict under the target, a baseline or passthrough, or a verdict at twice
   * `floorP99Us` with a median at twice `floorP50Us`: our own queue raises the median with the tail,
   * and the p99 that showed the cuts futile no longer describes the device. A neighbour's bursts
   * double the p99 alone (verdicts at one depth swing 2–3× under the writer here), and clearing the
   * floor on those restarted the cuts down to 1–7 in flight, twice per noisy-neighbour round.
   */
  readonly targetFloor: number
  readonly floorP99Us: number
  readonly floorP50Us: number
}

interface TargetWindow {
  readonly ms: number
  readonly completions: number
  readonly histogram: ReadonlyArray<number>
}

/** @internal */
export interface Transition {
  readonly from: Phase
  readonly to: Phase
  readonly reason: string
}

/** @internal */
export interface StepResult {
  readonly state: AimdState
  readonly limit: number
  readonly transition: Transition | undefined
}

const emptyWindow = (buckets: number): Window => ({
  ms: 0,
  ticks: 0,
  completions: 0,
  inFlightSum: 0,
  queuedSum: 0,
  histogram: new Array<number>(buckets).fill(0)
})

const bucketCount = (config: AimdConfig): number => config.bucketBoundsUs.length + 1

/** @internal */
export const initial = (config: AimdConfig): AimdState => ({
  phase: "passthrough",
  limit: config.maxInFlight,
  learnedLimit: 0,
  baselineP50Us: 0,
  baselineP99Us: 0,
  last: undefined,
  window: emptyWindow(bucketCount(config)),
  phaseMs: 0,
  sinceBaselineMs: 0,
  appLimitedMs: 0,
  breaches: 0,
  skip: 0,
  history: [],
  plateauRef: 0,
  scaling: false,
  regrowTo: 0,
  holdLimit: 0,
  returnPhase: "passthrough",
  reprobeFrom: 0,
  reprobeFloor: 0,
  backoffFrom: 0,
  reference: undefined,
  shifts: 0,
  recentThroughput: 0,
  target: emptyTarget(bucketCount(config)),
  targetP99Us: 0,
  targetP50Us: 0,
  previousP99Us: 0,
  cutFrom: 0,
  cutP99Us: 0,
  cutP50Us: 0,
  cutP99Limit: 0,
  targetFloor: 0,
  floorP99Us: 0,
  floorP50Us: 0
})

const emptyTarget = (buckets: number): TargetWindow => ({
  ms: 0,
  completions: 0,
  histogram: new Array<number>(buckets).fill(0)
})

const clamp = (config: AimdConfig, limit: number): number =>
  Math.max(config.minInFlight, Math.min(config.maxInFlight, Math.round(limit)))

const accumulate = (window: Window, sample: AimdSample): Window => {
  const histogram = window.histogram.slice()
  const n = Math.min(histogram.length, sample.latency.length)
  for (let i = 0; i < n; i++) histogram[i]! += sample.latency[i]!
  return {
    ms: window.ms + Math.max(0, sample.elapsedMs),
    ticks: window.ticks + 1,
    completions: window.completions + Math.max(0, sample.completions),
    inFlightSum: window.inFlightSum + Math.max(0, sample.inFlight),
    queuedSum: window.queuedSum + Math.max(0, sample.queued),
    histogram
  }
}

const summarize = (config: AimdConfig, window: Window): WindowStats => ({
  ms: window.ms,
  completions: window.completions,
  throughput: window.ms > 0 ? (window.completions * 1000) / window.ms : 0,
  p50Us: percentile(config.bucketBoundsUs, window.histogram, 0.5),
  p99Us: percentile(config.bucketBoundsUs, window.histogram, 0.99),
  inFlight: window.ticks > 0 ? window.inFlightSum / window.ticks : 0,
  queued: window.ticks > 0 ? window.queuedSum / window.ticks : 0
})

/** Netflix's rule: more depth cannot help while the caller keeps less than half of it busy. */
const appLimited = (state: AimdState, w: WindowStats): boolean =>
  w.queued < 0.5 && w.inFlight < state.limit / 2

/** Step ∝ limit: +1 at small depths, +12.5 % at large ones, so 4 → 48 takes ~17 windows. */
const increase = (config: AimdConfig, limit: number, gain: number = config.probeGain): number =>
  clamp(config, limit + Math.max(1, Math.ceil(limit * gain)))

/**
 * Decrease from what is really in flight: ×0.8 of an unused limit of 256 would change nothing. A
 * target breach scales the cut with its size, aiming the p99 at `targetHeadroom` × the target (a
 * p99 at 1.6× the target halves the depth), down to ×0.5: target verdicts come every ~150 ms, too
 * slowly to walk down in ×0.8 steps. Target cuts stop at the target floor.
 */
const decrease = (config: AimdConfig, state: AimdState, w: WindowStats, breach?: Breach): number => {
  const target = breach !== undefined && breach.kind !== "inflation"
  const factor = target && breach.p99Us > config.p99TargetUs
    ? Math.max(0.5, Math.min(config.backoff, (config.targetHeadroom * config.p99TargetUs) / breach.p99Us))
    : config.backoff
  const cut = clamp(config, Math.floor(Math.min(state.limit, Math.max(1, Math.ceil(w.inFlight))) * factor))
  return target ? Math.max(cut, Math.min(state.limit, state.targetFloor)) : cut
}

interface Breach {
  /** `fast`: a window's p95 over the target, before the p99 verdict (confirmed over two windows). */
  readonly kind: "target" | "fast" | "inflation"
  /** For a target breach: the p99 it rests on (a verdict's, or a fast breach's window p99). */
  readonly p99Us: number
  readonly reason: string
}

/** The last verdict is above the headroom under the target: adding depth would cross it. */
const nearTarget = (config: AimdConfig, state: AimdState): boolean =>
  config.p99TargetUs > 0 && state.targetP99Us > config.targetHeadroom * config.p99TargetUs

const breachOf = (
  config: AimdConfig,
  state: AimdState,
  w: WindowStats,
  verdict: number | undefined,
  fastUs: number,
  stall: boolean
): Breach | undefined => {
  if (config.p99TargetUs > 0 && verdict !== undefined && verdict > config.p99TargetUs) {
    return {
      kind: "target",
      p99Us: verdict,
      reason: `p99 ${fmt(verdict)} over target ${fmt(config.p99TargetUs)}`
    }
  }
  // Not in a stall: a window where the whole device stopped says nothing about our depth.
  if (config.p99TargetUs > 0 && verdict === undefined && fastUs > config.p99TargetUs && !stall) {
    return {
      kind: "fast",
      p99Us: Math.max(w.p99Us, fastUs),
      reason: `p${Math.round(config.fastQuantile * 100)} ${fmt(fastUs)} of one window over target ${
        fmt(config.p99TargetUs)
      }`
    }
  }
  const threshold = Math.max(config.inflation * state.baselineP50Us, config.inflationFloorUs)
  if (state.baselineP50Us > 0 && w.p50Us > threshold && !stall) {
    return {
      kind: "inflation",
      p99Us: w.p99Us,
      reason: `p50 ${fmt(w.p50Us)} over ${config.inflation}× baseline ${fmt(state.baselineP50Us)}`
    }
  }
  return undefined
}

const fmt = (us: number): string => us >= 1000 ? `${(us / 1000).toFixed(2)}ms` : `${Math.round(us)}µs`

const result = (state: AimdState, transition?: Transition): StepResult => ({
  state,
  limit: state.limit,
  transition
})

const goto = (
  config: AimdConfig,
  state: AimdState,
  phase: Phase,
  limit: number,
  reason: string,
  extra: Partial<AimdState> = {}
): StepResult => {
  const next: AimdState = {
    ...state,
    phase,
    limit: clamp(config, limit),
    phaseMs: 0,
    appLimitedMs: 0,
    breaches: 0,
    // A target verdict speaks for one regime: latencies from before a phase change do not count.
    target: emptyTarget(bucketCount(config)),
    targetP99Us: 0,
    targetP50Us: 0,
    previousP99Us: 0,
    // Nor does the throughput of another depth: a deliberate cut is not a stall.
    recentThroughput: 0,
    ...extra
  }
  return result(next, phase === state.phase ? undefined : { from: state.phase, to: phase, reason })
}

/**
 * A re-probe starts its history with the settled point, so every step up is judged against what
 * the held limit already delivers.
 */
const enterProbe = (
  config: AimdConfig,
  state: AimdState,
  from: number,
  reason: string,
  settledThroughput?: number
) => {
  const start = clamp(config, from)
  return goto(config, state, "probe", start, reason, {
    // The settled point stands for a fully held level: it was measured over many windows.
    history: settledThroughput === undefined ? [] : [{ limit: start, throughput: settledThroughput, ms: config.levelMs, inFlight: start }],
    plateauRef: 0,
    scaling: false,
    reprobeFrom: settledThroughput === undefined ? 0 : start,
    reprobeFloor: settledThroughput === undefined ? 0 : start
  })
}

const enterBackoff = (config: AimdConfig, state: AimdState, limit: number, breach: Breach) => {
  const target = breach.kind !== "inflation"
  // Settled and meeting the target at the last verdict: whatever breaches now is new, and the depth
  // held is where a futile series returns to (a series kept from a probe's overshoot in the quiet
  // part of the run returned to its 105 in flight when the writer started, and held it there).
  // (A verdict breach is itself the last verdict: the one before it says how the depth did.)
  const lastP99Us = breach.kind === "target" ? state.previousP99Us : state.targetP99Us
  const fresh = state.cutFrom === 0 ||
    (state.phase === "settled" && lastP99Us > 0 && lastP99Us <= config.p99TargetUs)
  return goto(config, state, "backoff", limit, breach.reason, {
    skip: 1,
    backoffFrom: state.limit,
    // The first target cut of a series remembers where it started. A fast breach's p99 is one
    // window's, at a neighbour's onset a stall (5–16 ms here) that decays whatever the depth: every
    // verdict after it looked like relief, and the series went on from each cut depth down to 1–3 in
    // flight. The first verdict after it sets the series' p99 instead. A fast breach or one at twice
    // the series' p99 takes a new reference: the device changed, and judged against the old one the
    // first halving read as no relief. The point to return to stays: restarted from the cut depth,
    // the series ratcheted 48 → 16 → 4.
    ...(target && (fresh || breach.kind === "fast" || breach.p99Us > 2 * state.cutP99Us)
      ? {
        cutFrom: fresh ? state.limit : state.cutFrom,
        cutP99Us: breach.kind === "fast" ? 0 : breach.p99Us,
        // The verdict's median can predate the change (its 150 ms straddle it); the last window's cannot.
        cutP50Us: breach.kind === "fast" ? 0 : Math.max(state.targetP50Us, state.last?.p50Us ?? 0),
        cutP99Limit: state.limit
      }
      : {}),
    // Only a depth that was held, not one a probe was trying: the device changed under it.
    ...(target && state.phase === "settled" ? { regrowTo: Math.max(state.regrowTo, state.limit) } : {}),
    reprobeFrom: 0,
    reprobeFloor: 0,
    target: emptyTarget(bucketCount(config))
  })
}

const enterSettled = (
  config: AimdConfig,
  state: AimdState,
  limit: number,
  reason: string,
  extra: Partial<AimdState> = {}
) => {
  const clamped = clamp(config, limit)
  return goto(config, state, "settled", clamped, reason, {
    learnedLimit: clamped,
    reprobeFrom: 0,
    reprobeFloor: 0,
    reference: undefined,
    shifts: 0,
    ...extra
  })
}

const enterBaseline = (config: AimdConfig, state: AimdState, hold: number, returnPhase: Phase, reason: string) =>
  goto(config, state, "baseline", config.baselineDepth, reason, {
    skip: 1,
    holdLimit: clamp(config, hold),
    returnPhase,
    targetFloor: 0,
    cutFrom: 0,
    cutP99Us: 0,
    regrowTo: 0
  })

const enterPassthrough = (config: AimdConfig, state: AimdState, learned: number, reason: string) =>
  goto(config, state, "passthrough", learned > 0 ? learned : config.maxInFlight, reason, {
    learnedLimit: learned,
    reprobeFrom: 0,
    reprobeFloor: 0,
    targetFloor: 0,
    cutFrom: 0,
    cutP99Us: 0,
    regrowTo: 0
  })

/** @internal */
export const step = (config: AimdConfig, state: AimdState, sample: AimdSample): StepResult => {
  const elapsed = Math.max(0, sample.elapsedMs)
  const drift = 1 + (config.baselineDecayPerSec * elapsed) / 1000
  const window = accumulate(state.window, sample)
  const advanced: AimdState = {
    ...state,
    window,
    phaseMs: state.phaseMs + elapsed,
    sinceBaselineMs: state.sinceBaselineMs + elapsed,
    baselineP50Us: state.baselineP50Us * drift,
    baselineP99Us: state.baselineP99Us * drift
  }
  const full = window.completions >= config.minSamples && window.ms >= config.minWindowMs
  const thin = !full && window.ms >= config.maxWindowMs
  if (!full && !thin) return result(advanced)
  const w = summarize(config, window)
  const closed: AimdState = { ...advanced, window: emptyWindow(bucketCount(config)), last: w }
  if (closed.skip > 0) return result({ ...closed, skip: closed.skip - 1 })
  return thin ? decideThin(config, closed, w) : decide(config, closed, w, window.histogram)
}

const decideThin = (config: AimdConfig, state: AimdState, w: WindowStats): StepResult => {
  if (state.phase === "baseline") {
    return finishBaseline(config, state, w.completions >= 20 ? w : undefined)
  }
  if (state.phase === "passthrough") {
    // Few completions but a full ring: the device is drowning, not idle. Engage.
    if (appLimited(state, w)) return result(state)
    const start = state.learnedLimit > 0 ? state.learnedLimit : config.startDepth
    return state.baselineP50Us === 0
      ? enterBaseline(config, state, start, "probe", "slow completions with a full ring")
      : enterProbe(config, state, start, "slow completions with a full ring")
  }
  const idle = state.appLimitedMs + w.ms
  if (idle >= config.idleMs) {
    return enterPassthrough(config, state, learnedOnIdle(state), "idle: too few completions to decide")
  }
  return result({ ...state, appLimitedMs: idle })
}

/** An unfinished probe has not validated its limit: keep the previous lesson. */
const learnedOnIdle = (state: AimdState): number =>
  state.phase === "probe" ? (state.learnedLimit > 0 ? state.learnedLimit : 0) : state.limit

const finishBaseline = (config: AimdConfig, state: AimdState, w: WindowStats | undefined): StepResult => {
  const measured: AimdState = w === undefined ? state : {
    ...state,
    baselineP50Us: w.p50Us,
    baselineP99Us: w.p99Us,
    sinceBaselineMs: 0
  }
  const reason = w === undefined
    ? "baseline abandoned: no load"
    : `baseline p50 ${fmt(w.p50Us)} p99 ${fmt(w.p99Us)}`
  switch (state.returnPhase) {
    case "probe":
      return enterProbe(config, measured, state.holdLimit, reason)
    case "settled":
      return enterSettled(config, measured, state.holdLimit, reason)
    default:
      return enterPassthrough(config, measured, state.learnedLimit, reason)
  }
}

/** Adds a window to the target accumulator; returns the p99 verdict when it has enough. */
const judgeTarget = (
  config: AimdConfig,
  state: AimdState,
  w: WindowStats,
  histogram: ReadonlyArray<number>
): { readonly state: AimdState; readonly verdict: number | undefined } => {
  if (config.p99TargetUs <= 0) return { state, verdict: undefined }
  const acc = state.target.histogram.slice()
  for (let i = 0; i < acc.length && i < histogram.length; i++) acc[i]! += histogram[i]!
  const target: TargetWindow = {
    ms: state.target.ms + w.ms,
    completions: state.target.completions + w.completions,
    histogram: acc
  }
  const ready = target.ms >= config.targetWindowMs &&
    (target.completions >= config.targetSamples || target.ms >= 4 * config.targetWindowMs)
  if (!ready) return { state: { ...state, target }, verdict: undefined }
  const verdict = percentile(config.bucketBoundsUs, acc, 0.99)
  const targetP50Us = percentile(config.bucketBoundsUs, acc, 0.5)
  return {
    state: { ...state, target: emptyTarget(acc.length), targetP99Us: verdict, targetP50Us, previousP99Us: state.targetP99Us },
    verdict
  }
}

const decide = (
  config: AimdConfig,
  state0: AimdState,
  w: WindowStats,
  histogram: ReadonlyArray<number>
): StepResult => {
  // A window at (almost) depth 1 is a free baseline measurement; any lower median is too.
  let state = state0
  if (state.baselineP50Us > 0) {
    state = {
      ...state,
      baselineP50Us: Math.min(state.baselineP50Us, w.p50Us),
      baselineP99Us: Math.min(state.baselineP99Us, w.p99Us)
    }
  } else if (w.inFlight <= config.baselineDepth + 0.5) {
    state = { ...state, baselineP50Us: w.p50Us, baselineP99Us: w.p99Us, sinceBaselineMs: 0 }
  }

  const judged = judgeTarget(config, state, w, histogram)
  state = judged.state
  const verdict = judged.verdict
  // A verdict under the target means the device can meet it again: target cuts may go lower.
  if (
    verdict !== undefined && state.targetFloor > 0 &&
    (verdict <= config.p99TargetUs || (verdict > 2 * state.floorP99Us && state.targetP50Us > 2 * state.floorP50Us))
  ) {
    state = { ...state, targetFloor: 0, floorP99Us: 0, floorP50Us: 0 }
  }
  // A series started by a fast breach takes its reference p99 from its first verdict.
  if (verdict !== undefined && state.cutFrom > 0 && state.cutP99Us === 0) {
    state = { ...state, cutP99Us: verdict, cutP50Us: state.targetP50Us, cutP99Limit: state.limit }
  }
  // One verdict with headroom does not end a series: under a neighbour the verdicts swing 2–3×, and
  // a series restarted at every lucky one ratchets the depth down to nothing.
  if (
    verdict !== undefined && state.cutFrom > 0 && state.limit < state.cutFrom &&
    relieved(config, state, verdict)
  ) {
    // The cuts so far bought latency: the next ones are judged from here.
    state = { ...state, cutFrom: state.limit, cutP99Us: verdict, cutP50Us: state.targetP50Us, cutP99Limit: state.limit }
  }
  const fastUs = config.p99TargetUs > 0 ? percentile(config.bucketBoundsUs, histogram, config.fastQuantile) : 0
  // Queueing we add raises latency at about the same throughput (Little: X = N / W). Throughput
  // under a third of its recent level is the device stalling (another tenant, the host), which less
  // depth does not cure: no inflation verdict and no growth then. (Half was too eager: windows swing
  // ±50 % here.) The recent level decays ×0.9 per window, so a lasting slowdown is judged again.
  const stall = w.throughput < state.recentThroughput / 3
  state = { ...state, recentThroughput: Math.max(state.recentThroughput * 0.9, w.throughput) }
  const breach = breachOf(config, state, w, verdict, fastUs, stall)
  const breaches = breach === undefined ? 0 : state.breaches + 1
  state = { ...state, breaches }
  // Inflation: two windows in a row (on a shared virtual disk one 30 ms window with a stall is
  // common). A target verdict already rests on ≥ 1000 completions.
  const confirmed = breach !== undefined && (breach.kind === "target" || breaches >= 2)
  const futile = futileCut(config, state, breach)
  const limited = appLimited(state, w)

  switch (state.phase) {
    case "baseline":
      return finishBaseline(config, state0, w)

    case "passthrough": {
      if (confirmed) {
        // Nothing learned yet: backing off from an arbitrary depth only finds a tolerable one; a
        // slow start from below finds the knee.
        if (state.learnedLimit === 0) {
          return state.baselineP50Us === 0
            ? enterBaseline(config, state, config.startDepth, "probe", breach.reason)
            : enterProbe(config, state, config.startDepth, breach.reason)
        }
        return enterBackoff(config, state, decrease(config, state, w, breach), breach)
      }
      if (state.baselineP50Us === 0 && w.inFlight > config.baselineDepth + 0.5) {
        const start = state.learnedLimit > 0 ? state.learnedLimit : config.startDepth
        return limited
          ? enterBaseline(config, state, state.limit, "passthrough", "first load: measure baseline")
          : enterBaseline(config, state, start, "probe", "first demand: measure baseline")
      }
      if (!limited) {
        const start = state.learnedLimit > 0 ? state.learnedLimit : config.startDepth
        return enterProbe(config, state, start, "demand: queue or in-flight ≥ limit/2")
      }
      return result(state)
    }

    case "probe": {
      // Latency that rose while throughput rose with it is depth being used (a device in a "storm"
      // keeps gaining IOPS up to qd256 here); only the plateau rule stops such a probe.
      // A re-probe's first step is judged on its throughput (kneeCheck), which inflation says nothing about.
      const probeBreach =
        breach?.kind === "inflation" &&
          ((state.limit < config.inflationMinDepth && !falling(state, w)) || state.scaling || state.reprobeFrom > 0 ||
            state.regrowTo > state.limit || stillScaling(config, state, w))
          ? undefined
          : breach
      if (confirmed && probeBreach !== undefined) {
        // Median inflation past held levels: settle at the shallowest of the last 2× with most of
        // their throughput. ×0.8 of 94 in flight landed at 70–75 on this disk, where the p99 is 2–3×
        // qd64's; and a backoff keeps cutting while the median stays over 4× the depth-1 one, which
        // on a device that parallelises past 4× its qd1 rate (bursts of 230k IOPS at 148 in flight
        // here, 12k at qd1) is every depth near its knee.
        const pick = breach.kind === "inflation" ? pickLevel(config, levelsOf(config, state.history), state.limit / 2) : 0
        if (pick > 0) return enterSettled(config, state, Math.max(state.reprobeFloor, pick), breach.reason)
        // A re-probe never backs off below the limit it started from: that one was already fine —
        // unless the p99 is far over the target, which one step up does not do: the device changed
        // (a neighbour's onset during a re-probe held 74 in flight for 0.6 s at a p99 of 15 ms).
        const floor = breach.kind !== "inflation" && breach.p99Us > 1.5 * config.p99TargetUs ? 0 : state.reprobeFloor
        const to = Math.max(floor, decrease(config, state, w, breach))
        return enterBackoff(config, state, Math.min(to, state.limit), breach)
      }
      // An unconfirmed breach, or a stall: do not add depth until a window says more.
      if (probeBreach !== undefined || stall) return result(state)
      // The p99 is within the headroom under the target: one more step would cross it.
      if (nearTarget(config, state)) {
        return enterSettled(config, state, state.limit, `p99 ${fmt(state.targetP99Us)} near the target`)
      }
      // One window's p99 is too noisy for a verdict but enough to wait for one before the next step:
      // a step up is taken on evidence of room, and growth outpaces the verdicts (~150 ms) otherwise.
      if (config.p99TargetUs > 0 && w.p99Us > config.targetHeadroom * config.p99TargetUs) {
        return result({ ...state, appLimitedMs: 0 })
      }
      if (limited) {
        const idle = state.appLimitedMs + w.ms
        if (idle >= config.idleMs) {
          return enterPassthrough(config, state, learnedOnIdle(state), "app-limited: in-flight < limit/2")
        }
        return result({ ...state, appLimitedMs: idle })
      }
      const point: ProbePoint = { limit: state.limit, throughput: w.throughput, ms: w.ms, inFlight: w.inFlight }
      const knee = kneeCheck(config, state, point)
      if (knee !== undefined && "hold" in knee) {
        return result({ ...state, appLimitedMs: 0, history: [...state.history, point] })
      }
      if (knee !== undefined) return enterSettled(config, state, knee.settleAt, knee.reason)
      const history = [...(state.history.length >= 64 ? [state.history[0]!, ...state.history.slice(2)] : state.history), point]
      let plateauRef = state.plateauRef
      let scaling = state.scaling
      const regrowing = state.regrowTo > state.limit
      // Levels are held only where a plateau can be judged (a median near or over the inflation
      // floor): page-cache rings, whose median stays at tens of µs, climb at one window per level as
      // before (held levels there took 1.2 s from 16 to 256 and cost zero-config readMany a quarter
      // of its IOPS in 2 s runs).
      const holding = w.p50Us > config.inflationFloorUs / 2
      if (state.limit >= config.plateauFloor && state.reprobeFrom === 0 && !regrowing && holding) {
        // Hold the level until it has enough windows to be compared with a shallower one.
        if (heldMs(history, state.limit) < config.levelMs) return result({ ...state, appLimitedMs: 0, history })
        const plateau = plateauCheck(config, state, history, w)
        if (plateau !== undefined && "settleAt" in plateau) {
          return enterSettled(config, state, plateau.settleAt, plateau.reason)
        }
        plateauRef = plateau !== undefined && "ref" in plateau ? plateau.ref : 0
        scaling = plateau !== undefined && "gain" in plateau
      }
      if (state.limit >= config.maxInFlight) {
        // Still gaining at the maximum, or not: the shallowest of the last 2× with most of the throughput.
        const pick = pickLevel(config, levelsOf(config, history), state.limit / config.plateauSpan)
        return enterSettled(config, state, pick > 0 ? pick : state.limit, "at maxInFlight")
      }
      return result({
        ...state,
        appLimitedMs: 0,
        history,
        plateauRef,
        scaling,
        // Nothing learned yet: a first probe climbs twice as fast (+25 %) to reach the knee in time.
        limit: regrowing
          ? Math.min(state.regrowTo, increase(config, state.limit, config.startGain))
          : increase(config, state.limit, state.learnedLimit === 0 ? config.startGain : config.probeGain),
        // A re-probe whose first step paid off is an ordinary probe from here on.
        reprobeFrom: state.reprobeFrom > 0 && state.limit > state.reprobeFrom ? 0 : state.reprobeFrom,
        // Depth added without a breach: cuts from here on start a new series.
        cutFrom: 0,
        cutP99Us: 0
      })
    }

    case "backoff": {
      if (futile !== undefined) return futile
      if (breach !== undefined && breach.kind !== "inflation") {
        // A fast breach starts a backoff; further cuts wait for verdicts, which say whether the last
        // cut bought latency (fast cuts every other window would reach minInFlight before one came).
        if (breach.kind === "fast") return result(state)
        const to = decrease(config, state, w, breach)
        // At the minimum (or the target floor) a target breach cannot be helped: hold there.
        if (to >= state.limit) return result(state)
        return result({
          ...state,
          limit: to,
          skip: 1,
          target: emptyTarget(bucketCount(config)),
          recentThroughput: 0
        })
      }
      // A backoff that the p99 target started is the target's to end: median inflation on top of a
      // target breach (a neighbour) re-measured the baseline mid-disturbance and probed into it.
      if (breach !== undefined && !(breach.kind === "inflation" && config.p99TargetUs > 0 && state.cutFrom > 0)) {
        const stale = breach.kind === "inflation" &&
          (state.limit <= config.minInFlight || state.limit * 2 <= state.backoffFrom)
        if (stale) {
          // Halving the depth did not bring the median down: the device (or the workload) is slower
          // than the baseline says, not overloaded. Re-measure instead of collapsing to the minimum.
          return enterBaseline(config, state, state.limit, "probe", "inflation persists at low depth: re-baseline")
        }
        if (state.limit <= config.minInFlight) return result(state)
        return result({
          ...state,
          limit: decrease(config, state, w, breach),
          skip: 1,
          target: emptyTarget(bucketCount(config)),
          recentThroughput: 0
        })
      }
      // With a target, only a verdict at the new depth ends the backoff, not one quiet window.
      if (config.p99TargetUs > 0 && verdict === undefined) return result(state)
      return enterSettled(config, state, state.limit, "latency back under threshold")
    }

    case "settled": {
      // Settled, the depth has not changed: median inflation now is the device's doing (a stall, a
      // neighbour), not queueing we added, and cutting depth would not cure it. A lasting change is a
      // workload shift (below); only the user's p99 target makes the controller give depth away here.
      if (futile !== undefined) return futile
      if (confirmed && breach.kind !== "inflation") {
        const to = decrease(config, state, w, breach)
        // Held at the target floor: cutting was shown not to help; wait for the target to be met.
        if (to < state.limit) return enterBackoff(config, state, to, breach)
      }
      if (limited) {
        const idle = state.appLimitedMs + w.ms
        if (idle >= config.idleMs) return enterPassthrough(config, state, state.limit, "app-limited: in-flight < limit/2")
        return result({ ...state, appLimitedMs: idle })
      }
      const ref = state.reference
      // Below a depth the target cut from, a jump in throughput is the neighbour leaving: re-grow handles
      // it (a shift re-measured the baseline while the neighbour was still writing).
      const cutByTarget = state.regrowTo > state.limit || state.targetFloor > 0
      const shifts = ref !== undefined && !cutByTarget && isShift(config, ref, w) ? state.shifts + 1 : 0
      if (shifts >= config.shiftWindows) {
        // Probe from half the held limit: a knee that moved down is found from below too.
        const from = Math.max(config.startDepth, Math.floor(state.limit / 2))
        // What was learned belongs to the old workload: climb as on first demand (+25 % a window).
        return enterBaseline(config, { ...state, learnedLimit: 0 }, from, "probe", "workload shift")
      }
      if (state.sinceBaselineMs >= config.rebaselineMs) {
        return enterBaseline(config, state, state.limit, "settled", "periodic baseline re-measure")
      }
      if (state.phaseMs >= config.settleMs && !nearTarget(config, state)) {
        return state.regrowTo > state.limit
          ? enterProbe(config, state, state.limit, `re-grow towards ${state.regrowTo} (held before the target cuts)`)
          : enterProbe(config, state, state.limit, "periodic re-probe", (ref ?? w).throughput)
      }
      // A window that looks like a shift is kept out of the reference until the shift is confirmed.
      return result({ ...state, appLimitedMs: 0, shifts, reference: shifts > 0 ? ref : smooth(ref, w) })
    }
  }
}

/**
 * Did the series' cuts buy latency? The verdict's p99 under `targetRelief` × the reference's, with
 * the median down by a fifth at least (see `cutP50Us`).
 */
const relieved = (config: AimdConfig, state: AimdState, p99Us: number): boolean =>
  p99Us <= config.targetRelief * state.cutP99Us && state.targetP50Us <= 0.8 * state.cutP50Us

/**
 * A series of target cuts that halved the depth since its reference verdict (or that reached
 * `minInFlight`) and still has a p99 verdict over the target, not under `targetRelief` × the
 * reference's with the median down too: less depth did not buy latency, so a neighbour or the host
 * sets it, not our queue. Go back to where cutting last helped (`cutFrom`) and stop target cuts
 * there until the target is met again (or p99 and median double: our queue grew). Judged on
 * verdicts only. One halving is enough evidence: the previous rule waited for a second one, which
 * under a 128 KiB writer took the depth to 1–6 in flight, where the p99 was no better or worse than
 * at 32 (3.6–5.0 ms at 2–4 in flight against 1.6–2.2 ms at 32 on this VM's disk: with few reads
 * queued, mq-deadline lets the writes through first), at a tenth of the throughput.
 */
const futileCut = (config: AimdConfig, state: AimdState, breach: Breach | undefined): StepResult | undefined => {
  if (breach?.kind !== "target" || state.cutFrom === 0 || state.cutP99Us === 0) return undefined
  const atMin = state.limit <= config.minInFlight
  const refLimit = state.cutP99Limit > 0 ? state.cutP99Limit : state.cutFrom
  if (!atMin && state.limit * 2 > refLimit) return undefined
  if (!atMin && relieved(config, state, breach.p99Us)) return undefined
  return enterSettled(
    config,
    state,
    state.cutFrom,
    `p99 ${fmt(breach.p99Us)} at ${state.limit} in flight did not follow the depth down from ${refLimit}: not ours`,
    {
      targetFloor: state.cutFrom,
      floorP99Us: breach.p99Us,
      floorP50Us: state.targetP50Us,
      cutFrom: 0,
      cutP99Us: 0,
      cutP50Us: 0,
      cutP99Limit: 0
    }
  )
}

/**
 * Did the last doubling of depth buy throughput? A re-probe's first step is judged against the
 * settled point (smoothed over many windows). Otherwise, once the probe spans a factor 2 above
 * `gainFloor`, the windows of that span are split at its geometric middle and the two halves'
 * mean throughputs compared: on a shared virtual disk one window's IOPS swings by ±30–50 %, so
 * one window against another decides nothing. When it did not pay, settle at the best point of the
 * lower half.
 */
const kneeCheck = (
  config: AimdConfig,
  state: AimdState,
  point: ProbePoint
): { readonly settleAt: number; readonly reason: string } | { readonly hold: true } | undefined => {
  if (state.reprobeFrom > 0) {
    const first = state.history[0]
    // Below gainFloor one step's gain drowns in noise: climb, and let breaches or the halves test stop it.
    if (first === undefined || first.limit >= point.limit || first.limit < config.gainFloor) return undefined
    // The step is held for `reprobeWindows` windows and judged on their mean: one window is noise.
    const same = state.history.filter((p) => p.limit === point.limit)
    if (same.length + 1 < config.reprobeWindows) return { hold: true }
    const mean = (same.reduce((a, p) => a + p.throughput, 0) + point.throughput) / (same.length + 1)
    // Below the knee one step (+12.5 %) buys nearly as much throughput; ask for half of it, so a
    // re-probe from the knee returns instead of climbing on a tie.
    const needed = Math.max(config.minGain, ((point.limit / first.limit) - 1) / 2)
    return mean < first.throughput * (1 + needed)
      ? { settleAt: state.reprobeFrom, reason: `re-probe ${first.limit}→${point.limit} in flight gained too little` }
      : undefined
  }
  const h = state.history
  const low = point.limit / config.gainSpan
  if (low < config.gainFloor || h.length === 0 || h[0]!.limit > low) return undefined
  const middle = point.limit / Math.sqrt(config.gainSpan)
  let lowerSum = 0
  let lowerN = 0
  let lowerBest: ProbePoint | undefined
  let upperSum = point.throughput
  let upperN = 1
  for (let i = h.length - 1; i >= 0 && h[i]!.limit >= low; i--) {
    const p = h[i]!
    if (p.limit < middle) {
      lowerSum += p.throughput
      lowerN++
      if (lowerBest === undefined || p.throughput > lowerBest.throughput) lowerBest = p
    } else {
      upperSum += p.throughput
      upperN++
    }
  }
  if (lowerBest === undefined) return undefined
  return upperSum / upperN < (lowerSum / lowerN) * (1 + config.minGain)
    ? {
      settleAt: lowerBest.limit,
      reason: `knee: ${Math.round(low)}→${point.limit} in flight gained < ${config.minGain * 100}% throughput`
    }
    : undefined
}

/**
 * A level's first window usually started at the previous depth (the new limit takes a tick to fill):
 * it counts towards neither the level's time nor its throughput.
 */
const transition = (history: ReadonlyArray<ProbePoint>, i: number): boolean => {
  const p = history[i]!
  return (i === 0 || history[i - 1]!.limit !== p.limit) && p.inFlight < 0.9 * p.limit
}

/** Time the probe's windows at `limit` cover (at the end of the history). */
const heldMs = (history: ReadonlyArray<ProbePoint>, limit: number): number => {
  let ms = 0
  for (let i = history.length - 1; i >= 0 && history[i]!.limit === limit; i--) {
    if (!transition(history, i)) ms += history[i]!.ms
  }
  return ms
}

/** The probe's held levels (≥ `levelMs`), oldest first. */
const levelsOf = (config: AimdConfig, history: ReadonlyArray<ProbePoint>): ReadonlyArray<Level> => {
  const levels: Array<Level> = []
  let i = 0
  while (i < history.length) {
    const limit = history[i]!.limit
    let ms = 0
    let completions = 0
    for (; i < history.length && history[i]!.limit === limit; i++) {
      if (transition(history, i)) continue
      ms += history[i]!.ms
      completions += history[i]!.throughput * history[i]!.ms
    }
    if (ms >= config.levelMs) levels.push({ limit, ms, throughput: completions / ms })
  }
  return levels
}

/**
 * The throughput plateau. Past saturation latency grows in proportion to depth (Little: X = N / W)
 * and more depth buys no throughput, only queueing; on this VM's disk throughput is flat from
 * qd48–64 on while the p99 keeps climbing (qd64 0.5 ms, qd128 1.5 ms calm). The elasticity
 * d ln X / d ln N between the current level and the deepest one `plateauSpan` shallower measures
 * that directly: ≈ 0.4–0.55 below the knee here, ≤ 0 past it. Under `plateauGain` is a plateau
 * verdict; a second one on the next level confirms it, and the probe settles at the shallowest level
 * since the first verdict's reference with `plateauShare` of the best throughput among them.
 *
 * Not judged while the caller does not fill the limit (its own concurrency is flat, not the
 * device's throughput), nor while the median is under `inflationFloorUs` (page-cache reads, whose
 * latency grows with depth because completions queue for the CPU, and whose throughput still grows
 * with batch size).
 */
const plateauCheck = (
  config: AimdConfig,
  state: AimdState,
  history: ReadonlyArray<ProbePoint>,
  w: WindowStats
):
  | { readonly settleAt: number; readonly reason: string }
  | { readonly ref: number }
  | { readonly gain: number }
  | undefined =>
{
  if (w.p50Us <= config.inflationFloorUs) return undefined
  if (w.queued < 0.5 && w.inFlight < 0.9 * state.limit) return undefined
  const levels = levelsOf(config, history)
  const current = levels[levels.length - 1]
  if (current === undefined || current.limit !== state.limit) return undefined
  let ref: Level | undefined
  for (const l of levels) if (l.limit * config.plateauSpan <= current.limit && l.limit >= config.plateauFloor) ref = l
  if (ref === undefined || ref.throughput <= 0) return undefined
  const gain = Math.log(current.throughput / ref.throughput) / Math.log(current.limit / ref.limit)
  if (gain >= config.plateauGain) return { gain }
  if (state.plateauRef === 0) return { ref: ref.limit }
  const settleAt = pickLevel(config, levels, Math.min(state.plateauRef, ref.limit)) || ref.limit
  return {
    settleAt,
    reason: `plateau: ${ref.limit}→${current.limit} in flight gained ${
      Math.round((current.throughput / ref.throughput - 1) * 100)
    }% throughput (elasticity ${gain.toFixed(2)})`
  }
}

/**
 * Does the current depth still buy throughput over half of it? The best window at this limit
 * against the best one at or under half of it, taken as if at exactly half (the conservative
 * reading), must show an elasticity of at least `plateauGain`. Upper envelopes, because a stall only
 * ever takes throughput away. Before any level is held this is the only evidence that latency grew
 * with use, as at 15 in flight in a storm here (p50 4× the depth-1 one at ~2× its throughput).
 */
const stillScaling = (config: AimdConfig, state: AimdState, w: WindowStats): boolean => {
  const half = state.limit / config.plateauSpan
  let below = 0
  let here = w.throughput
  state.history.forEach((p, i) => {
    if (transition(state.history, i)) return
    if (p.limit <= half) below = Math.max(below, p.throughput)
    else if (p.limit === state.limit) here = Math.max(here, p.throughput)
  })
  return below > 0 && Math.log(here / below) / Math.log(config.plateauSpan) >= config.plateauGain
}

/** The window's throughput is clearly under the best one a shallower depth of this probe gave. */
const falling = (state: AimdState, w: WindowStats): boolean => {
  let best = 0
  state.history.forEach((p, i) => {
    if (p.limit < state.limit && !transition(state.history, i)) best = Math.max(best, p.throughput)
  })
  // 0.7: one 30 ms window swings ±30 % at a fixed depth here; a collapse past a knee is larger.
  return w.throughput < 0.7 * best
}

/**
 * The shallowest held level from `from` on with `plateauShare` of the best throughput among them
 * (0 = none): the knee, where depth stops paying and only adds queueing. With three levels or more
 * "best" is the second-highest: a level's throughput varies ±30 % here, and measured against one
 * lucky level the shallower ones all fell short, which settled the knee runs at 75–96 in flight
 * (p99 2.1–2.3× qd64's) instead of at the plateau's start.
 */
const pickLevel = (config: AimdConfig, levels: ReadonlyArray<Level>, from: number): number => {
  const span = levels.filter((l) => l.limit >= from)
  const sorted = span.map((l) => l.throughput).sort((a, b) => b - a)
  const best = sorted.length >= 3 ? sorted[1]! : sorted.length > 0 ? sorted[0]! : 0
  return span.find((l) => l.throughput >= config.plateauShare * best)?.limit ?? 0
}

/**
 * With a p99 target, a slowdown at the same depth (throughput down, median up) is left to the
 * target: from the ring's counters it looks the same whether the ops got larger or a neighbour
 * arrived, and a baseline re-measured under a neighbour (p50 0.6–1.7 ms instead of 85 µs here)
 * let the next probe climb into it; the target cuts are what protect the reads then.
 */
const isShift = (config: AimdConfig, ref: WindowStats, w: WindowStats): boolean => {
  const f = config.shiftFactor
  const faster = w.throughput > ref.throughput * f || w.p50Us * f < ref.p50Us
  const slower = w.throughput * f < ref.throughput || w.p50Us > ref.p50Us * f
  return faster || (slower && config.p99TargetUs <= 0)
}

const smooth = (ref: WindowStats | undefined, w: WindowStats): WindowStats =>
  ref === undefined ? w : {
    ms: w.ms,
    completions: w.completions,
    throughput: ref.throughput * 0.8 + w.throughput * 0.2,
    p50Us: ref.p50Us * 0.8 + w.p50Us * 0.2,
    p99Us: ref.p99Us * 0.8 + w.p99Us * 0.2,
    inFlight: ref.inFlight * 0.8 + w.inFlight * 0.2,
    queued: ref.queued * 0.8 + w.queued * 0.2
  }
