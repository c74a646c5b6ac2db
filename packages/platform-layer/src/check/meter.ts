/**
 * What every peer's loop reports into: operation and byte counts and a latency histogram, plus a window
 * histogram that the sampler drains for the timeline. One `performance.now()` per operation.
 *
 * @internal
 */
import { performance } from "node:perf_hooks"
import { LatencyHistogram } from "./histogram.js"

/** @internal */
export class Meter {
  ops = 0
  bytes = 0
  readonly latency = new LatencyHistogram()
  readonly window = new LatencyHistogram()
  stopped = false
  /** Called from `record` at most once per `sampleEvery` ms: timeline points even when timers starve. */
  onSample: ((now: number) => void) | undefined = undefined
  sampleEvery = 250
  lastSample = performance.now()

  constructor(readonly deadline: number) {}

  /**
   * True once the run's time is up (and at least one operation completed, so a slow start on a busy
   * machine still yields a figure) or it was stopped (interruption, error in a sibling worker).
   */
  done(): boolean {
    return this.stopped || (this.ops > 0 && performance.now() >= this.deadline)
  }

  record(t0: number, bytes: number): void {
    const now = performance.now()
    const us = (now - t0) * 1000
    this.latency.recordMicros(us)
    this.window.recordMicros(us)
    this.ops++
    this.bytes += bytes
    if (this.onSample !== undefined && now - this.lastSample >= this.sampleEvery) this.onSample(now)
  }
}

/** xorshift32: random block numbers without allocating, one generator per worker. @internal */
export const rng = (seed: number) => {
  let s = (seed * 2654435761) >>> 0 || 1
  return (n: number): number => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s % n
  }
}
