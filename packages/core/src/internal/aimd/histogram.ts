/**
 * Percentiles of a bucketed latency histogram.
 *
 * The native histogram has power-of-two-like buckets, so a bucket's upper bound can overstate a
 * percentile by up to 2×. Interpolating geometrically inside the bucket (ranks spread evenly over
 * the log of the bucket's span) makes the estimate move smoothly with depth, which the inflation
 * test needs: a 2× quantisation step would make a 6× threshold fire anywhere between 4× and 8×.
 *
 * @internal
 */

/**
 * `counts[i]` holds latencies ≤ `bounds[i]` (and > `bounds[i - 1]`); `counts[bounds.length]`, if
 * present, holds the overflow. An overflow bucket (that one, or a last bound of `Infinity` as in
 * the native table) is read as spanning up to twice the bound below it.
 *
 * @internal
 */
export const percentile = (
  bounds: ReadonlyArray<number>,
  counts: ArrayLike<number>,
  q: number
): number => {
  let total = 0
  for (let i = 0; i < counts.length; i++) total += counts[i]!
  if (total <= 0) return 0
  const rank = q * total
  let cumulative = 0
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i]!
    if (count <= 0) continue
    if (cumulative + count >= rank) {
      const lo = i === 0 ? 0 : i <= bounds.length ? bounds[i - 1]! : bounds[bounds.length - 1]!
      const bound = i < bounds.length ? bounds[i]! : Number.POSITIVE_INFINITY
      // An open-ended (overflow) bucket is read as spanning one more doubling.
      const hi = Number.isFinite(bound) ? bound : 2 * lo
      const fraction = Math.min(1, Math.max(0, (rank - cumulative) / count))
      return lo > 0 ? lo * Math.pow(hi / lo, fraction) : lo + (hi - lo) * fraction
    }
    cumulative += count
  }
  return 0
}

/** @internal */
export const sum = (counts: ArrayLike<number>): number => {
  let total = 0
  for (let i = 0; i < counts.length; i++) total += counts[i]!
  return total
}
