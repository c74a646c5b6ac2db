import { assert, describe, it } from "@effect/vitest"
import * as Aimd from "../src/Aimd.js"
import { logLinearBounds } from "./aimdModel.js"

const bounds = logLinearBounds()

interface Tick {
  readonly completions?: number
  readonly inFlight?: number
  readonly queued?: number
  readonly p50Us?: number
  readonly p99Us?: number
  readonly ms?: number
}

const bucketOf = (us: number): number => {
  for (let i = 0; i < bounds.length; i++) if (us <= bounds[i]!) return i
  return bounds.length
}

/** One tick; by default a full decision window (1000 completions over 35 ms). */
const sample = (state: Aimd.State, t: Tick): Aimd.Sample => {
  const completions = t.completions ?? 1000
  const latency = new Float64Array(bounds.length + 1)
  latency[bucketOf(t.p50Us ?? 100)]! += completions * 0.98
  latency[bucketOf(t.p99Us ?? t.p50Us ?? 100)]! += completions * 0.02
  return {
    elapsedMs: t.ms ?? 35,
    completions,
    inFlight: t.inFlight ?? state.limit,
    queued: t.queued ?? 50,
    limit: state.limit,
    latency
  }
}

const run = (config: Aimd.Config, state: Aimd.State, ticks: ReadonlyArray<Tick>) => {
  let s = state
  const transitions: Array<Aimd.Transition> = []
  for (const t of ticks) {
    const r = Aimd.step(config, s, sample(s, t))
    assert.strictEqual(r.limit, r.state.limit)
    if (r.transition) transitions.push(r.transition)
    s = r.state
  }
  return { state: s, transitions }
}

const config = (options: Aimd.Options = {}) => Aimd.makeConfig(options, bounds)
const engaged = (c: Aimd.Config, patch: Partial<Aimd.State>): Aimd.State => ({
  ...Aimd.initial(c),
  baselineP50Us: 100,
  baselineP99Us: 150,
  ...patch
})

const times = <A>(n: number, a: A): ReadonlyArray<A> => Array.from({ length: n }, () => a)

/**
 * A probe level already held for 70 ms at `limit`: from `plateauFloor` (16) on, where the median is
 * over half the inflation floor, a level is held for `levelMs` (90 ms) before the next step, so one
 * more 35 ms window completes it.
 */
const held = (limit: number, throughput = 28_000) => [{ limit, throughput, ms: 70, inFlight: limit }]

/** A probe's held levels (90 ms each) on a device whose throughput flattens from 48 in flight on. */
const plateauHistory = [
  { limit: 24, throughput: 80000, ms: 90, inFlight: 24 },
  { limit: 30, throughput: 95000, ms: 90, inFlight: 30 },
  { limit: 38, throughput: 110000, ms: 90, inFlight: 38 },
  { limit: 48, throughput: 128000, ms: 90, inFlight: 48 },
  { limit: 60, throughput: 131000, ms: 90, inFlight: 60 },
  { limit: 75, throughput: 130000, ms: 90, inFlight: 75 }
]

interface Row {
  readonly name: string
  readonly options?: Aimd.Options
  readonly from: Partial<Aimd.State>
  readonly ticks: ReadonlyArray<Tick>
  readonly phase: Aimd.Phase
  readonly limit: number | readonly [number, number]
  readonly learned?: number
  /** The target floor after the ticks. */
  readonly floor?: number
}

const rows: ReadonlyArray<Row> = [
  {
    name: "a thin tick decides nothing (minimum samples per decision)",
    from: { phase: "probe", learnedLimit: 40, limit: 16 },
    ticks: [{ completions: 150, ms: 30 }],
    phase: "probe",
    limit: 16
  },
  {
    name: "ticks accumulate into one window once enough completions arrived",
    from: { phase: "probe", learnedLimit: 40, limit: 16, history: held(16) },
    ticks: [{ completions: 150, ms: 15 }, { completions: 150, ms: 15 }],
    phase: "probe",
    limit: 18
  },
  {
    name: "passthrough holds while the app is the bottleneck",
    from: { phase: "passthrough", limit: 256 },
    ticks: times(10, { inFlight: 10, queued: 0 }),
    phase: "passthrough",
    limit: 256
  },
  {
    name: "first demand measures the baseline at depth 1",
    from: { phase: "passthrough", limit: 256, baselineP50Us: 0, baselineP99Us: 0 },
    ticks: [{ inFlight: 200, queued: 0 }],
    phase: "baseline",
    limit: 1
  },
  {
    name: "a baseline window (after a drain window) starts the probe at startDepth",
    from: { phase: "baseline", limit: 1, skip: 1, holdLimit: 4, returnPhase: "probe" },
    ticks: [{ p50Us: 500 }, { p50Us: 60, inFlight: 1 }],
    phase: "probe",
    limit: 4
  },
  {
    name: "probe: additive increase of max(1, limit/8)",
    from: { phase: "probe", learnedLimit: 40, limit: 40, history: held(40) },
    ticks: [{}],
    phase: "probe",
    limit: 45
  },
  {
    name: "probe: the first climb (nothing learned yet) steps +25 %",
    from: { phase: "probe", limit: 40, history: held(40) },
    ticks: [{}],
    phase: "probe",
    limit: 50
  },
  {
    name: "probe: +1 at small depths",
    from: { phase: "probe", learnedLimit: 40, limit: 4 },
    ticks: [{}, {}],
    phase: "probe",
    limit: 6
  },
  {
    name: "probe: no growth while in-flight < limit/2 and nothing queued",
    from: { phase: "probe", learnedLimit: 40, limit: 40 },
    ticks: times(5, { inFlight: 12, queued: 0 }),
    phase: "probe",
    limit: 40
  },
  {
    name: "probe: one 35 ms window's p99 over the target is no verdict (too few samples): no cut, no step up",
    options: { p99Target: "1 millis" },
    from: { phase: "probe", learnedLimit: 40, limit: 40 },
    ticks: [{ p99Us: 1500 }],
    phase: "probe",
    limit: 40
  },
  {
    name: "probe: a window p99 under the headroom (0.8 of the target) steps up",
    options: { p99Target: "1 millis" },
    from: { phase: "probe", learnedLimit: 40, limit: 40, history: held(40) },
    ticks: [{ p99Us: 700 }],
    phase: "probe",
    limit: 45
  },
  {
    // Held at 40 (window p99s over the headroom), then the verdict: ×(0.8 × 1 ms / 1.5 ms) aims the p99
    // at 80 % of the target.
    name: "probe: a target verdict (≥ 1000 completions, ≥ 150 ms) over the target cuts to aim under it",
    options: { p99Target: "1 millis" },
    from: { phase: "probe", learnedLimit: 40, limit: 40 },
    ticks: times(5, { p99Us: 1500 }),
    phase: "backoff",
    limit: [19, 23]
  },
  {
    name: "two windows whose p95 is over the target are a breach, without waiting for a verdict",
    options: { p99Target: "1 millis" },
    from: { phase: "settled", limit: 40, learnedLimit: 40 },
    ticks: times(2, { p50Us: 1500, p99Us: 1600 }),
    phase: "backoff",
    limit: 20
  },
  {
    name: "one window whose p95 is over the target is not",
    options: { p99Target: "1 millis" },
    from: { phase: "settled", limit: 40, learnedLimit: 40 },
    ticks: [{ p50Us: 1500, p99Us: 1600 }],
    phase: "settled",
    limit: 40
  },
  {
    name: "nor are windows where the device stalled (throughput under a third of its recent level)",
    options: { p99Target: "1 millis" },
    from: { phase: "settled", limit: 40, learnedLimit: 40 },
    ticks: [{ completions: 3000 }, ...times(2, { completions: 300, p50Us: 1500, p99Us: 1600 })],
    phase: "settled",
    limit: 40
  },
  {
    name: "probe: a verdict within the headroom under the target (0.9 of it) stops the climb there",
    options: { p99Target: "1 millis" },
    from: { phase: "probe", learnedLimit: 40, limit: 40 },
    ticks: times(5, { p99Us: 900 }),
    phase: "settled",
    limit: 40,
    learned: 40
  },
  {
    name: "settled: no re-probe while the last verdict is within the headroom under the target",
    options: { p99Target: "1 millis" },
    from: { phase: "settled", limit: 40, learnedLimit: 40, phaseMs: 5000, targetP99Us: 900 },
    ticks: times(3, { p99Us: 900 }),
    phase: "settled",
    limit: 40
  },
  {
    name: "settled: a re-probe once the verdict is comfortably under the target",
    options: { p99Target: "1 millis" },
    from: { phase: "settled", limit: 40, learnedLimit: 40, phaseMs: 5000, targetP99Us: 500 },
    ticks: [{ p99Us: 500 }],
    phase: "probe",
    limit: 40
  },
  {
    name: "backoff: target cuts that quartered the depth without relief give the depth back and floor cuts there",
    options: { p99Target: "1 millis" },
    from: { phase: "backoff", limit: 10, backoffFrom: 20, cutFrom: 40, cutP99Us: 2000, cutP50Us: 100 },
    ticks: times(5, { p99Us: 1900 }),
    phase: "settled",
    limit: 40,
    learned: 40,
    floor: 40
  },
  {
    name: "settled: the same across episodes of a series of small target cuts (p99 hovering at the target)",
    options: { p99Target: "1 millis" },
    from: { phase: "settled", limit: 10, learnedLimit: 10, cutFrom: 40, cutP99Us: 1200, cutP50Us: 100 },
    ticks: times(5, { p99Us: 1100 }),
    phase: "settled",
    limit: 40,
    floor: 40
  },
  {
    name: "settled: a verdict showing the cuts bought latency moves the series reference there, and cuts go on from it",
    options: { p99Target: "1 millis" },
    from: { phase: "settled", limit: 20, learnedLimit: 20, cutFrom: 40, cutP99Us: 1200, cutP50Us: 200 },
    ticks: [...times(5, { p99Us: 700 }), ...times(5, { p99Us: 1100 })],
    phase: "backoff",
    limit: [14, 16]
  },
  {
    name: "backoff: one halving without relief gives the depth back (noise, or a neighbour: not our queue)",
    options: { p99Target: "1 millis" },
    from: { phase: "backoff", limit: 20, backoffFrom: 40, cutFrom: 40, cutP99Us: 2000, cutP50Us: 100 },
    ticks: times(5, { p99Us: 1500 }),
    phase: "settled",
    limit: 40,
    floor: 40
  },
  {
    name: "backoff: a cut that has not halved the depth yet keeps cutting (verdicts over the target by little cut ×0.8)",
    options: { p99Target: "1 millis" },
    from: { phase: "backoff", limit: 30, backoffFrom: 40, cutFrom: 40, cutP99Us: 1300, cutP50Us: 100 },
    ticks: times(5, { p99Us: 1250 }),
    phase: "backoff",
    limit: 19
  },
  {
    name: "backoff: the same when the p99 got worse (less depth made it worse under the neighbour)",
    options: { p99Target: "1 millis" },
    from: { phase: "backoff", limit: 20, backoffFrom: 40, cutFrom: 40, cutP99Limit: 40, cutP99Us: 2000, cutP50Us: 100 },
    ticks: times(5, { p99Us: 2500 }),
    phase: "settled",
    limit: 40,
    floor: 40
  },
  {
    name: "backoff: a target cut that brought the p99 down keeps cutting towards the target",
    options: { p99Target: "1 millis" },
    from: { phase: "backoff", limit: 20, backoffFrom: 40, cutFrom: 40, cutP99Us: 4000, cutP50Us: 400 },
    ticks: times(5, { p99Us: 1900 }),
    phase: "backoff",
    limit: 10
  },
  {
    name: "backoff: a target breach still there at minInFlight gives the depth back",
    options: { p99Target: "1 millis" },
    from: { phase: "backoff", limit: 1, backoffFrom: 40, cutFrom: 40, cutP99Us: 2000, cutP50Us: 100 },
    ticks: times(5, { p99Us: 1900 }),
    phase: "settled",
    limit: 40,
    floor: 40
  },
  {
    name: "backoff: at minInFlight with the cuts still buying latency, it holds there (the target comes first)",
    options: { p99Target: "1 millis" },
    from: { phase: "backoff", limit: 1, backoffFrom: 40, cutFrom: 40, cutP99Us: 4000, cutP50Us: 400 },
    ticks: times(5, { p99Us: 1900 }),
    phase: "settled",
    limit: 1
  },
  {
    name: "backoff started by the target: median inflation neither re-measures the baseline nor cuts; verdicts decide",
    options: { p99Target: "1 millis" },
    from: { phase: "backoff", limit: 20, backoffFrom: 40, cutFrom: 40, cutP99Us: 2000 },
    ticks: times(5, { p50Us: 800, p99Us: 900 }),
    phase: "settled",
    limit: 20
  },
  {
    name: "backoff: a fast breach does not cut again; the next cut waits for a verdict",
    options: { p99Target: "1 millis" },
    from: { phase: "backoff", limit: 20, backoffFrom: 40, cutFrom: 40, cutP99Us: 4000, breaches: 2 },
    ticks: times(2, { p50Us: 1500, p99Us: 1600 }),
    phase: "backoff",
    limit: 20
  },
  {
    name: "settled at the target floor: a target breach holds the depth",
    options: { p99Target: "1 millis" },
    from: { phase: "settled", limit: 40, learnedLimit: 40, targetFloor: 40, floorP99Us: 1500 },
    ticks: [...times(5, { p99Us: 1900 }), ...times(2, { p50Us: 1500, p99Us: 1900 })],
    phase: "settled",
    limit: 40,
    floor: 40
  },
  {
    name: "a p99 and a median twice the ones that showed the cuts futile clear the floor (our queue grew)",
    options: { p99Target: "1 millis" },
    from: { phase: "settled", limit: 40, learnedLimit: 40, targetFloor: 40, floorP99Us: 1500, floorP50Us: 40 },
    ticks: times(5, { p99Us: 4000 }),
    phase: "backoff",
    limit: 20,
    floor: 0
  },
  {
    name: "a p99 twice the one that showed the cuts futile with the median unchanged (a neighbour's burst) keeps the floor",
    options: { p99Target: "1 millis" },
    from: { phase: "settled", limit: 40, learnedLimit: 40, targetFloor: 40, floorP99Us: 1500, floorP50Us: 100 },
    ticks: times(5, { p99Us: 4000 }),
    phase: "settled",
    limit: 40,
    floor: 40
  },
  {
    name: "relief needs the median down too: a p99 falling alone (an onset decaying) does not move the series on",
    options: { p99Target: "1 millis" },
    from: { phase: "backoff", limit: 20, backoffFrom: 40, cutFrom: 40, cutP99Us: 4000, cutP50Us: 100 },
    ticks: times(12, { p99Us: 1900 }),
    phase: "settled",
    limit: 40,
    floor: 40
  },
  {
    name: "…with the median down too it is relief: the next halving without it gives the depth back to there, not to the start",
    options: { p99Target: "1 millis" },
    from: { phase: "backoff", limit: 20, backoffFrom: 40, cutFrom: 40, cutP99Us: 4000, cutP50Us: 400 },
    ticks: times(12, { p99Us: 1900 }),
    phase: "settled",
    limit: 20,
    floor: 20
  },
  {
    name: "a breach at twice the series' p99 takes a new reference (the device changed since the old one)",
    options: { p99Target: "1 millis" },
    from: { phase: "settled", limit: 50, learnedLimit: 50, cutFrom: 60, cutP99Us: 900, cutP50Us: 200, cutP99Limit: 60 },
    // Against the old reference (0.9 ms at 60) the halving would read "no better" and give 60 back.
    ticks: [...times(5, { p50Us: 900, p99Us: 7000 }), ...times(6, { p50Us: 300, p99Us: 1300 })],
    phase: "backoff",
    limit: [14, 16]
  },
  {
    name: "…but keeps the point to return to: no ratchet down from the depth the cuts started at",
    options: { p99Target: "1 millis" },
    from: { phase: "settled", limit: 16, learnedLimit: 16, cutFrom: 48, cutP99Us: 900, cutP50Us: 200, cutP99Limit: 16 },
    // 2 ms at 16 and 8 in flight alike: the halving bought nothing, so back to 48, not to 16.
    ticks: [...times(5, { p99Us: 2000 }), ...times(6, { p99Us: 2000 })],
    phase: "settled",
    limit: 48,
    floor: 48
  },
  {
    name: "settled and meeting the target at its last verdict: a breach starts a new series from the depth held",
    options: { p99Target: "2 millis" },
    // A series left from a probe's overshoot in the quiet part of the run would return to 105.
    from: { phase: "settled", limit: 78, learnedLimit: 78, cutFrom: 105, cutP99Us: 2550, cutP50Us: 300, cutP99Limit: 105 },
    // 1.8 ms: meets the target, but is no relief against the old series' 2.55 ms.
    ticks: [
      ...times(5, { p99Us: 1800 }),
      ...times(2, { p50Us: 2500, p99Us: 8000 }),
      ...times(14, { p99Us: 7000 })
    ],
    phase: "settled",
    limit: 78,
    floor: 78
  },
  {
    name: "…the same when the breach is a verdict: the one before it met the target",
    options: { p99Target: "2 millis" },
    from: { phase: "settled", limit: 78, learnedLimit: 78, cutFrom: 105, cutP99Us: 2550, cutP50Us: 300, cutP99Limit: 105 },
    ticks: [...times(5, { p99Us: 1800 }), ...times(17, { p99Us: 7000 })],
    phase: "settled",
    limit: 78,
    floor: 78
  },
  {
    name: "a series started by a fast breach (a neighbour's onset stall) takes its reference p99 from its first verdict",
    options: { p99Target: "1 millis" },
    from: { phase: "settled", limit: 40, learnedLimit: 40 },
    // The onset's windows: p95 over the target, p99 8 ms. Then the neighbour's steady 1.9 ms at any depth.
    ticks: [...times(2, { p50Us: 1500, p99Us: 8000 }), ...times(16, { p99Us: 1900 })],
    phase: "settled",
    limit: 40,
    floor: 40
  },
  {
    name: "a verdict under the target clears the floor",
    options: { p99Target: "1 millis" },
    from: { phase: "settled", limit: 40, learnedLimit: 40, targetFloor: 40 },
    ticks: times(5, { p99Us: 500 }),
    phase: "settled",
    limit: 40,
    floor: 0
  },
  {
    name: "backoff with a target: one quiet window is not enough, a verdict at the new depth is",
    options: { p99Target: "1 millis" },
    from: { phase: "backoff", limit: 30, backoffFrom: 40 },
    ticks: [{ p99Us: 500 }],
    phase: "backoff",
    limit: 30
  },
  {
    name: "backoff with a target: a verdict under the target settles",
    options: { p99Target: "1 millis" },
    from: { phase: "backoff", limit: 30, backoffFrom: 40 },
    ticks: times(5, { p99Us: 500 }),
    phase: "settled",
    limit: 30,
    learned: 30
  },
  {
    name: "probe: latency up while throughput collapsed is a device stall, not our queueing: no backoff",
    from: { phase: "probe", learnedLimit: 40, limit: 40, history: held(40) },
    ticks: [{ completions: 2000 }, { completions: 200, p50Us: 2000 }, { completions: 200, p50Us: 2000 }],
    phase: "probe",
    limit: 45
  },
  {
    name: "probe: the throughput of the depth before a deliberate cut does not make a stall",
    from: { phase: "passthrough", limit: 256, baselineP50Us: 0, baselineP99Us: 0 },
    ticks: [{ inFlight: 200, completions: 20_000 }, { completions: 300 }, { completions: 300, inFlight: 1 }, {
      completions: 1000,
      queued: 200
    }],
    phase: "probe",
    limit: 5
  },
  {
    name: "probe: median inflation over the baseline backs off without a target",
    from: { phase: "probe", learnedLimit: 40, limit: 40 },
    ticks: [{ p50Us: 900 }, { p50Us: 900 }],
    phase: "backoff",
    limit: 32
  },
  {
    name: "backoff: latency back to normal (after the drain window) settles and learns",
    from: { phase: "backoff", limit: 32, skip: 1, backoffFrom: 40 },
    ticks: [{ p50Us: 900 }, { p50Us: 120 }],
    phase: "settled",
    limit: 32,
    learned: 32
  },
  {
    name: "probe: median inflation under the floor (CPU-bound page-cache reads) is not a breach: it keeps probing",
    from: { phase: "probe", learnedLimit: 40, limit: 40, baselineP50Us: 4, baselineP99Us: 8, history: held(40) },
    ticks: [{ p50Us: 60, p99Us: 120 }, { p50Us: 60, p99Us: 120 }],
    phase: "probe",
    limit: [41, 64]
  },
  {
    name: "backoff: inflation that survives halving the depth re-measures the baseline",
    from: { phase: "backoff", limit: 20, backoffFrom: 40 },
    ticks: [{ p50Us: 900 }],
    phase: "baseline",
    limit: 1
  },
  {
    name: "backoff: never below minInFlight",
    options: { p99Target: "1 millis", minInFlight: 8 },
    from: { phase: "backoff", limit: 9, backoffFrom: 10 },
    ticks: times(5, { p99Us: 5000 }),
    phase: "backoff",
    limit: 8
  },
  {
    name: "probe: the upper half of a 2× depth span clearly slower (means) settles at the lower half's best",
    from: {
      phase: "probe",
      limit: 120,
      history: [
        { limit: 60, throughput: 95_000, ms: 35, inFlight: 60 },
        { limit: 68, throughput: 105_000, ms: 35, inFlight: 68 },
        { limit: 82, throughput: 120_000, ms: 35, inFlight: 82 },
        { limit: 106, throughput: 80_000, ms: 35, inFlight: 106 }
      ]
    },
    ticks: [{ completions: 2500 }],
    phase: "settled",
    limit: 82,
    learned: 82
  },
  {
    // Held levels 24…75, then 96 at the same throughput as 48: 48→96 gained 2 % for twice the depth.
    name: "probe: a first throughput-plateau verdict steps one more level to confirm it",
    from: { phase: "probe", learnedLimit: 40, limit: 96, history: plateauHistory },
    ticks: times(3, { completions: 4550, p50Us: 350, p99Us: 700 }),
    phase: "probe",
    limit: 108
  },
  {
    name: "probe: a confirmed plateau settles at the shallowest level with 90 % of the best throughput (below the knee)",
    from: { phase: "probe", learnedLimit: 40, limit: 96, history: plateauHistory, plateauRef: 38 },
    ticks: times(3, { completions: 4550, p50Us: 350, p99Us: 700 }),
    phase: "settled",
    limit: 48,
    learned: 48
  },
  {
    name: "probe: a level that still gains clears a first plateau verdict (one comparison is noise)",
    from: { phase: "probe", learnedLimit: 40, limit: 96, history: plateauHistory, plateauRef: 38 },
    ticks: times(3, { completions: 5600, p50Us: 350, p99Us: 700 }),
    phase: "probe",
    limit: 108
  },
  {
    // The caller keeps 60 outstanding: in flight is flat because the app is, not the device.
    name: "probe: no plateau verdict while the caller does not fill the limit (app-limited, not a device plateau)",
    from: { phase: "probe", learnedLimit: 40, limit: 96, history: plateauHistory, plateauRef: 38 },
    ticks: times(4, { completions: 4550, p50Us: 350, p99Us: 700, inFlight: 60, queued: 0 }),
    phase: "probe",
    limit: 108
  },
  {
    // Page-cache reads: latency grows with depth (CPU queueing) while throughput still grows with batching.
    name: "probe: no plateau verdict, and no held levels, while the median is under the inflation floor",
    from: { phase: "probe", learnedLimit: 40, limit: 96, history: plateauHistory, plateauRef: 38 },
    ticks: [{ completions: 4550, p50Us: 60, p99Us: 120 }],
    phase: "probe",
    limit: 108
  },
  {
    name: "probe: median inflation settles at the shallowest held level with 90 % of the best throughput",
    from: { phase: "probe", learnedLimit: 40, limit: 96, history: plateauHistory },
    ticks: times(2, { completions: 4550, p50Us: 900 }),
    phase: "settled",
    limit: 48
  },
  {
    // One lucky level (75 at 150k, +15 %) would put every shallower level under 90 % of "the best".
    name: "probe: median inflation: one outlier level does not pull the pick deeper (best = second-highest)",
    from: {
      phase: "probe",
      learnedLimit: 40,
      limit: 96,
      history: plateauHistory.map((l) => (l.limit === 75 ? { ...l, throughput: 150000 } : l))
    },
    ticks: times(2, { completions: 4550, p50Us: 900 }),
    phase: "settled",
    limit: 48
  },
  {
    // A device in a "storm" gains IOPS up to qd256 while its median climbs: the depth is being used.
    name: "probe: median inflation while the last held level still bought throughput does not stop the probe",
    from: { phase: "probe", learnedLimit: 40, limit: 96, history: plateauHistory, scaling: true },
    ticks: times(2, { completions: 4550, p50Us: 900 }),
    phase: "probe",
    limit: 96
  },
  {
    // The neighbour left: 20 in flight was a target cut from 75, which was fine before it came.
    name: "probe: below the depth held before the target cuts it climbs back +25 % a window, without holding levels",
    from: { phase: "probe", learnedLimit: 20, limit: 20, regrowTo: 75 },
    ticks: [{}, {}, {}],
    phase: "probe",
    limit: 40
  },
  {
    name: "probe: the way back stops at the depth held before the cuts; from there it probes as usual",
    from: { phase: "probe", learnedLimit: 20, limit: 64, regrowTo: 75 },
    ticks: [{ p50Us: 350 }, { p50Us: 350 }],
    phase: "probe",
    limit: 75
  },
  {
    // A busy host put the median of 19 in flight at 4–5× the depth-1 one while IOPS still doubled to 64.
    name: "probe: below 32 in flight, median inflation with the throughput still rising does not stop the probe",
    from: { phase: "probe", learnedLimit: 40, limit: 19, history: [{ limit: 9, throughput: 20_000, ms: 35, inFlight: 9 }] },
    ticks: times(2, { p50Us: 900 }),
    phase: "probe",
    limit: 19
  },
  {
    name: "probe: …with the throughput falling it does",
    from: { phase: "probe", learnedLimit: 40, limit: 19, history: [{ limit: 9, throughput: 60_000, ms: 35, inFlight: 9 }] },
    ticks: times(2, { p50Us: 900 }),
    phase: "backoff",
    limit: 15
  },
  {
    name: "probe: no throughput judgement below gainFloor, where one window is mostly noise",
    from: { phase: "probe", learnedLimit: 40, limit: 24, history: [{ limit: 12, throughput: 50_000, ms: 35, inFlight: 12 }, ...held(24)] },
    ticks: [{ completions: 500 }],
    phase: "probe",
    limit: 27
  },
  {
    name: "probe: a noisy single window does not stop the probe when the halves' means gained",
    from: {
      phase: "probe",
      learnedLimit: 40,
      limit: 40,
      history: [
        { limit: 20, throughput: 40_000, ms: 35, inFlight: 20 },
        { limit: 23, throughput: 46_000, ms: 35, inFlight: 23 },
        { limit: 35, throughput: 80_000, ms: 35, inFlight: 35 },
        ...held(40, 60_000)
      ]
    },
    ticks: [{ completions: 1000 }],
    phase: "probe",
    limit: 45
  },
  {
    name: "settled: one odd window is not a workload shift",
    from: {
      phase: "settled",
      limit: 16,
      learnedLimit: 16,
      reference: { ms: 25, completions: 100, throughput: 4000, p50Us: 2000, p99Us: 3000, inFlight: 16, queued: 50 }
    },
    ticks: [{ completions: 5000, p50Us: 80 }, { completions: 100, p50Us: 2000 }],
    phase: "settled",
    limit: 16
  },
  {
    name: "probe: stops growing at maxInFlight",
    options: { maxInFlight: 64 },
    from: { phase: "probe", learnedLimit: 40, limit: 64, history: held(64) },
    ticks: [{}],
    phase: "settled",
    limit: 64
  },
  {
    name: "settled: median inflation at an unchanged depth (a device stall) does not cut depth",
    from: { phase: "settled", limit: 48, learnedLimit: 48 },
    ticks: times(3, { p50Us: 2000 }),
    phase: "settled",
    limit: 48
  },
  {
    name: "settled: a p99-target verdict over the target does",
    options: { p99Target: "1 millis" },
    from: { phase: "settled", limit: 48, learnedLimit: 48 },
    ticks: times(5, { p99Us: 1500 }),
    phase: "backoff",
    limit: [24, 28]
  },
  {
    name: "settled: app-limited for idleMs returns to passthrough and keeps the learned limit",
    from: { phase: "settled", limit: 48, learnedLimit: 48 },
    ticks: times(45, { inFlight: 10, queued: 0 }),
    phase: "passthrough",
    limit: 48,
    learned: 48
  },
  {
    name: "passthrough with a learned limit: demand probes from it, not from scratch",
    from: { phase: "passthrough", limit: 48, learnedLimit: 48 },
    ticks: [{ inFlight: 48, queued: 100 }],
    phase: "probe",
    limit: 48
  },
  {
    name: "passthrough: a closed-loop app that never queues still engages on latency inflation",
    from: { phase: "passthrough", limit: 256 },
    ticks: times(2, { inFlight: 100, queued: 0, p50Us: 2000 }),
    phase: "probe",
    limit: 4
  },
  {
    name: "passthrough with a learned limit: inflation backs off from what is in flight",
    from: { phase: "passthrough", limit: 256, learnedLimit: 200 },
    ticks: [{ inFlight: 100, queued: 0, p50Us: 900 }, { inFlight: 100, queued: 0, p50Us: 900 }],
    phase: "backoff",
    limit: 80
  },
  {
    name: "settled: after settleMs it re-probes one step up",
    from: { phase: "settled", limit: 40, learnedLimit: 40 },
    ticks: times(30, { completions: 1000 }),
    phase: "probe",
    limit: [45, 45]
  },
  {
    name: "a re-probe that breaches never backs off below the limit it started from",
    options: { p99Target: "1 millis" },
    from: { phase: "probe", learnedLimit: 40, limit: 45, reprobeFrom: 40, reprobeFloor: 40, history: [{ limit: 40, throughput: 10_000, ms: 35, inFlight: 40 }] },
    ticks: times(5, { p99Us: 1400 }),
    phase: "backoff",
    limit: 40
  },
  {
    // One step up does not take the p99 to 2.5× the target: the device changed (a neighbour arrived).
    name: "…unless the p99 is far (1.5×) over the target: then it cuts below it",
    options: { p99Target: "1 millis" },
    from: { phase: "probe", learnedLimit: 40, limit: 45, reprobeFrom: 40, reprobeFloor: 40, history: [{ limit: 40, throughput: 10_000, ms: 35, inFlight: 40 }] },
    ticks: times(5, { p99Us: 2500 }),
    phase: "backoff",
    limit: [20, 36]
  },
  {
    name: "settled below a depth the target cut from: a throughput jump is the neighbour leaving, not a workload shift",
    options: { p99Target: "10 millis" },
    from: {
      phase: "settled",
      limit: 16,
      learnedLimit: 16,
      regrowTo: 60,
      reference: { ms: 35, completions: 100, throughput: 4000, p50Us: 2000, p99Us: 3000, inFlight: 16, queued: 50 }
    },
    ticks: times(8, { completions: 5000, p50Us: 80 }),
    phase: "settled",
    limit: 16
  },
  {
    // From the ring's counters, larger ops and a neighbour look the same; with a target, the target decides.
    name: "settled with a p99 target: a slowdown at the same depth is not a workload shift",
    options: { p99Target: "20 millis" },
    from: {
      phase: "settled",
      limit: 16,
      learnedLimit: 16,
      reference: { ms: 35, completions: 5000, throughput: 140_000, p50Us: 80, p99Us: 300, inFlight: 16, queued: 50 }
    },
    ticks: times(8, { completions: 1000, p50Us: 2000 }),
    phase: "settled",
    limit: 16
  },
  {
    name: "a re-probe holds its first step for three windows before judging it",
    from: { phase: "probe", learnedLimit: 40, limit: 45, reprobeFrom: 40, history: [{ limit: 40, throughput: 41_000, ms: 35, inFlight: 40 }] },
    ticks: times(2, { completions: 1000 }),
    phase: "probe",
    limit: 45
  },
  {
    name: "a re-probe that gains nothing (three-window mean) returns to the held limit",
    from: { phase: "probe", learnedLimit: 40, limit: 45, reprobeFrom: 40, history: [{ limit: 40, throughput: 41_000, ms: 35, inFlight: 40 }] },
    ticks: times(3, { completions: 1000 }),
    phase: "settled",
    limit: 40
  },
  {
    name: "settled: a throughput jump (workload shift) re-measures the baseline, then probes",
    from: {
      phase: "settled",
      limit: 16,
      learnedLimit: 16,
      reference: { ms: 25, completions: 100, throughput: 4000, p50Us: 2000, p99Us: 3000, inFlight: 16, queued: 50 }
    },
    ticks: times(8, { completions: 5000, p50Us: 80 }),
    phase: "baseline",
    limit: 1
  }
]

describe("Aimd.step", () => {
  for (const row of rows) {
    it(row.name, () => {
      const c = config(row.options)
      const { state } = run(c, engaged(c, row.from), row.ticks)
      assert.strictEqual(state.phase, row.phase)
      const [lo, hi] = typeof row.limit === "number" ? [row.limit, row.limit] : row.limit
      assert.isTrue(state.limit >= lo && state.limit <= hi, `limit ${state.limit} not in [${lo}, ${hi}]`)
      if (row.learned !== undefined) assert.strictEqual(state.learnedLimit, row.learned)
      if (row.floor !== undefined) assert.strictEqual(state.targetFloor, row.floor)
    })
  }

  it("a target cut of a settled depth remembers it for the way back; a cut of a probe's step does not", () => {
    const c = config({ p99Target: "5 millis" })
    const settled = run(c, engaged(c, { phase: "settled", limit: 60, learnedLimit: 60 }), times(5, { p99Us: 20_000 }))
    assert.strictEqual(settled.state.phase, "backoff")
    assert.strictEqual(settled.state.regrowTo, 60)
    const probing = run(c, engaged(c, { phase: "probe", limit: 60, learnedLimit: 40 }), times(5, { p99Us: 20_000 }))
    assert.strictEqual(probing.state.phase, "backoff")
    assert.strictEqual(probing.state.regrowTo, 0)
  })

  it("is pure: the same input gives the same output and the input is not mutated", () => {
    const c = config()
    const s = engaged(c, { phase: "probe", limit: 20 })
    const frozen = JSON.stringify(s)
    const x = sample(s, {})
    const a = Aimd.step(c, s, x)
    const b = Aimd.step(c, s, x)
    assert.deepStrictEqual(a, b)
    assert.strictEqual(JSON.stringify(s), frozen)
  })

  it("the initial state is passthrough at maxInFlight, nothing learned", () => {
    const c = config({ maxInFlight: 128 })
    const s = Aimd.initial(c)
    assert.strictEqual(s.phase, "passthrough")
    assert.strictEqual(s.limit, 128)
    assert.strictEqual(s.learnedLimit, 0)
  })

  it("invalid options fall back to defaults; min is capped by max", () => {
    const c = Aimd.makeConfig({ minInFlight: 500, maxInFlight: 64, tick: "5 millis", p99Target: "2 millis" })
    assert.strictEqual(c.maxInFlight, 64)
    assert.strictEqual(c.minInFlight, 64)
    assert.strictEqual(c.tickMs, 5)
    assert.strictEqual(c.p99TargetUs, 2000)
    const d = Aimd.makeConfig({ minInFlight: Number.NaN, maxInFlight: -3 })
    assert.strictEqual(d.minInFlight, 1)
    assert.strictEqual(d.maxInFlight, 256)
  })

  it("the baseline drifts up between measurements so a lucky minimum does not stick", () => {
    const c = config()
    const s = engaged(c, { phase: "probe", limit: 10 })
    const r = Aimd.step(c, s, { ...sample(s, { completions: 10 }), elapsedMs: 1000 })
    assert.isTrue(r.state.baselineP50Us > 101 && r.state.baselineP50Us < 103)
  })
})

describe("Aimd.percentile", () => {
  const table: ReadonlyArray<readonly [string, ReadonlyArray<number>, ReadonlyArray<number>, number, number, number]> = [
    ["empty histogram", [10, 20, 40], [0, 0, 0, 0], 0.5, 0, 0],
    ["all in one bucket, middle rank", [10, 20, 40], [0, 100, 0, 0], 0.5, 10, 20],
    ["p99 in the tail bucket", [10, 20, 40], [98, 0, 2, 0], 0.99, 20, 40],
    ["overflow reports twice the last bound", [10, 20, 40], [0, 0, 0, 10], 0.5, 40, 80],
    ["exact small buckets", [0, 1, 2, 3], [0, 0, 0, 100, 0], 0.5, 2, 3],
    ["an Infinity last bound (the native table) reads as one more doubling", [10, 20, Infinity], [0, 0, 10], 0.5, 20, 40]
  ]
  for (const [name, b, counts, q, lo, hi] of table) {
    it(name, () => {
      const v = Aimd.percentile(b, counts, q)
      assert.isTrue(v >= lo && v <= hi, `${v} not in [${lo}, ${hi}]`)
    })
  }

  it("moves smoothly inside a bucket", () => {
    const b = [100, 200]
    const low = Aimd.percentile(b, [0, 100, 0], 0.1)
    const high = Aimd.percentile(b, [0, 100, 0], 0.9)
    assert.isTrue(low < high && low > 100 && high < 200)
  })
})
