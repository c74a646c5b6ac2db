import type { Engine } from "@auraio/native"
import type { PlatformError } from "@effect/platform/Error"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { AuraEngine } from "../AuraEngine.js"
import type { BufferPool } from "./bufferPool.js"
import { badArgument, fromErrno } from "./errno.js"
import { checkBuffer, checkFd, normLength, normPosition } from "./validate.js"

type Raw = Engine["raw"]

interface Prepared {
  readonly fd: Int32Array
  readonly pos: Float64Array
  readonly len: Int32Array
  readonly bufs: Array<Uint8Array | undefined>
}

const MAX_READ = 0x7ffff000

// Validate everything before the first submission: a bad request 900 in should not leave 899 reads
// running.
const prepare = (method: string, requests: ReadonlyArray<AuraEngine.ReadRequest>): Prepared | PlatformError => {
  if (!Array.isArray(requests)) return badArgument(method, "requests must be an array")
  const n = requests.length
  const out: Prepared = {
    fd: new Int32Array(n),
    pos: new Float64Array(n),
    len: new Int32Array(n),
    bufs: new Array(n)
  }
  for (let i = 0; i < n; i++) {
    const r = requests[i]
    if (r === null || typeof r !== "object") return badArgument(method, `request ${i} is not an object`)
    const badFd = checkFd(method, r.fd)
    if (badFd !== undefined) return badFd
    const pos = normPosition(method, r.offset)
    if (typeof pos !== "number") return pos
    if (pos < 0) return badArgument(method, `request ${i} needs an offset`)
    const len = normLength(method, "length", r.length)
    if (typeof len !== "number") return len
    if (len > MAX_READ) return badArgument(method, `request ${i}: length ${len} exceeds ${MAX_READ}`)
    if (r.buffer !== undefined) {
      const badBuf = checkBuffer(method, r.buffer)
      if (badBuf !== undefined) return badBuf
      if (r.buffer.length < len) return badArgument(method, `request ${i}: buffer is shorter than length`)
    }
    out.fd[i] = r.fd
    out.pos[i] = pos
    out.len[i] = len
    out.bufs[i] = r.buffer
  }
  return out
}

/**
 * The batch engine shared by `readMany` and `readManyStream`: keeps up to `window` reads in flight,
 * refilling from the completion callback (so a whole wave of refills goes to the kernel in the
 * native side's next batched submit), and on stop cancels what is in flight and reports when the
 * last completion has arrived.
 */
class Batch {
  next = 0
  inFlight = 0
  stopped = false
  private readonly ids: Float64Array
  private onIdle: (() => void) | undefined
  // Results are handed out as the `onResult` callback decides; refills may be held back by `gate`.
  constructor(
    readonly raw: Raw,
    readonly pool: BufferPool,
    readonly p: Prepared,
    readonly window: number,
    readonly onResult: (index: number, buf: Uint8Array, result: number) => void
  ) {
    this.ids = new Float64Array(p.len.length).fill(-1)
  }

  fill(limit: number): void {
    const p = this.p
    const n = p.len.length
    while (!this.stopped && this.next < n && this.inFlight < limit) {
      const i = this.next++
      const len = p.len[i]!
      const buf = p.bufs[i] ?? Buffer.allocUnsafeSlow(len)
      const slot = this.pool.slotOf(buf)
      if (slot !== undefined) this.pool.hold(slot)
      this.inFlight++
      this.ids[i] = this.raw.read(p.fd[i]!, buf, len, p.pos[i]!, (res) => {
        this.ids[i] = -1
        this.inFlight--
        if (slot !== undefined) this.pool.unhold(slot)
        if (this.stopped) {
          if (this.inFlight === 0 && this.onIdle !== undefined) {
            const f = this.onIdle
            this.onIdle = undefined
            f()
          }
          return
        }
        this.onResult(i, buf, res)
      })
    }
  }

  /** Stop submitting, cancel what is in flight; `done` runs once every completion has arrived. */
  stop(done: () => void): void {
    this.stopped = true
    if (this.inFlight === 0) return done()
    this.onIdle = done
    const ids = this.ids
    for (let i = 0; i < this.next; i++) if (ids[i]! >= 0) this.raw.cancel(ids[i]!)
  }

  /** An Effect that stops the batch and waits for the kernel to let go of every buffer. */
  readonly stopAndWait: Effect.Effect<void> = Effect.async<void>((resume) => {
    this.stop(() => resume(Effect.void))
  })
}

const trim = (buf: Uint8Array, len: number, res: number): Uint8Array =>
  res === buf.length ? buf : buf.subarray(0, res < len ? res : len)

/** @internal */
export const makeReadMany = (raw: Raw, pool: BufferPool, defaultWindow: () => number) => {
  const readMany = (
    requests: ReadonlyArray<AuraEngine.ReadRequest>,
    options?: AuraEngine.ReadManyOptions & { readonly mode?: "fail-fast" | "collect" | undefined }
  ): Effect.Effect<Array<any>, PlatformError> => {
    const p = prepare("readMany", requests)
    if (!("fd" in p)) return Effect.fail(p)
    const window = options?.concurrency ?? defaultWindow()
    if (!Number.isSafeInteger(window) || window < 1) {
      return Effect.fail(badArgument("readMany", `concurrency must be a positive integer, got ${window}`))
    }
    const collect = options?.mode === "collect"
    const n = p.len.length
    if (n === 0) return Effect.succeed([])
    return Effect.async<Array<any>, PlatformError>((resume) => {
      const results = new Array<any>(n)
      let completed = 0
      const batch: Batch = new Batch(raw, pool, p, window, (i, buf, res) => {
        completed++
        if (res >= 0) {
          const data = trim(buf, p.len[i]!, res)
          results[i] = collect ? Either.right(data) : data
        } else {
          const err = fromErrno(res, "readMany", "read", p.fd[i]!)
          if (!collect) {
            batch.stop(() => resume(Effect.fail(err)))
            return
          }
          results[i] = Either.left(err)
        }
        if (completed === n) return resume(Effect.succeed(results))
        batch.fill(window)
      })
      batch.fill(window)
      return batch.stopAndWait
    })
  }

  const readManyStream = (
    requests: ReadonlyArray<AuraEngine.ReadRequest>,
    options?: AuraEngine.ReadManyOptions
  ): Stream.Stream<AuraEngine.ReadResult, PlatformError> => {
    const p = prepare("readManyStream", requests)
    if (!("fd" in p)) return Stream.fail(p)
    const window = options?.concurrency ?? defaultWindow()
    if (!Number.isSafeInteger(window) || window < 1) {
      return Stream.fail(badArgument("readManyStream", `concurrency must be a positive integer, got ${window}`))
    }
    const n = p.len.length
    return Stream.fromPull(Effect.suspend(() => {
      // Completed-but-unpulled results count against the window, so a slow consumer throttles the
      // reads instead of piling up buffers.
      let ready: Array<AuraEngine.ReadResult> = []
      let failure: PlatformError | undefined
      let delivered = 0
      let waiter: ((e: Effect.Effect<Chunk.Chunk<AuraEngine.ReadResult>, Option.Option<PlatformError>>) => void) | undefined
      const wake = () => {
        if (waiter === undefined) return
        const w = waiter
        waiter = undefined
        w(take())
      }
      const batch: Batch = new Batch(raw, pool, p, window, (index, buf, res) => {
        if (res >= 0) {
          ready.push({ index, data: trim(buf, p.len[index]!, res) })
        } else if (failure === undefined) {
          failure = fromErrno(res, "readManyStream", "read", p.fd[index]!)
        }
        if (failure === undefined) batch.fill(window - ready.length)
        wake()
      })
      const take = (): Effect.Effect<Chunk.Chunk<AuraEngine.ReadResult>, Option.Option<PlatformError>> => {
        if (ready.length > 0) {
          const out = ready
          ready = []
          delivered += out.length
          return Effect.succeed(Chunk.unsafeFromArray(out))
        }
        if (failure !== undefined) return Effect.fail(Option.some(failure))
        if (delivered === n) return Effect.fail(Option.none())
        return undefined as never
      }
      const pull = Effect.async<Chunk.Chunk<AuraEngine.ReadResult>, Option.Option<PlatformError>>((resume) => {
        batch.fill(window - ready.length)
        const now = ready.length > 0 || failure !== undefined || delivered === n ? take() : undefined
        if (now !== undefined) return resume(now)
        waiter = resume
        return Effect.sync(() => {
          waiter = undefined
        })
      })
      return Effect.as(Effect.addFinalizer(() => batch.stopAndWait), pull)
    }))
  }

  return { readMany, readManyStream }
}
