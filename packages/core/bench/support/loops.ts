/**
 * Closed loops for the benchmarks' peers that drive the native callback API directly (no Effect):
 * `loops` independent loops each re-issue their next call from its completion until `seconds` are up.
 * Shared by `bench/randread.ts` and the profiling aids in `scratchpad/readmany/`.
 */
import { performance } from "node:perf_hooks"

/** One run of closed loops: reads done, wall time, and this process's CPU time over it. */
export interface LoopRun {
  readonly reads: number
  readonly ms: number
  readonly userNs: number
  readonly systemNs: number
}

/**
 * Runs `loops` closed loops for `seconds`. `issue(i, first, done)` submits loop i's next call of
 * `readsPerCall` reads (`first` on its initial one) with `done` as its completion callback: the same
 * function for every call of a loop, so a loop allocates nothing per call. A loop ends on the first
 * completion after time is up, the run when every loop has ended.
 */
export const closedLoops = (
  loops: number,
  seconds: number,
  readsPerCall: number,
  issue: (i: number, first: boolean, done: () => void) => void
): Promise<LoopRun> =>
  new Promise((resolve) => {
    let reads = 0
    let stop = false
    let live = loops
    const start = performance.now()
    const cpu = process.cpuUsage()
    setTimeout(() => (stop = true), seconds * 1000)
    for (let i = 0; i < loops; i++) {
      const done = () => {
        reads += readsPerCall
        if (!stop) return issue(i, false, done)
        if (--live > 0) return
        const d = process.cpuUsage(cpu)
        resolve({ reads, ms: performance.now() - start, userNs: d.user * 1000, systemNs: d.system * 1000 })
      }
      issue(i, true, done)
    }
  })

/**
 * The columns of one native `raw.readMany` job of `batch` reads of `bs` bytes from `fd`, into a slab of
 * `distinct` blocks reused call after call; `refill(offset)` sets new positions for the next call.
 */
export const jobColumns = (fd: number, batch: number, distinct: number, bs: number) => {
  const slab = new Uint8Array(distinct * bs)
  const offs = new Float64Array(batch)
  for (let i = 0; i < batch; i++) offs[i] = (i % distinct) * bs
  const pos = new Float64Array(batch)
  return {
    fds: new Int32Array(batch).fill(fd),
    pos,
    lens: new Int32Array(batch).fill(bs),
    bases: new Int32Array(batch),
    offs,
    buffers: [slab],
    results: new Int32Array(batch),
    refill: (offset: () => number) => {
      for (let i = 0; i < batch; i++) pos[i] = offset()
    }
  }
}
