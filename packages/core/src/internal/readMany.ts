import type { Engine } from "@auraio/native"
import type { PlatformError } from "@effect/platform/Error"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { AuraEngine } from "../AuraEngine.js"
import type { BufferPool, Slot } from "./bufferPool.js"
import { badArgument, fromErrno } from "./errno.js"
import { checkBuffer, checkFd, normLength, normPosition, show } from "./validate.js"

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
      const room = Math.min(limit - this.inFlight, n - this.next)
      if (room >= 2 && this.fillBatch(room)) continue
      this.fillOne()
    }
  }

  private fillOne(): void {
    const p = this.p
    const i = this.next++
    const len = p.len[i]!
    const buf = p.bufs[i] ?? Buffer.allocUnsafeSlow(len)
    const slot = this.pool.slotOf(buf)
    if (slot !== undefined) this.pool.hold(slot)
    let id: number
    try {
      id = this.raw.read(p.fd[i]!, buf, len, p.pos[i]!, (res) => this.done(i, buf, slot, res))
    } catch (e) {
      if (slot !== undefined) this.pool.unhold(slot)
      return this.fault(e)
    }
    // Counted only once submitted: a refused submission must not leave a phantom in flight.
    this.inFlight++
    this.ids[i] = id
  }

  /**
   * A submission the engine refused (it is closing): nothing more is submitted, and the owner turns
   * the error into a defect once what is in flight has completed.
   */
  faulted: unknown = undefined
  onFault: ((e: unknown) => void) | undefined = undefined
  private fault(e: unknown): void {
    if (this.faulted !== undefined) return
    this.faulted = e
    this.stopped = true
    this.onFault?.(e)
  }

  /**
   * The native batch path: a run of requests on one fd whose buffers share one ArrayBuffer (or that
   * bring none: they get one slab) goes to the ring in a single native call. Returns false when the
   * run is shorter than two.
   */
  private fillBatch(room: number): boolean {
    const p = this.p
    const first = this.next
    const fd = p.fd[first]!
    const b0 = p.bufs[first]
    const ab = b0?.buffer
    let count = 0
    let slabBytes = 0
    while (count < room) {
      const i = first + count
      if (p.fd[i] !== fd) break
      const b = p.bufs[i]
      if (b === undefined ? ab !== undefined : b.buffer !== ab) break
      if (b === undefined) slabBytes += p.len[i]!
      count++
    }
    if (count < 2) return false
    const base = ab === undefined ? Buffer.allocUnsafeSlow(slabBytes) : new Uint8Array(ab)
    const offsets = new Float64Array(count)
    const lengths = new Float64Array(count)
    const positions = new Float64Array(count)
    const views: Array<Uint8Array> = new Array(count)
    const slots: Array<Slot | undefined> = new Array(count)
    let at = 0
    for (let k = 0; k < count; k++) {
      const i = first + k
      const len = p.len[i]!
      const b = p.bufs[i]
      const view = b ?? base.subarray(at, at + len)
      offsets[k] = b === undefined ? at : b.byteOffset
      if (b === undefined) at += len
      lengths[k] = len
      positions[k] = p.pos[i]!
      views[k] = view
      const slot = b === undefined ? undefined : this.pool.slotOf(b)
      if (slot !== undefined) this.pool.hold(slot)
      slots[k] = slot
    }
    const ids = new Float64Array(count).fill(-1)
    this.next += count
    let thrown: unknown = undefined
    try {
      this.raw.readBatch(fd, base, offsets, lengths, positions, count, (k, res) =>
        this.done(first + k, views[k]!, slots[k], res), ids)
    } catch (e) {
      thrown = e === undefined ? new Error("readBatch refused") : e
    }
    // Only the reads that got an id are in flight (the engine may refuse part of a batch).
    for (let k = 0; k < count; k++) {
      if (ids[k]! >= 0) {
        this.inFlight++
        this.ids[first + k] = ids[k]!
      } else if (slots[k] !== undefined) {
        this.pool.unhold(slots[k]!)
      }
    }
    if (thrown !== undefined) this.fault(thrown)
    return true
  }

  private done(i: number, buf: Uint8Array, slot: Slot | undefined, res: number): void {
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
  }

  /**
   * Refill once per completion batch rather than once per completion: the microtask runs when the
   * native dispatch returns, so a whole wave of refills becomes one native batch call.
   */
  private refillScheduled = false
  refillSoon(limit: () => number): void {
    if (this.refillScheduled) return
    this.refillScheduled = true
    queueMicrotask(() => {
      this.refillScheduled = false
      this.fill(limit())
    })
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
      return Effect.fail(badArgument("readMany", `concurrency must be a positive integer, got ${show(window)}`))
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
        batch.refillSoon(() => window)
      })
      batch.onFault = (e) => batch.stop(() => resume(Effect.die(e)))
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
      return Stream.fail(badArgument("readManyStream", `concurrency must be a positive integer, got ${show(window)}`))
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
        if (failure === undefined) batch.refillSoon(() => window - ready.length)
        wake()
      })
      batch.onFault = () => wake()
      const take = (): Effect.Effect<Chunk.Chunk<AuraEngine.ReadResult>, Option.Option<PlatformError>> => {
        if (batch.faulted !== undefined) return Effect.die(batch.faulted)
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
        const now = ready.length > 0 || failure !== undefined || delivered === n || batch.faulted !== undefined
          ? take()
          : undefined
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
