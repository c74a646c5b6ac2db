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

/**
 * The validated requests, copied (each property read once) so a request object changed after the
 * call cannot put an unchecked value in front of the native side, plus each read's in-flight id.
 * The numeric columns come from a small free list (`Arena`) and go back once the last completion of
 * the call has arrived: a batch of a few hundred reads then allocates little beyond its results.
 * (Fresh arrays per call, grown by push, were ~100 bytes per read of garbage; V8 pretenured them and
 * the scavenges that followed cost more than the reads' own JavaScript.)
 */
interface Arena {
  readonly cap: number
  readonly fd: Int32Array
  readonly pos: Float64Array
  readonly len: Int32Array
  /** The read's in-flight id, or -1. */
  readonly ids: Float64Array
}

interface Prepared {
  readonly n: number
  readonly a: Arena
  /** The caller's buffer, or (once submitted) the one allocated for the read. */
  readonly bufs: Array<Uint8Array | undefined>
}

// At most 4 arenas of up to 16384 reads (24 bytes a read) stay cached per engine: ~1.5 MiB at worst.
const ARENA_FREE_MAX = 4
const ARENA_CAP_MAX = 1 << 14

class Arenas {
  private readonly free: Array<Arena> = []
  take(n: number): Arena {
    const free = this.free
    for (let i = free.length - 1; i >= 0; i--) {
      if (free[i]!.cap >= n) {
        const a = free[i]!
        free[i] = free[free.length - 1]!
        free.pop()
        return a
      }
    }
    let cap = 64
    while (cap < n) cap *= 2
    return { cap, fd: new Int32Array(cap), pos: new Float64Array(cap), len: new Int32Array(cap), ids: new Float64Array(cap) }
  }
  give(a: Arena): void {
    if (a.cap <= ARENA_CAP_MAX && this.free.length < ARENA_FREE_MAX) this.free.push(a)
  }
}

const MAX_READ = 0x7ffff000
/** Reads per native `readBatch` call at most (the scratch arrays are this long). */
const MAX_NATIVE_BATCH = 256

// Validate everything before the first submission: a bad request 900 in should not leave 899 reads
// running.
const prepare = (
  arenas: Arenas,
  method: string,
  requests: ReadonlyArray<AuraEngine.ReadRequest>
): Prepared | PlatformError => {
  if (!Array.isArray(requests)) return badArgument(method, "requests must be an array")
  const n = requests.length
  const a = arenas.take(n)
  const bufs: Array<Uint8Array | undefined> = new Array(n)
  const bad = fillArena(a, bufs, method, requests)
  if (bad !== undefined) {
    arenas.give(a)
    return bad
  }
  return { n, a, bufs }
}

const fillArena = (
  a: Arena,
  bufs: Array<Uint8Array | undefined>,
  method: string,
  requests: ReadonlyArray<AuraEngine.ReadRequest>
): PlatformError | undefined => {
  const { fd: fds, ids, len: lens, pos: poss } = a
  for (let i = 0; i < bufs.length; i++) {
    const r = requests[i]
    if (r === null || typeof r !== "object") return badArgument(method, `request ${i} is not an object`)
    const fd = r.fd
    const badFd = checkFd(method, fd)
    if (badFd !== undefined) return badFd
    const pos = normPosition(method, r.offset)
    if (typeof pos !== "number") return pos
    if (pos < 0) return badArgument(method, `request ${i} needs an offset`)
    const len = normLength(method, "length", r.length)
    if (typeof len !== "number") return len
    if (len > MAX_READ) return badArgument(method, `request ${i}: length ${len} exceeds ${MAX_READ}`)
    const buf = r.buffer
    if (buf !== undefined) {
      const badBuf = checkBuffer(method, buf)
      if (badBuf !== undefined) return badBuf
      if (buf.length < len) return badArgument(method, `request ${i}: buffer is shorter than length`)
    }
    fds[i] = fd
    poss[i] = pos
    lens[i] = len
    ids[i] = -1
    bufs[i] = buf
  }
  return undefined
}

/**
 * Arguments of one `readBatch` call. The native side reads them (and writes the ids) during the call
 * only, so every batch of an engine shares one set: no typed array is allocated per call.
 */
interface Scratch {
  readonly offs: Float64Array
  readonly lens: Float64Array
  readonly poss: Float64Array
  readonly ids: Float64Array
}

const makeScratch = (): Scratch => ({
  offs: new Float64Array(MAX_NATIVE_BATCH),
  lens: new Float64Array(MAX_NATIVE_BATCH),
  poss: new Float64Array(MAX_NATIVE_BATCH),
  ids: new Float64Array(MAX_NATIVE_BATCH)
})

/**
 * How many free window places a completion waits for before it refills them in one native batch call:
 * small enough that a trickle of device completions keeps the window nearly full, large enough that a
 * round of page-cache completions becomes a few `readBatch` calls rather than one native call per read.
 */
const refillChunk = (window: number): number => Math.max(1, Math.min(8, window >> 2))

/**
 * The batch engine shared by `readMany` and `readManyStream`: keeps up to `room()` more reads in
 * flight, and on stop cancels what is in flight and reports when the last completion has arrived.
 *
 * Refills happen inside the completion callback, while the native dispatch loop is still running: the
 * new reads join the ring's submission queue and go to the kernel with the loop's next `io_uring_enter`
 * (one per round of completions). (Refilling from a microtask instead waited for the dispatch pass to
 * end; the native pump happens to run another pass at once, so on page-cache reads the two measured
 * the same, but this form does not depend on it.) A microtask still tops up the few places left
 * below `chunk`.
 */
class Batch {
  next = 0
  inFlight = 0
  stopped = false
  private readonly n: number
  private readonly ids: Float64Array
  /** Pool slots held by in-flight reads; allocated the first time a pool buffer is submitted. */
  private slots: Array<Slot | undefined> | undefined
  private onIdle: (() => void) | undefined
  private readonly chunk: number
  private readonly maxBatch: number
  /** The last `readBatch` base: a view over the callers' shared ArrayBuffer, made once. */
  private base: Uint8Array | undefined

  constructor(
    readonly raw: Raw,
    readonly pool: BufferPool,
    readonly scratch: Scratch,
    readonly p: Prepared,
    window: number,
    /** Free places in the window right now. */
    readonly room: () => number,
    readonly onResult: (index: number, buf: Uint8Array, result: number) => void,
    readonly arenas: Arenas
  ) {
    this.n = p.n
    this.ids = p.a.ids
    this.maxBatch = Math.min(window, MAX_NATIVE_BATCH)
    this.chunk = refillChunk(window)
  }

  /** Submit as many reads as the window has room for. */
  fill(): void {
    const n = this.n
    while (!this.stopped && this.next < n) {
      const room = this.room()
      if (room <= 0) return
      const take = Math.min(room, n - this.next, this.maxBatch)
      if (take >= 2 && this.fillBatch(take)) continue
      this.fillOne()
    }
  }

  private hold(i: number, buf: Uint8Array): void {
    const slot = this.pool.slotOf(buf)
    if (slot === undefined) return
    this.pool.hold(slot)
    if (this.slots === undefined) this.slots = new Array(this.n)
    this.slots[i] = slot
  }

  private unhold(i: number): void {
    const slots = this.slots
    if (slots === undefined) return
    const slot = slots[i]
    if (slot === undefined) return
    slots[i] = undefined
    this.pool.unhold(slot)
  }

  private fillOne(): void {
    const p = this.p
    const i = this.next++
    const len = p.a.len[i]!
    let buf = p.bufs[i]
    if (buf === undefined) p.bufs[i] = buf = Buffer.allocUnsafeSlow(len)
    if (this.pool.live !== 0) this.hold(i, buf)
    let id: number
    try {
      id = this.raw.read(p.a.fd[i]!, buf, len, p.a.pos[i]!, (res) => this.done(i, res))
    } catch (e) {
      this.unhold(i)
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
    const fd = p.a.fd[first]!
    const ab = p.bufs[first]?.buffer
    let count = 0
    let slabBytes = 0
    while (count < room) {
      const i = first + count
      if (p.a.fd[i] !== fd) break
      const b = p.bufs[i]
      if (b === undefined ? ab !== undefined : b.buffer !== ab) break
      if (b === undefined) slabBytes += p.a.len[i]!
      count++
    }
    if (count < 2) return false
    let base: Uint8Array
    if (ab === undefined) {
      base = Buffer.allocUnsafeSlow(slabBytes)
    } else {
      const last = this.base
      base = last !== undefined && last.buffer === ab ? last : (this.base = new Uint8Array(ab))
    }
    const { ids: bids, lens, offs, poss } = this.scratch
    const holding = this.pool.live !== 0
    let at = 0
    for (let k = 0; k < count; k++) {
      const i = first + k
      const len = p.a.len[i]!
      let b = p.bufs[i]
      if (b === undefined) {
        p.bufs[i] = b = base.subarray(at, at + len)
        offs[k] = at
        at += len
      } else {
        offs[k] = b.byteOffset
      }
      lens[k] = len
      poss[k] = p.a.pos[i]!
      bids[k] = -1
      if (holding) this.hold(i, b)
    }
    this.next += count
    let thrown: unknown = undefined
    try {
      this.raw.readBatch(fd, base, offs, lens, poss, count, (k, res) => this.done(first + k, res), bids)
    } catch (e) {
      thrown = e === undefined ? new Error("readBatch refused") : e
    }
    // Only the reads that got an id are in flight (the engine may refuse part of a batch).
    const ids = this.ids
    for (let k = 0; k < count; k++) {
      const id = bids[k]!
      if (id >= 0) {
        this.inFlight++
        ids[first + k] = id
      } else {
        this.unhold(first + k)
      }
    }
    if (thrown !== undefined) this.fault(thrown)
    return true
  }

  private done(i: number, res: number): void {
    this.ids[i] = -1
    this.inFlight--
    this.unhold(i)
    if (this.stopped) {
      if (this.inFlight === 0 && this.onIdle !== undefined) {
        const f = this.onIdle
        this.onIdle = undefined
        f()
      }
      return
    }
    this.onResult(i, this.p.bufs[i]!, res)
    if (this.stopped || this.next >= this.n) return
    const room = this.room()
    if (room >= this.chunk) this.fill()
    else if (room > 0) this.topUpSoon()
  }

  /** The places left below `chunk` at the end of a dispatch pass. */
  private topUpScheduled = false
  private topUpSoon(): void {
    if (this.topUpScheduled) return
    this.topUpScheduled = true
    queueMicrotask(() => {
      this.topUpScheduled = false
      this.fill()
    })
  }

  /** Gives the arena back; only once nothing is in flight and nothing more will be submitted. */
  private released = false
  release(): void {
    if (this.released) return
    this.released = true
    this.arenas.give(this.p.a)
  }

  /** Stop submitting, cancel what is in flight; `done` runs once every completion has arrived. */
  stop(done: () => void): void {
    this.stopped = true
    if (this.inFlight === 0) {
      this.release()
      return done()
    }
    this.onIdle = () => {
      this.release()
      done()
    }
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
  const scratch = makeScratch()
  const arenas = new Arenas()
  const readMany = (
    requests: ReadonlyArray<AuraEngine.ReadRequest>,
    options?: AuraEngine.ReadManyOptions & { readonly mode?: "fail-fast" | "collect" | undefined }
  ): Effect.Effect<Array<any>, PlatformError> => {
    const window = options?.concurrency ?? defaultWindow()
    if (!Number.isSafeInteger(window) || window < 1) {
      return Effect.fail(badArgument("readMany", `concurrency must be a positive integer, got ${show(window)}`))
    }
    const collect = options?.mode === "collect"
    // Validated (and copied) each time the Effect runs: an Effect may run many times, and each run
    // owns its arena and the buffers it allocates.
    return Effect.async<Array<any>, PlatformError>((resume) => {
      const p = prepare(arenas, "readMany", requests)
      if (!("a" in p)) return resume(Effect.fail(p))
      const n = p.n
      if (n === 0) {
        arenas.give(p.a)
        return resume(Effect.succeed([]))
      }
      const results = new Array<any>(n)
      let completed = 0
      const batch: Batch = new Batch(raw, pool, scratch, p, window, () => window - batch.inFlight, (i, buf, res) => {
        completed++
        if (res >= 0) {
          const data = trim(buf, p.a.len[i]!, res)
          results[i] = collect ? Either.right(data) : data
        } else {
          const err = fromErrno(res, "readMany", "read", p.a.fd[i]!)
          if (!collect) {
            batch.stop(() => resume(Effect.fail(err)))
            return
          }
          results[i] = Either.left(err)
        }
        if (completed === n) {
          batch.release()
          resume(Effect.succeed(results))
        }
      }, arenas)
      batch.onFault = (e) => batch.stop(() => resume(Effect.die(e)))
      batch.fill()
      return batch.stopAndWait
    })
  }

  const readManyStream = (
    requests: ReadonlyArray<AuraEngine.ReadRequest>,
    options?: AuraEngine.ReadManyOptions
  ): Stream.Stream<AuraEngine.ReadResult, PlatformError> => {
    const window = options?.concurrency ?? defaultWindow()
    if (!Number.isSafeInteger(window) || window < 1) {
      return Stream.fail(badArgument("readManyStream", `concurrency must be a positive integer, got ${show(window)}`))
    }
    return Stream.fromPull(Effect.suspend(() => {
      const p = prepare(arenas, "readManyStream", requests)
      // A bad request fails the stream's first pull, before any read is submitted.
      if (!("a" in p)) return Effect.succeed(Effect.fail(Option.some(p)))
      const n = p.n
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
      const batch: Batch = new Batch(raw, pool, scratch, p, window, () =>
        failure === undefined ? window - ready.length - batch.inFlight : 0, (index, buf, res) => {
        if (res >= 0) {
          ready.push({ index, data: trim(buf, p.a.len[index]!, res) })
        } else if (failure === undefined) {
          failure = fromErrno(res, "readManyStream", "read", p.a.fd[index]!)
        }
        wake()
      }, arenas)
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
        batch.fill()
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
