import type { Engine } from "@auraio/native"
import { COUNTER_STRIDE, Counter, LATENCY_BUCKET_BOUNDS_US } from "@auraio/native"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"

// Prometheus-style cumulative buckets folded from the native log-linear histogram (193 buckets is
// too many label values to export). Effect histograms take one observation per call, which would
// mean a million calls a second at full rate; cumulative gauges carry the same information.
const EXPORT_BOUNDS_US = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 100_000, 1_000_000]

/** @internal */
export const inFlightGauge = Metric.gauge("auraio_in_flight", { description: "ops in flight in the kernel, per ring" })
/** @internal */
export const queuedGauge = Metric.gauge("auraio_queued", { description: "ops waiting for the in-flight limit, per ring" })
/** @internal */
export const limitGauge = Metric.gauge("auraio_limit", { description: "in-flight limit (0 = unlimited), per ring" })
/** @internal */
export const opsCounter = Metric.counter("auraio_ops_total", { description: "completed ops, per ring" })
/** @internal */
export const errorsCounter = Metric.counter("auraio_errors_total", { description: "ops completed with an error" })
/** @internal */
export const bytesCounter = Metric.counter("auraio_bytes_total", { description: "bytes transferred, per ring and direction" })
/** @internal */
export const latencyBucketGauge = Metric.gauge("auraio_latency_us_bucket", {
  description: "completed ops with latency <= le microseconds (cumulative, since start), per ring"
})
/** @internal */
export const latencyMeanGauge = Metric.gauge("auraio_latency_mean_us", { description: "mean latency since the last sample" })

interface RingMetrics {
  readonly inFlight: Metric.Metric.Gauge<number>
  readonly queued: Metric.Metric.Gauge<number>
  readonly limit: Metric.Metric.Gauge<number>
  readonly ops: Metric.Metric.Counter<number>
  readonly errors: Metric.Metric.Counter<number>
  readonly bytesRead: Metric.Metric.Counter<number>
  readonly bytesWritten: Metric.Metric.Counter<number>
  readonly mean: Metric.Metric.Gauge<number>
  readonly buckets: ReadonlyArray<Metric.Metric.Gauge<number>>
}

/**
 * One background fiber for the whole engine: every `interval` it reads the native counters and
 * pushes deltas and levels into Effect Metrics tagged by ring. Nothing is recorded per op.
 * @internal
 */
export const run = (native: Engine, interval: Duration.DurationInput): Effect.Effect<void, never, Scope.Scope> => {
  const rings = native.ringCount
  const per: Array<RingMetrics> = []
  for (let r = 0; r < rings; r++) {
    const tag = <M extends Metric.Metric<any, any, any>>(m: M): M => Metric.tagged(m, "ring", String(r)) as M
    per.push({
      inFlight: tag(inFlightGauge),
      queued: tag(queuedGauge),
      limit: tag(limitGauge),
      ops: tag(opsCounter),
      errors: tag(errorsCounter),
      bytesRead: Metric.tagged(tag(bytesCounter), "direction", "read"),
      bytesWritten: Metric.tagged(tag(bytesCounter), "direction", "write"),
      mean: tag(latencyMeanGauge),
      buckets: EXPORT_BOUNDS_US.map((le) => Metric.tagged(tag(latencyBucketGauge), "le", String(le))).concat(
        Metric.tagged(tag(latencyBucketGauge), "le", "+Inf")
      )
    })
  }
  const last = new Float64Array(rings * COUNTER_STRIDE)
  const bounds = LATENCY_BUCKET_BOUNDS_US

  const sample = Effect.suspend(() => {
    const c = native.counters
    const effects: Array<Effect.Effect<void>> = []
    for (let r = 0; r < rings; r++) {
      const base = r * COUNTER_STRIDE
      const m = per[r]!
      const delta = (i: number) => {
        const d = c[base + i]! - last[base + i]!
        last[base + i] = c[base + i]!
        return d
      }
      const completed = delta(Counter.Completed)
      const latencySum = delta(Counter.LatencySumUs)
      effects.push(
        Metric.set(m.inFlight, c[base + Counter.InFlight]!),
        Metric.set(m.queued, c[base + Counter.Queued]!),
        Metric.set(m.limit, c[base + Counter.Limit]!),
        Metric.incrementBy(m.ops, completed),
        Metric.incrementBy(m.errors, delta(Counter.Errors)),
        Metric.incrementBy(m.bytesRead, delta(Counter.BytesRead)),
        Metric.incrementBy(m.bytesWritten, delta(Counter.BytesWritten))
      )
      if (completed > 0) effects.push(Metric.set(m.mean, latencySum / completed))
      const hist = native.latencyBuckets(r)
      let cum = 0
      let k = 0
      for (let b = 0; b < hist.length; b++) {
        const upper = bounds[b] ?? Infinity
        while (k < EXPORT_BOUNDS_US.length && upper > EXPORT_BOUNDS_US[k]!) {
          effects.push(Metric.set(m.buckets[k]!, cum))
          k++
        }
        cum += hist[b]!
      }
      for (; k <= EXPORT_BOUNDS_US.length; k++) effects.push(Metric.set(m.buckets[k]!, cum))
    }
    return Effect.all(effects, { discard: true })
  })

  return Effect.asVoid(Effect.forkScoped(Effect.repeat(sample, Schedule.spaced(interval)).pipe(Effect.interruptible)))
}
