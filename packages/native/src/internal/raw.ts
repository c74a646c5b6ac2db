import { markAsUntransferable } from "node:worker_threads"
import { EngineClosedError } from "./errors.js"
import type { NativeEngine } from "./loader.js"

// Keeping the view in `keep` does not keep its memory: structuredClone/postMessage with a transfer list
// detaches the ArrayBuffer and moves the backing store to a clone that may be collected while the kernel
// still writes into it. An untransferable ArrayBuffer is copied instead, so its memory outlives the op.
// (Found by test/reliability-native.test.ts, "an in-flight buffer stays alive".)
// markAsUntransferable costs ~100 ns; most callers reuse a few ArrayBuffers, so remember what is marked.
let lastPinned: ArrayBufferLike | undefined
const pinned = new WeakSet<ArrayBufferLike>()
const pin = (buf: Uint8Array): void => {
  const ab = buf.buffer
  if (ab === lastPinned) return
  lastPinned = ab
  if (pinned.has(ab)) return
  pinned.add(ab)
  markAsUntransferable(ab)
}

/** `result >= 0`: the syscall's return value; `result < 0`: `-errno`. @internal */
export type RawCallback = (result: number) => void
/** Batch reads: `index` is the op's position in the batch. @internal */
export type BatchCallback = (index: number, result: number) => void

// Ids are gen * 2^20 + slot (< 2^53). `id & SLOT_MASK` is exact: ToInt32 keeps the low 32 bits.
const SLOT_MASK = 0xfffff

const refused = (id: number): Error =>
  id === -1
    ? new EngineClosedError()
    : id === -4
    ? new RangeError("readMany: a column is shorter than count")
    : new RangeError("more than 2^20 operations are outstanding on this engine")

/**
 * What the callback of `readMany` gets: every request ran (`READ_MANY_DONE`), the job was cancelled
 * (`READ_MANY_STOPPED`: by `cancel`, `cancelAll` or close), it ran out of slots (`READ_MANY_NO_SLOT`), or,
 * when `>= 0`, the index of the request whose error stopped a fail-fast job. In every case each entry of
 * `results` holds its request's outcome (bytes read, or `-errno`; `-ECANCELED` when never submitted).
 * @internal
 */
export const READ_MANY_DONE = -1
/** @internal */
export const READ_MANY_STOPPED = -2
/** @internal */
export const READ_MANY_NO_SLOT = -3

/**
 * The hot path: no validation, primitive arguments, one native call per op (or per batch). The callback
 * and the buffer live in per-slot arrays until the completion arrives, so the kernel never writes into
 * memory the GC has freed and no closure is allocated per op by the engine itself.
 * @internal
 */
export class RawEngine {
  /** @internal */
  readonly cbs: Array<RawCallback | BatchCallback | undefined> = []
  /** @internal */
  readonly keep: Array<unknown> = []
  /** @internal */
  readonly idx: Array<number> = []
  /** @internal */
  outstanding = 0
  /** @internal */
  closed = false
  /** @internal */
  onIdle: (() => void) | undefined = undefined
  private batchIds = new Float64Array(256)

  /** @internal */
  constructor(
    /** @internal */ readonly n: NativeEngine
  ) {}

  private track(id: number, cb: RawCallback, keep: unknown): number {
    if (id < 0) throw refused(id)
    const s = id & SLOT_MASK
    this.cbs[s] = cb
    this.keep[s] = keep
    this.idx[s] = -1
    this.outstanding++
    return id
  }

  private check(): void {
    if (this.closed) throw new EngineClosedError()
  }

  read(fd: number, buf: Uint8Array, len: number, pos: number, cb: RawCallback): number {
    if (this.closed) throw new EngineClosedError()
    pin(buf)
    return this.track(this.n.read(fd, buf, len, pos), cb, buf)
  }

  write(fd: number, buf: Uint8Array, len: number, pos: number, cb: RawCallback): number {
    if (this.closed) throw new EngineClosedError()
    pin(buf)
    return this.track(this.n.write(fd, buf, len, pos), cb, buf)
  }

  /**
   * Like `read`, into a buffer registered with `engine.registerBuffers`: `buf` must lie inside registered
   * buffer `bufIndex` (the kernel skips pinning pages per op). `-EFAULT` when it does not.
   */
  readFixed(fd: number, buf: Uint8Array, len: number, pos: number, bufIndex: number, cb: RawCallback): number {
    if (this.closed) throw new EngineClosedError()
    return this.track(this.n.readFixed(fd, buf, len, pos, bufIndex), cb, buf)
  }

  writeFixed(fd: number, buf: Uint8Array, len: number, pos: number, bufIndex: number, cb: RawCallback): number {
    if (this.closed) throw new EngineClosedError()
    return this.track(this.n.writeFixed(fd, buf, len, pos, bufIndex), cb, buf)
  }

  readv(fd: number, bufs: ReadonlyArray<Uint8Array>, pos: number, cb: RawCallback): number {
    this.check()
    for (let i = 0; i < bufs.length; i++) pin(bufs[i]!)
    return this.track(this.n.readv(fd, bufs, pos), cb, bufs)
  }

  writev(fd: number, bufs: ReadonlyArray<Uint8Array>, pos: number, cb: RawCallback): number {
    this.check()
    for (let i = 0; i < bufs.length; i++) pin(bufs[i]!)
    return this.track(this.n.writev(fd, bufs, pos), cb, bufs)
  }

  fsync(fd: number, datasync: boolean, cb: RawCallback): number {
    this.check()
    return this.track(this.n.fsync(fd, datasync), cb, undefined)
  }

  openat(dirfd: number, path: string, flags: number, mode: number, cb: RawCallback): number {
    this.check()
    return this.track(this.n.openat(dirfd, path, flags, mode), cb, undefined)
  }

  close(fd: number, cb: RawCallback): number {
    this.check()
    return this.track(this.n.close(fd), cb, undefined)
  }

  statx(dirfd: number, path: string, flags: number, mask: number, out: Uint8Array, cb: RawCallback): number {
    this.check()
    pin(out)
    return this.track(this.n.statx(dirfd, path, flags, mask, out), cb, out)
  }

  fallocate(fd: number, mode: number, offset: number, len: number, cb: RawCallback): number {
    this.check()
    return this.track(this.n.fallocate(fd, mode, offset, len), cb, undefined)
  }

  ftruncate(fd: number, len: number, cb: RawCallback): number {
    this.check()
    return this.track(this.n.ftruncate(fd, len), cb, undefined)
  }

  syncFileRange(fd: number, offset: number, len: number, flags: number, cb: RawCallback): number {
    this.check()
    return this.track(this.n.syncFileRange(fd, offset, len, flags), cb, undefined)
  }

  unlinkat(dirfd: number, path: string, flags: number, cb: RawCallback): number {
    this.check()
    return this.track(this.n.unlinkat(dirfd, path, flags), cb, undefined)
  }

  renameat(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number, cb: RawCallback): number {
    this.check()
    return this.track(this.n.renameat(olddirfd, oldpath, newdirfd, newpath, flags), cb, undefined)
  }

  mkdirat(dirfd: number, path: string, mode: number, cb: RawCallback): number {
    this.check()
    return this.track(this.n.mkdirat(dirfd, path, mode), cb, undefined)
  }

  symlinkat(target: string, newdirfd: number, linkpath: string, cb: RawCallback): number {
    this.check()
    return this.track(this.n.symlinkat(target, newdirfd, linkpath), cb, undefined)
  }

  linkat(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number, cb: RawCallback): number {
    this.check()
    return this.track(this.n.linkat(olddirfd, oldpath, newdirfd, newpath, flags), cb, undefined)
  }

  /** A linked write → fsync chain: `cb` gets the write's byte count, or the chain's first error. */
  writeFsync(fd: number, buf: Uint8Array, len: number, pos: number, datasync: boolean, cb: RawCallback): number {
    this.check()
    pin(buf)
    return this.track(this.n.writeFsync(fd, buf, len, pos, datasync), cb, buf)
  }

  /**
   * `count` reads into `buf` with one native call: read i goes to `buf[bufOffsets[i] ..]`, `lengths[i]`
   * bytes from `positions[i]`. `cb(i, result)` fires once per read. `ids`, when given, receives each
   * read's id (for cancel). Returns `count`.
   */
  readBatch(
    fd: number,
    buf: Uint8Array,
    bufOffsets: Float64Array,
    lengths: Float64Array,
    positions: Float64Array,
    count: number,
    cb: BatchCallback,
    ids?: Float64Array
  ): number {
    if (this.closed) throw new EngineClosedError()
    let out = ids
    if (out === undefined) {
      if (this.batchIds.length < count) this.batchIds = new Float64Array(Math.max(count, this.batchIds.length * 2))
      out = this.batchIds
    }
    pin(buf)
    this.n.readBatch(fd, buf, bufOffsets, lengths, positions, count, out)
    const cbs = this.cbs
    const keep = this.keep
    const idx = this.idx
    let failed = 0
    for (let i = 0; i < count; i++) {
      const id = out[i]!
      if (id < 0) {
        failed++
        continue
      }
      const s = id & SLOT_MASK
      cbs[s] = cb
      keep[s] = buf
      idx[s] = i
    }
    this.outstanding += count - failed
    if (failed !== 0) throw refused(-2)
    return count
  }

  /**
   * `count` positional reads run by the engine as one op: at most `window` in flight, refilled natively
   * as reads complete (no JavaScript per read), `cb` called once when every read has completed (see
   * `READ_MANY_DONE`). Request i reads `lengths[i]` bytes at `positions[i]` of `fds[i]` into the
   * ArrayBuffer of `buffers[bases[i]]` at byte offset `offsets[i]`; its result lands in `results[i]`.
   * Nothing is validated here: the caller checks every value (fds, positions >= 0, lengths and offsets
   * inside their buffers, base indexes), and keeps the columns unchanged until `cb`. With `failFast`, the
   * first error cancels the rest. `cancel(id)` cancels every read in flight; `cb` still fires once, after
   * the last of them has completed, so every buffer stays in use until then.
   */
  readMany(
    fds: Int32Array,
    positions: Float64Array,
    lengths: Int32Array,
    bases: Int32Array,
    offsets: Float64Array,
    buffers: ReadonlyArray<Uint8Array>,
    count: number,
    window: number,
    failFast: boolean,
    results: Int32Array,
    cb: RawCallback,
    keep?: unknown
  ): number {
    if (this.closed) throw new EngineClosedError()
    for (let i = 0; i < buffers.length; i++) pin(buffers[i]!)
    const id = this.n.readMany(fds, positions, lengths, bases, offsets, buffers, count, window, failFast, results)
    // The columns, the results and the buffers stay referenced until the callback.
    return this.track(id, cb, keep === undefined ? buffers : keep)
  }

  /** Best effort, idempotent; the op's own callback still fires exactly once. */
  cancel(id: number): void {
    this.n.cancel(id)
  }

  /** @internal */
  dispatch(n: number, pairs: Float64Array): void {
    const cbs = this.cbs
    const keep = this.keep
    const idx = this.idx
    const native = this.n
    // Each batch's callbacks run, then `next()` recycles its slots, submits what they queued, reaps and
    // says how big the next batch is: the whole loop turn stays in this one JS frame.
    while (n > 0) {
      const end = n * 2
      for (let i = 0; i < end; i += 2) {
        const s = pairs[i]!
        const r = pairs[i + 1]!
        const cb = cbs[s]
        const bi = idx[s]!
        cbs[s] = undefined
        keep[s] = undefined
        this.outstanding--
        try {
          if (bi < 0) (cb as RawCallback)(r)
          else (cb as BatchCallback)(bi, r)
        } catch (e) {
          // One throwing callback must not swallow the rest of the batch: report it as uncaught, later.
          queueMicrotask(() => {
            throw e
          })
        }
      }
      if (this.outstanding === 0 && this.onIdle !== undefined) {
        this.onIdle()
        return
      }
      n = native.next()
    }
  }
}
