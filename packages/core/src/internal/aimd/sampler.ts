/**
 * The controller's only view of a ring: read what happened since the last read, set the limit.
 *
 * Keeping this interface tiny lets the fiber run against the native engine, against a synthetic
 * device model in TestClock tests, or against anything else that can count completions.
 *
 * @internal
 */
import * as Effect from "effect/Effect"

/** @internal */
export interface RawSample {
  readonly completions: number
  readonly inFlight: number
  readonly queued: number
  readonly limit: number
  /** Completions per latency bucket since the previous sample of this ring. */
  readonly latency: ArrayLike<number>
}

/** @internal */
export interface AimdSampler {
  readonly ringCount: number
  readonly bucketBoundsUs: ReadonlyArray<number>
  readonly sample: (ring: number) => Effect.Effect<RawSample>
  readonly setLimit: (ring: number, limit: number) => Effect.Effect<void>
}

/**
 * The part of `@auraio/native`'s Engine (Contract 1) the controller reads and writes.
 *
 * @internal
 */
export interface NativeEngineLike {
  readonly ringCount: number
  readonly counters: Float64Array
  readonly latencyBuckets: (ring: number) => ArrayLike<number>
  readonly setLimit: (ring: number, limit: number) => void
}

/** @internal */
export interface NativeLayout {
  readonly stride: number
  readonly completed: number
  readonly inFlight: number
  readonly queued: number
  readonly limit: number
  readonly bucketBoundsUs: ReadonlyArray<number>
}

/**
 * Deltas are taken against a private copy of the previous cumulative counters, so several readers
 * (this sampler, `stats`) never reset each other's view.
 *
 * @internal
 */
export const fromNative = (engine: NativeEngineLike, layout: NativeLayout): AimdSampler => {
  const rings = engine.ringCount
  const lastCompleted = new Float64Array(rings)
  const lastBuckets: Array<Float64Array> = []
  for (let ring = 0; ring < rings; ring++) {
    const base = ring * layout.stride
    lastCompleted[ring] = engine.counters[base + layout.completed]!
    lastBuckets.push(Float64Array.from(engine.latencyBuckets(ring)))
  }
  return {
    ringCount: rings,
    bucketBoundsUs: layout.bucketBoundsUs,
    sample: (ring) =>
      Effect.sync(() => {
        const base = ring * layout.stride
        const counters = engine.counters
        const completed = counters[base + layout.completed]!
        const buckets = engine.latencyBuckets(ring)
        const previous = lastBuckets[ring]!
        const delta = new Float64Array(previous.length)
        for (let i = 0; i < previous.length; i++) {
          const now = buckets[i]!
          delta[i] = now - previous[i]!
          previous[i] = now
        }
        const completions = completed - lastCompleted[ring]!
        lastCompleted[ring] = completed
        return {
          completions,
          inFlight: counters[base + layout.inFlight]!,
          queued: counters[base + layout.queued]!,
          limit: counters[base + layout.limit]!,
          latency: delta
        }
      }),
    setLimit: (ring, limit) => Effect.sync(() => engine.setLimit(ring, limit))
  }
}
