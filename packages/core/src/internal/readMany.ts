import type { Engine } from "@auraio/native"
import type { PlatformError } from "@effect/platform/Error"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { constants as osConstants } from "node:os"
import type { AuraEngine } from "../AuraEngine.js"
import type { BufferPool, Slot } from "./bufferPool.js"
import { badArgument, fromErrno } from "./errno.js"
import { type OpEnv, runOp } from "./op.js"
import { checkBuffer, checkFd, normLength, normPosition, show } from "./validate.js"

type Raw = Engine["raw"]

/**
 * The validated requests, copied (each property read once) so a request object changed after the
 * call cannot put an unchecked value in front of the native side. The columns come from a small free
 * list and go back once the last completion of the call has arrived: a batch then allocates little
 * beyond its results. (Fresh arrays per call, grown by push, were ~100 bytes per read of garbage; V8
 * pretenured them and the scavenges that followed cost more than the reads' own JavaScript.)
 *
 * `readMany` hands the columns to the engine's native job as they are (`raw.readMany`): request i
 * reads into the ArrayBuffer of `bases[base[i]]` at byte offset `off[i]`. `readManyStream` submits
 * from JavaScript (`Batch` below) and records each read's in-flight id in `ids`.
 */
interface Arena {
  readonly cap: number
  readonly fd: Int32Array
  readonly pos: Float64Array
  readonly len: Int32Array
  readonly base: Int32Array
  readonly off: Float64Array
  /** Written by the native job: bytes read, or -errno. */
  readonly results: Int32Array
  /** The read's in-flight id, or -1 (`readManyStream`). */
  readonly ids: Float64Array
  /** The caller's buffer, or (once submitted) the one allocated for the read. Cleared on release. */
  readonly bufs: Array<Uint8Array | undefined>
  /** One view per distinct ArrayBuffer the requests' buffers live in (usually one). */
  readonly bases: Array<Uint8Array>
}

interface Prepared {
  readonly n: number
  readonly a: Arena
  /** Bytes of the requests that bring no buffer (they share one slab, allocated when submitted). */
  readonly missing: number
  /** How many requests bring no buffer. */
  readonly unbuffered: number
}

// At most 4 arenas of up to 16384 reads (~48 bytes a read) stay cached per engine: ~3 MiB at worst.
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
    return {
      cap,
      fd: new Int32Array(cap),
      pos: new Float64Array(cap),
      len: new Int32Array(cap),
      base: new Int32Array(cap),
      off: new Float64Array(cap),
      results: new Int32Array(cap),
      ids: new Float64Array(cap),
      bufs: new Array(cap).fill(undefined),
      bases: []
    }
  }
  /** Takes `a` back after a call that used its first `n` places; drops every reference to user memory. */
  give(a: Arena, n: number): void {
    // Plain loops: `fill` and a `length` store are C++ builtins here (~0.5 us a call, measured).
    const bufs = a.bufs
    for (let i = 0; i < n; i++) bufs[i] = undefined
    const bases = a.bases
    while (bases.length > 0) bases.pop()
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
  const p = fillArena(a, n, method, requests)
  if (!("a" in p)) arenas.give(a, n)
  return p
}

/** Fills the columns, or returns the first bad request's error. */
const fillArena = (
  a: Arena,
  n: number,
  method: string,
  requests: ReadonlyArray<AuraEngine.ReadRequest>
): Prepared | PlatformError => {
  const { base: bases, bufs, fd: fds, ids, len: lens, off: offs, pos: poss } = a
  const views = a.bases
  let lastAb: ArrayBufferLike | undefined
  let lastBase = -1
  let missing = 0
  let unbuffered = 0
  for (let i = 0; i < n; i++) {
    const r = requests[i]
    if (r === null || typeof r !== "object") return badArgument(method, `request ${i} is not an object`)
    const fd = r.fd
    // Fast paths for the common shapes (small integers, a non-empty Uint8Array); anything else goes
    // through the shared validators, which also name what is wrong.
    if (typeof fd !== "number" || (fd | 0) !== fd || fd < 0) {
      const badFd = checkFd(method, fd)
      if (badFd !== undefined) return badFd
    }
    const offset = r.offset
    let pos: number
    if (typeof offset === "number" && offset >= 0 && offset <= Number.MAX_SAFE_INTEGER && Math.floor(offset) === offset) {
      pos = offset
    } else {
      const p = normPosition(method, offset)
      if (typeof p !== "number") return p
      if (p < 0) return badArgument(method, `request ${i} needs an offset`)
      pos = p
    }
    const length = r.length
    let len: number
    if (typeof length === "number" && (length | 0) === length && length >= 0) {
      len = length
    } else {
      const l = normLength(method, "length", length)
      if (typeof l !== "number") return l
      len = l
    }
    if (len > MAX_READ) return badArgument(method, `request ${i}: length ${len} exceeds ${MAX_READ}`)
    const buf = r.buffer
    if (buf !== undefined) {
      // `length`, not `byteLength`: the same for a Uint8Array, and an inlined load rather than a
      // builtin call (~1 vs ~10 ns a request on Node 20).
      if (!(buf instanceof Uint8Array) || buf.length === 0) {
        const badBuf = checkBuffer(method, buf)
        if (badBuf !== undefined) return badBuf
      }
      if (buf.length < len) return badArgument(method, `request ${i}: buffer is shorter than length`)
      const ab = buf.buffer
      if (ab !== lastAb) {
        lastAb = ab
        lastBase = views.length
        for (let k = 0; k < views.length; k++) {
          if (views[k]!.buffer === ab) {
            lastBase = k
            break
          }
        }
        if (lastBase === views.length) views.push(buf)
      }
      bases[i] = lastBase
      offs[i] = buf.byteOffset
    } else {
      bases[i] = -1
      offs[i] = missing
      missing += len
      unbuffered++
    }
    fds[i] = fd
    poss[i] = pos
    lens[i] = len
    ids[i] = -1
    bufs[i] = buf
  }
  return { n, a, missing, unbuffered }
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
    let buf = p.a.bufs[i]
    if (buf === undefined) p.a.bufs[i] = buf = Buffer.allocUnsafeSlow(len)
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
    const ab = p.a.bufs[first]?.buffer
    let count = 0
    let slabBytes = 0
    while (count < room) {
      const i = first + count
      if (p.a.fd[i] !== fd) break
      const b = p.a.bufs[i]
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
      let b = p.a.bufs[i]
      if (b === undefined) {
        p.a.bufs[i] = b = base.subarray(at, at + len)
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
    this.onResult(i, this.p.a.bufs[i]!, res)
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
    this.arenas.give(this.p.a, this.p.n)
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

// What the job's callback gets (packages/native/src/internal/raw.ts): >= 0 is the index of the request
// whose error stopped a fail-fast job.
const READ_MANY_DONE = -1
const READ_MANY_NO_SLOT = -3

const holdAll = (pool: BufferPool, bufs: ReadonlyArray<Uint8Array | undefined>, n: number): Array<Slot> => {
  const held: Array<Slot> = []
  for (let i = 0; i < n; i++) {
    const b = bufs[i]
    const slot = b === undefined ? undefined : pool.slotOf(b)
    if (slot !== undefined) {
      pool.hold(slot)
      held.push(slot)
    }
  }
  return held
}

/**
 * The outcome of a finished job from its results column: in request order; fail-fast fails with the
 * error that stopped the job (or, when something else cancelled it, the first error in request order).
 */
const settle = (
  a: Arena,
  n: number,
  slab: Buffer | undefined,
  code: number,
  collect: boolean
): Effect.Effect<Array<any>, PlatformError> => {
  const { bufs, fd, len, off, results } = a
  if (!collect && code !== READ_MANY_DONE) {
    let at = code
    if (at < 0) {
      at = 0
      while (at < n - 1 && results[at]! >= 0) at++
    }
    return Effect.fail(fromErrno(results[at]! < 0 ? results[at]! : -ECANCELED, "readMany", "read", fd[at]!))
  }
  const out = new Array<any>(n)
  for (let i = 0; i < n; i++) {
    const res = results[i]!
    if (res < 0) {
      out[i] = Either.left(fromErrno(res, "readMany", "read", fd[i]!))
      continue
    }
    const buf = bufs[i]
    const l = len[i]!
    const got = res < l ? res : l
    let data: Uint8Array
    if (buf !== undefined) data = got === buf.length ? buf : buf.subarray(0, got)
    else data = slab!.subarray(off[i]!, off[i]! + got)
    out[i] = collect ? Either.right(data) : data
  }
  return Effect.succeed(out)
}

const ECANCELED = osConstants.errno.ECANCELED

/** @internal */
export const makeReadMany = (raw: Raw, pool: BufferPool, defaultWindow: () => number) => {
  const env: OpEnv = { cancel: (id: number) => raw.cancel(id), pool }
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
    return Effect.suspend(() => {
      const p = prepare(arenas, "readMany", requests)
      if (!("a" in p)) return Effect.fail(p)
      if (p.n === 0) {
        arenas.give(p.a, 0)
        return Effect.succeed([])
      }
      return runJob(p, window, collect)
    })
  }

  /**
   * One native job for the whole call (`raw.readMany`): the engine keeps `window` reads in flight and
   * refills the window from its completion path, so JavaScript runs once to submit and once when the
   * last read has completed — nothing per read but building the result.
   *
   * The job is one op to the Effect layer (`runOp`, as `read` is): interruption cancels the job and the
   * fiber stays suspended until the job's callback, i.e. until every member read has its CQE, so no
   * buffer (and no pool buffer's hold) is given back while the kernel may still write into it. On the
   * direct path the completion resumes the fiber on the spot (no scheduler hop): its next call is
   * submitted inside the same native dispatch. (`Effect.async` with a canceller wraps `onExit` and
   * resumes through the scheduler: part of the ~7 us a call that docs/design/read-many.md's second pass
   * removed.)
   */
  const runJob = (p: Prepared, window: number, collect: boolean): Effect.Effect<Array<any>, PlatformError> => {
    const { a, n } = p
    const bufs = a.bufs
    let slab: Buffer | undefined
    if (p.unbuffered > 0) {
      // The requests without a buffer share one slab; each result is a view of its part.
      slab = Buffer.allocUnsafeSlow(p.missing)
      const b = a.bases.length
      a.bases.push(slab)
      const base = a.base
      for (let i = 0; i < n; i++) if (base[i] === -1) base[i] = b
    }
    const held = pool.live === 0 ? undefined : holdAll(pool, bufs, n)
    const unholdAll = () => {
      if (held !== undefined) for (let k = 0; k < held.length; k++) pool.unhold(held[k]!)
    }
    // Built when the job ends (the arena goes back then), handed to the fiber unless it was interrupted.
    let outcome: Effect.Effect<Array<any>, PlatformError> | undefined
    const submit = (cb: (code: number) => void): number => {
      const done = (code: number) => {
        unholdAll()
        outcome = code === READ_MANY_NO_SLOT
          ? Effect.die(new RangeError("more than 2^20 operations are outstanding on this engine"))
          : settle(a, n, slab, code, collect)
        arenas.give(a, n)
        cb(code)
      }
      try {
        return raw.readMany(a.fd, a.pos, a.len, a.base, a.off, a.bases, n, Math.min(window, n), !collect, a.results, done, a)
      } catch (e) {
        unholdAll()
        arenas.give(a, n)
        throw e
      }
    }
    return runOp(env, undefined, undefined, submit, () => outcome!)
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
