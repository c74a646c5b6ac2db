/**
 * A synthetic device for the controller's TestClock tests: a fluid model of a closed-loop app
 * (`offered` operations outstanding) in front of a device whose latency is flat up to `knee` in
 * flight and grows as (depth / knee)^exponent beyond it, so IOPS = depth / latency peaks at the knee.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Aimd from "../src/Aimd.js"

/** The native engine's log-linear bounds: exact below 16 µs, then 8 sub-buckets per power of two. */
export const logLinearBounds = (): ReadonlyArray<number> => {
  const bounds: Array<number> = []
  for (let i = 0; i < 16; i++) bounds.push(i)
  for (let p = 4; p <= 25; p++) {
    for (let sub = 0; sub < 8; sub++) bounds.push(((9 + sub) << (p - 3)) - 1)
  }
  return bounds
}

export interface DeviceParams {
  /** Latency at or below the knee, µs. */
  baseUs: number
  knee: number
  exponent: number
  /** Operations the app keeps outstanding. */
  offered: number
  /** Multiplies every latency (a device-wide slowdown). */
  slowdown: number
  /**
   * A neighbour's writes: this share of the completions (of any depth) waits `tailUs` more. It moves
   * the tail, not the median, as the 128 KiB writer did on this VM's disk (window p50 230 → 240–400 µs,
   * p99 0.8 → 2–16 ms); less depth does not cure it.
   */
  tailUs: number
  tailShare: number
}

export interface Point {
  readonly t: number
  readonly limit: number
  readonly depth: number
  readonly iops: number
  readonly p99Us: number
}

export const latencyUs = (p: DeviceParams, depth: number): number =>
  p.baseUs * p.slowdown * Math.max(1, Math.pow(depth / p.knee, p.exponent))

export const iops = (p: DeviceParams, depth: number): number =>
  depth <= 0 ? 0 : (depth * 1e6) / latencyUs(p, depth)

/** Latency spread of one tick: the p99 sits at 2× the mean, the p50 just below it. */
const spread: ReadonlyArray<readonly [number, number]> = [[0.9, 0.5], [1.2, 0.45], [1.6, 0.04], [2, 0.01]]

export const makeDevice = (params: Partial<DeviceParams> = {}, rings = 1) => {
  const p: DeviceParams = { baseUs: 200, knee: 48, exponent: 3, offered: 256, slowdown: 1, tailUs: 0, tailShare: 0, ...params }
  const bounds = logLinearBounds()
  const limits = new Array<number>(rings).fill(0)
  const lastMs = new Array<number | undefined>(rings).fill(undefined)
  const trace: Array<Point> = []
  const bucketOf = (us: number): number => {
    for (let i = 0; i < bounds.length; i++) if (us <= bounds[i]!) return i
    return bounds.length
  }
  const depthOf = (ring: number): number => limits[ring]! === 0 ? p.offered : Math.min(limits[ring]!, p.offered)

  const sampler: Aimd.Sampler = {
    ringCount: rings,
    bucketBoundsUs: bounds,
    sample: (ring) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const dt = lastMs[ring] === undefined ? 0 : now - lastMs[ring]!
        lastMs[ring] = now
        const depth = depthOf(ring)
        const rate = iops(p, depth)
        const completions = (rate * dt) / 1000
        const latency = new Float64Array(bounds.length + 1)
        const mean = latencyUs(p, depth)
        const tail = p.tailUs > 0 ? p.tailShare : 0
        for (const [factor, share] of spread) latency[bucketOf(mean * factor)]! += completions * share * (1 - tail)
        if (tail > 0) latency[bucketOf(mean + p.tailUs)]! += completions * tail
        if (ring === 0) {
          trace.push({ t: now, limit: limits[ring]!, depth, iops: rate, p99Us: tail >= 0.01 ? mean + p.tailUs : mean * 2 })
        }
        return {
          completions,
          inFlight: depth,
          queued: limits[ring]! === 0 ? 0 : Math.max(0, p.offered - limits[ring]!),
          limit: limits[ring]!,
          latency
        }
      }),
    setLimit: (ring, limit) => Effect.sync(() => void (limits[ring] = limit))
  }
  return { params: p, sampler, trace, limit: (ring = 0) => limits[ring]! }
}

/** Points of the trace in [from, to) ms. */
export const between = (trace: ReadonlyArray<Point>, from: number, to: number): ReadonlyArray<Point> =>
  trace.filter((x) => x.t >= from && x.t < to)
