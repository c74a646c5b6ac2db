/**
 * The Effect `Metric`s the engine keeps, all tagged with `ring` and refreshed by one background
 * fiber from the native counters (every `metricsInterval`, default 1 s) — nothing is recorded per
 * op. Read them with `Metric.value`, `Metric.snapshot`, or any Effect metrics exporter.
 *
 * @since 0.1.0
 */
import type * as Metric from "effect/Metric"
import * as internal from "./internal/metrics.js"

/**
 * Ops in flight in the kernel (or thread pool).
 *
 * @since 0.1.0
 * @category metrics
 */
export const inFlight: Metric.Metric.Gauge<number> = internal.inFlightGauge

/**
 * Ops waiting for the ring's in-flight limit.
 *
 * @since 0.1.0
 * @category metrics
 */
export const queued: Metric.Metric.Gauge<number> = internal.queuedGauge

/**
 * The ring's in-flight limit (0 = unlimited), as the AIMD controller sets it.
 *
 * @since 0.1.0
 * @category metrics
 */
export const limit: Metric.Metric.Gauge<number> = internal.limitGauge

/**
 * Completed ops.
 *
 * @since 0.1.0
 * @category metrics
 */
export const ops: Metric.Metric.Counter<number> = internal.opsCounter

/**
 * Ops completed with an error.
 *
 * @since 0.1.0
 * @category metrics
 */
export const errors: Metric.Metric.Counter<number> = internal.errorsCounter

/**
 * Bytes transferred, tagged `direction` = `read` | `write`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const bytes: Metric.Metric.Counter<number> = internal.bytesCounter

/**
 * Latency histogram as cumulative bucket counts tagged `le` (µs, Prometheus convention, `+Inf`
 * last), folded from the native 193-bucket log-linear histogram.
 *
 * @since 0.1.0
 * @category metrics
 */
export const latencyBucket: Metric.Metric.Gauge<number> = internal.latencyBucketGauge

/**
 * Mean latency (µs) of the ops completed since the previous sample.
 *
 * @since 0.1.0
 * @category metrics
 */
export const latencyMean: Metric.Metric.Gauge<number> = internal.latencyMeanGauge
