/**
 * Layout of the live stats arrays shared with the native engine. Must match cpp/counters.h and
 * cpp/histogram.h (a test compares LATENCY_BUCKET_BOUNDS_US with the addon's own table).
 *
 * Reading is a plain typed-array load: the AIMD controller reads `counters[ring * COUNTER_STRIDE +
 * Counter.Completed]` and the ring's histogram every 10 ms and diffs them with its previous copy.
 * @internal
 */

/** @internal */
export const Counter = {
  /** ops accepted by the ring (queued ones included; a linked chain counts as its ops) */
  Submitted: 0,
  /** ops the kernel (or the thread pool) completed */
  Completed: 1,
  /** ops handed to the kernel or thread pool and not completed yet */
  InFlight: 2,
  /** ops waiting in the ring's limit FIFO */
  Queued: 3,
  /** the ring's in-flight limit, 0 = unlimited */
  Limit: 4,
  /** io_uring_enter syscalls made for this ring */
  Enters: 5,
  /** submissions sent to another ring because this CPU's ring was at its limit */
  Spills: 6,
  /** cancel requests that found a live op */
  Cancels: 7,
  BytesRead: 8,
  BytesWritten: 9,
  /** completions with a negative result */
  Errors: 10,
  /** ops run as plain syscalls on the libuv thread pool (opcode missing in the kernel) */
  Fallbacks: 11,
  /** sum of completed ops' latencies in microseconds (mean = sum / completed) */
  LatencySumUs: 12
} as const

/** @internal */
export type Counter = (typeof Counter)[keyof typeof Counter]

/** @internal */
export const COUNTER_STRIDE = 16

const EXACT = 16
const SUB = 8
const MAX_POW = 25

/** @internal */
export const LATENCY_BUCKETS = EXACT + (MAX_POW - 4 + 1) * SUB + 1

/** @internal */
export const LATENCY_BUCKET_BOUNDS_US: ReadonlyArray<number> = Object.freeze(
  Array.from({ length: LATENCY_BUCKETS }, (_, i) => {
    if (i < EXACT) return i
    if (i === LATENCY_BUCKETS - 1) return Number.POSITIVE_INFINITY
    const k = i - EXACT
    const p = 4 + Math.floor(k / SUB)
    return (9 + (k % SUB)) * 2 ** (p - 3) - 1
  })
)

/** @internal */
export interface LatencyPercentiles {
  readonly count: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly p999: number
}

/** @internal */
export const percentile = (counts: ArrayLike<number>, q: number): number => {
  let total = 0
  for (let i = 0; i < counts.length; i++) total += counts[i]!
  if (total === 0) return 0
  const rank = Math.max(1, Math.ceil(q * total))
  let seen = 0
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!
    if (seen >= rank) {
      const b = LATENCY_BUCKET_BOUNDS_US[i]!
      // The overflow bucket has no upper bound: report where it starts.
      return Number.isFinite(b) ? b : LATENCY_BUCKET_BOUNDS_US[i - 1]! + 1
    }
  }
  return 0
}

/** @internal */
export const percentiles = (counts: ArrayLike<number>): LatencyPercentiles => {
  let count = 0
  for (let i = 0; i < counts.length; i++) count += counts[i]!
  return {
    count,
    p50: percentile(counts, 0.5),
    p90: percentile(counts, 0.9),
    p99: percentile(counts, 0.99),
    p999: percentile(counts, 0.999)
  }
}
