/**
 * Latency histogram for the storage check: log-linear buckets (16 per power of two, ~4.4% wide) over
 * tenths of a microsecond, so recording is one `Math.log2` and one array increment — cheap enough to
 * sit inside every peer's loop without distorting the comparison.
 *
 * @internal
 */
const SUB = 16
const BUCKETS = 512

/** @internal */
export class LatencyHistogram {
  readonly counts = new Float64Array(BUCKETS)
  count = 0

  recordMicros(us: number): void {
    const v = us * 10
    let i = v <= 1 ? 0 : Math.floor(Math.log2(v) * SUB)
    if (i >= BUCKETS) i = BUCKETS - 1
    this.counts[i]!++
    this.count++
  }

  /** The bucket's geometric middle, in microseconds; 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0
    const target = Math.max(1, Math.ceil((p / 100) * this.count))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!
      if (seen >= target) return i === 0 ? 0.1 : Math.pow(2, (i + 0.5) / SUB) / 10
    }
    return Math.pow(2, (BUCKETS - 0.5) / SUB) / 10
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!
    this.count += other.count
  }

  reset(): void {
    this.counts.fill(0)
    this.count = 0
  }
}
