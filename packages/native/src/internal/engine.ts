import * as os from "node:os"
import { EngineClosedError, errnoCode, errnoException, errnoName, setupError, EngineSetupError, setupReason } from "./errors.js"
import type { ErrnoException } from "./errors.js"
import { COUNTER_STRIDE, Counter, LATENCY_BUCKETS, percentiles } from "./layout.js"
import type { LatencyPercentiles } from "./layout.js"
import { AddonLoadError, loadAddon } from "./loader.js"
import type { NativeEngine } from "./loader.js"
import { RawEngine } from "./raw.js"
import type { RawCallback } from "./raw.js"
import * as S from "./statx.js"
import type { Statx } from "./statx.js"
import * as V from "./validate.js"

/** @internal */
export type OpName =
  | "read"
  | "write"
  | "readv"
  | "writev"
  | "fsync"
  | "openat"
  | "close"
  | "statx"
  | "fallocate"
  | "ftruncate"
  | "syncFileRange"
  | "unlinkat"
  | "renameat"
  | "mkdirat"
  | "symlinkat"
  | "linkat"
  | "readFixed"
  | "writeFixed"

// Same order as OpKind in cpp/ops.h.
const OP_NAMES: ReadonlyArray<OpName> = [
  "read",
  "write",
  "readv",
  "writev",
  "fsync",
  "openat",
  "close",
  "statx",
  "fallocate",
  "ftruncate",
  "syncFileRange",
  "unlinkat",
  "renameat",
  "mkdirat",
  "symlinkat",
  "linkat",
  "readFixed",
  "writeFixed"
]

/** @internal */
export interface EngineOptions {
  /** rings (default: online CPUs) */
  readonly rings?: number
  /** SQ entries per ring (default 256; CQ gets 4x) */
  readonly entries?: number
  /** kernel SQ polling thread per ring (default false: it burns a core per ring) */
  readonly sqpoll?: boolean
  /** io-wq worker cap per submitting thread: a number (both kinds) or [bounded, unbounded] */
  readonly iowqMaxWorkers?: number | readonly [number, number]
  /**
   * Attach to the process-wide rings shared by every engine opened with `shared: true`, on the main
   * thread and in any worker_thread (default false: this env gets private rings). The first shared
   * engine creates the group with its `rings` (default: online CPUs) and `entries`; later ones attach
   * to it whatever they ask, so N workers use CPU-count rings instead of N × CPU-count. Submission from
   * any thread goes through a per-ring lock (one `io_uring_enter` per ring per batch, as usual); each
   * completion is routed back to the engine that submitted it (reaped by the submitting thread right
   * after its enter, or by one native reaper thread per process), and callbacks run on that engine's
   * thread. Slots, limits, the limit FIFO, counters and histograms stay per
   * engine (`setLimit` bounds this engine's ops on a ring); routing sees the ring-wide in-flight count.
   * The group is torn down when its last engine closes. Not combinable with `sqpoll`; registered
   * buffers are refused on shared rings (`registerBuffers` returns a reason).
   */
  readonly shared?: boolean
  /** flush a ring as soon as this many SQEs are pending (default 32) */
  readonly submitBatch?: number
  /** run these ops on the thread pool as if the kernel lacked them (tests of the fallback path) */
  readonly fallbackOps?: ReadonlyArray<OpName>
}

/** @internal */
export interface RingStats {
  readonly ring: number
  readonly submitted: number
  readonly completed: number
  readonly inFlight: number
  readonly queued: number
  readonly limit: number
  readonly enters: number
  readonly spills: number
  readonly cancels: number
  readonly bytesRead: number
  readonly bytesWritten: number
  readonly errors: number
  readonly fallbacks: number
  readonly latencyUs: LatencyPercentiles & { readonly mean: number }
}

/** @internal */
export interface EngineStats {
  readonly rings: ReadonlyArray<RingStats>
  readonly total: Omit<RingStats, "ring" | "limit">
}

type Cb<T> = (err: ErrnoException | null, value?: T) => void
type ReadCb = (err: ErrnoException | null, bytes?: number, buffer?: Uint8Array) => void

const done =
  <T = number>(cb: Cb<T>, syscall: string, path?: string, dest?: string, map?: (r: number) => T): RawCallback =>
  (r) => {
    if (r < 0) cb(errnoException(r, syscall, path, dest))
    else cb(null, map ? map(r) : (r as T))
  }

const promise = <T>(run: (cb: Cb<T>) => void): Promise<T> =>
  new Promise<T>((resolve, reject) => run((err, v) => (err ? reject(err) : resolve(v as T))))

const forceSetupError = (): EngineSetupError | undefined => {
  const forced = process.env["AURAIO_FORCE_SETUP_ERROR"]
  if (forced === undefined || forced === "") return undefined
  const code = forced.toUpperCase()
  const errno = errnoCode(code) ?? 0
  return new EngineSetupError(code, errno, `${setupReason(code, "io_uring_queue_init_params")} (forced by AURAIO_FORCE_SETUP_ERROR)`)
}

/**
 * An io_uring engine bound to the calling thread's event loop.
 * @internal
 */
export class Engine {
  /** The hot path used by @auraio/core: no validation, ids and `cb(result)`. */
  readonly raw: RawEngine
  readonly ringCount: number
  /** Live counters, `COUNTER_STRIDE` per ring, indexes in `Counter`. */
  readonly counters: Float64Array
  /** Which ops run on io_uring and which on the libuv thread pool (opcode missing in the kernel). */
  readonly supported: Readonly<Record<OpName, "io_uring" | "threadpool">>
  /** Whether this engine is attached to the process-wide shared rings (see EngineOptions.shared). */
  readonly shared: boolean
  /**
   * The io_uring file descriptor of each ring this engine submits to: engines attached to the shared
   * rings see the same fds, private engines their own.
   */
  readonly ringFds: ReadonlyArray<number>
  /** Promise forms of every op, validated like the callback forms. */
  readonly promises: EnginePromises
  private readonly native: NativeEngine
  private readonly latency: Float64Array
  private closing: Promise<void> | undefined
  // Registered buffers stay reachable while the kernel may use them.
  private registered: ReadonlyArray<Uint8Array> | undefined

  /** @internal */
  constructor(options: EngineOptions = {}) {
    const opts = validateOptions(options)
    const forced = forceSetupError()
    if (forced) throw forced
    let addon
    try {
      addon = loadAddon()
    } catch (e) {
      const msg = e instanceof AddonLoadError ? e.message : String(e)
      throw new EngineSetupError("ERR_AURAIO_ADDON", 0, msg, "load")
    }
    let raw: RawEngine | undefined
    let pairs: Float64Array | undefined
    const res = addon.open(opts, (n) => raw!.dispatch(n, pairs!))
    if ("errno" in res) throw setupError(res.errno, res.stage)
    this.native = res
    pairs = res.pairs
    raw = new RawEngine(res)
    this.raw = raw
    this.ringCount = res.ringCount
    this.shared = res.shared
    this.ringFds = Object.freeze([...res.ringFds])
    this.counters = res.counters
    this.latency = res.latency
    const supported = {} as Record<OpName, "io_uring" | "threadpool">
    OP_NAMES.forEach((name, i) => (supported[name] = res.supported[i] ? "io_uring" : "threadpool"))
    this.supported = Object.freeze(supported)
    this.promises = new EnginePromises(this)
  }

  // == control and stats

  /** Sets ring's in-flight limit (0 = unlimited); queued ops go out at once if the new limit allows. */
  setLimit(ring: number, limit: number): void {
    V.int(ring, "ring", 0, this.ringCount - 1)
    V.int(limit, "limit", 0, 0x7fffffff)
    this.native.setLimit(ring, limit)
  }

  getLimit(ring: number): number {
    V.int(ring, "ring", 0, this.ringCount - 1)
    return this.counters[ring * COUNTER_STRIDE + Counter.Limit]!
  }

  /** A live view of ring's latency histogram (counts per bucket of LATENCY_BUCKET_BOUNDS_US). */
  latencyBuckets(ring: number): Float64Array {
    V.int(ring, "ring", 0, this.ringCount - 1)
    return this.latency.subarray(ring * LATENCY_BUCKETS, (ring + 1) * LATENCY_BUCKETS)
  }

  /** Ops submitted and not yet delivered to their callbacks. */
  get outstanding(): number {
    return this.raw.outstanding
  }

  get closed(): boolean {
    return this.raw.closed
  }

  stats(): EngineStats {
    const rings: Array<RingStats> = []
    const all = new Float64Array(LATENCY_BUCKETS)
    const sum = new Float64Array(COUNTER_STRIDE)
    for (let r = 0; r < this.ringCount; r++) {
      const c = this.counters.subarray(r * COUNTER_STRIDE, (r + 1) * COUNTER_STRIDE)
      const h = this.latencyBuckets(r)
      for (let i = 0; i < LATENCY_BUCKETS; i++) all[i]! += h[i]!
      for (let i = 0; i < COUNTER_STRIDE; i++) sum[i]! += c[i]!
      rings.push({ ring: r, limit: c[Counter.Limit]!, ...ringFields(c, h) })
    }
    return { rings, total: ringFields(sum, all) }
  }

  /**
   * Stops accepting ops, waits for in-flight ones, cancels what is left after `timeoutMs`, and resolves
   * once every callback has fired and the rings are gone. Idempotent.
   */
  close(timeoutMs = 10_000): Promise<void> {
    if (this.closing) return this.closing
    V.int(timeoutMs, "timeoutMs", 0, 0x7fffffff)
    this.raw.closed = true
    this.closing = new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const finish = () => {
        if (timer) clearTimeout(timer)
        this.raw.onIdle = undefined
        this.native.destroy()
        resolve()
      }
      if (this.raw.outstanding === 0) return finish()
      this.raw.onIdle = finish
      timer = setTimeout(() => this.native.cancelAll(), timeoutMs)
      timer.unref()
    })
    return this.closing
  }

  // == registered buffers

  /**
   * Registers `buffers` as fixed buffers on every ring, for `raw.readFixed`/`raw.writeFixed` (opt-in).
   * Registered pages count against RLIMIT_MEMLOCK (unless the process has CAP_IPC_LOCK); when the kernel
   * refuses, nothing is registered and `reason` says why, and the plain ops keep working. The engine
   * keeps the buffers alive until `unregisterBuffers()` or close. Replaces an earlier registration.
   */
  registerBuffers(buffers: ReadonlyArray<Uint8Array>): { readonly registered: boolean; readonly reason?: string } {
    if (this.raw.closed) throw new EngineClosedError()
    if (!Array.isArray(buffers) || buffers.length === 0 || buffers.length > 16384)
      throw V.rangeError("buffers.length", ">= 1 && <= 16384", Array.isArray(buffers) ? buffers.length : buffers)
    const bs = buffers.map((b, i) => {
      const v = V.bytes(b, `buffers[${i}]`)
      if (v.byteLength === 0 || v.byteLength > 1 << 30) throw V.rangeError(`buffers[${i}].byteLength`, "> 0 && <= 1 GiB", v.byteLength)
      return v
    })
    const r = this.native.registerBuffers(bs)
    if (r < 0) {
      const code = errnoName(r)
      const reason =
        code === "EOPNOTSUPP" && this.shared
          ? "registered buffers are per ring, and this engine's rings are shared with other engines (shared: true)"
          : code === "ENOMEM"
          ? `the kernel could not pin ${bs.reduce((a, b) => a + b.byteLength, 0)} bytes: RLIMIT_MEMLOCK is too low (raise it with ulimit -l / LimitMEMLOCK=)`
          : `io_uring_register_buffers failed with ${code}`
      return { registered: false, reason }
    }
    this.registered = bs
    return { registered: true }
  }

  /** Drops the fixed buffers (wait until no readFixed/writeFixed is in flight). */
  unregisterBuffers(): void {
    if (this.registered === undefined) return
    this.native.unregisterBuffers()
    this.registered = undefined
  }

  // == read / write

  read(fd: number, buffer: ArrayBufferView, offset: number | null | undefined, length: number | null | undefined, position: number | bigint | null | undefined, cb: ReadCb): void {
    this.transfer("read", fd, buffer, offset, length, position, cb)
  }

  write(fd: number, buffer: ArrayBufferView, offset: number | null | undefined, length: number | null | undefined, position: number | bigint | null | undefined, cb: ReadCb): void {
    this.transfer("write", fd, buffer, offset, length, position, cb)
  }

  private transfer(op: "read" | "write", fd: number, buffer: ArrayBufferView, offset: number | null | undefined, length: number | null | undefined, position: number | bigint | null | undefined, cb: ReadCb): void {
    const f = V.fd(fd)
    const b = V.bytes(buffer)
    const [o, l] = V.span(b, offset, length)
    const p = V.position(position)
    const c = V.callback<ReadCb>(cb)
    const view = o === 0 && l === b.byteLength ? b : b.subarray(o, o + l)
    this.raw[op](f, view, l, p, (r) => (r < 0 ? c(errnoException(r, op)) : c(null, r, buffer as Uint8Array)))
  }

  readv(fd: number, buffers: ReadonlyArray<ArrayBufferView>, position: number | bigint | null | undefined, cb: Cb<number>): void {
    const f = V.fd(fd)
    const bs = V.buffers(buffers)
    const p = V.position(position)
    this.raw.readv(f, bs, p, done(V.callback(cb), "read"))
  }

  writev(fd: number, buffers: ReadonlyArray<ArrayBufferView>, position: number | bigint | null | undefined, cb: Cb<number>): void {
    const f = V.fd(fd)
    const bs = V.buffers(buffers)
    const p = V.position(position)
    this.raw.writev(f, bs, p, done(V.callback(cb), "write"))
  }

  /** write then fsync (fdatasync with `datasync`), linked in the kernel: `cb(err, bytesWritten)`. */
  writeFsync(fd: number, buffer: ArrayBufferView, position: number | bigint | null | undefined, datasync: boolean, cb: Cb<number>): void {
    const f = V.fd(fd)
    const b = V.bytes(buffer)
    const p = V.position(position)
    this.raw.writeFsync(f, b, b.byteLength, p, datasync === true, done(V.callback(cb), "write"))
  }

  fsync(fd: number, cb: Cb<void>): void {
    this.raw.fsync(V.fd(fd), false, done(V.callback(cb), "fsync", undefined, undefined, () => undefined))
  }

  fdatasync(fd: number, cb: Cb<void>): void {
    this.raw.fsync(V.fd(fd), true, done(V.callback(cb), "fdatasync", undefined, undefined, () => undefined))
  }

  // == files and directories

  /** `flags`: Node-style string or number (O_CLOEXEC is added); `mode` default 0o666. `cb(err, fd)`. */
  open(path: V.PathLike, flags: string | number | undefined, mode: number | string | undefined, cb: Cb<number>): void {
    const p = V.path(path)
    this.raw.openat(S.AT_FDCWD, p, V.flags(flags), V.mode(mode, 0o666), done(V.callback(cb), "open", p))
  }

  /** Closes a descriptor (the engine itself closes with `close(timeoutMs)`). */
  closeFd(fd: number, cb: Cb<void>): void {
    this.raw.close(V.fd(fd), done(V.callback(cb), "close", undefined, undefined, () => undefined))
  }

  stat(path: V.PathLike, cb: Cb<Statx>): void {
    this.statAt(S.AT_FDCWD, V.path(path), 0, "stat", cb)
  }

  lstat(path: V.PathLike, cb: Cb<Statx>): void {
    this.statAt(S.AT_FDCWD, V.path(path), S.AT_SYMLINK_NOFOLLOW, "lstat", cb)
  }

  fstat(fd: number, cb: Cb<Statx>): void {
    this.statAt(V.fd(fd), "", S.AT_EMPTY_PATH, "fstat", cb)
  }

  private statAt(dirfd: number, p: string, flags: number, syscall: string, cb: Cb<Statx>): void {
    const c = V.callback<Cb<Statx>>(cb)
    const out = new Uint8Array(S.STATX_SIZE)
    this.raw.statx(dirfd, p, flags, S.STATX_ALL_MASK, out, done(c, syscall, p === "" ? undefined : p, undefined, () => S.parseStatx(out)))
  }

  fallocate(fd: number, mode: number, offset: number, length: number, cb: Cb<void>): void {
    const f = V.fd(fd)
    const m = V.int(mode, "mode", 0, 0x7fffffff)
    const o = V.size(offset, "offset")
    const l = V.size(length, "length")
    this.raw.fallocate(f, m, o, l, done(V.callback(cb), "fallocate", undefined, undefined, () => undefined))
  }

  ftruncate(fd: number, length: number, cb: Cb<void>): void {
    this.raw.ftruncate(V.fd(fd), V.size(length, "length"), done(V.callback(cb), "ftruncate", undefined, undefined, () => undefined))
  }

  syncFileRange(fd: number, offset: number, length: number, flags: number, cb: Cb<void>): void {
    const f = V.fd(fd)
    const o = V.size(offset, "offset")
    const l = V.size(length, "length")
    const fl = V.int(flags, "flags", 0, 7)
    this.raw.syncFileRange(f, o, l, fl, done(V.callback(cb), "sync_file_range", undefined, undefined, () => undefined))
  }

  unlink(path: V.PathLike, cb: Cb<void>): void {
    const p = V.path(path)
    this.raw.unlinkat(S.AT_FDCWD, p, 0, done(V.callback(cb), "unlink", p, undefined, () => undefined))
  }

  rmdir(path: V.PathLike, cb: Cb<void>): void {
    const p = V.path(path)
    this.raw.unlinkat(S.AT_FDCWD, p, S.AT_REMOVEDIR, done(V.callback(cb), "rmdir", p, undefined, () => undefined))
  }

  rename(oldPath: V.PathLike, newPath: V.PathLike, cb: Cb<void>): void {
    const o = V.path(oldPath, "oldPath")
    const n = V.path(newPath, "newPath")
    this.raw.renameat(S.AT_FDCWD, o, S.AT_FDCWD, n, 0, done(V.callback(cb), "rename", o, n, () => undefined))
  }

  mkdir(path: V.PathLike, mode: number | string | undefined, cb: Cb<void>): void {
    const p = V.path(path)
    this.raw.mkdirat(S.AT_FDCWD, p, V.mode(mode, 0o777), done(V.callback(cb), "mkdir", p, undefined, () => undefined))
  }

  symlink(target: V.PathLike, path: V.PathLike, cb: Cb<void>): void {
    const t = V.path(target, "target")
    const p = V.path(path)
    this.raw.symlinkat(t, S.AT_FDCWD, p, done(V.callback(cb), "symlink", t, p, () => undefined))
  }

  link(existingPath: V.PathLike, newPath: V.PathLike, cb: Cb<void>): void {
    const e = V.path(existingPath, "existingPath")
    const n = V.path(newPath, "newPath")
    this.raw.linkat(S.AT_FDCWD, e, S.AT_FDCWD, n, 0, done(V.callback(cb), "link", e, n, () => undefined))
  }
}

const ringFields = (c: Float64Array, h: Float64Array): Omit<RingStats, "ring" | "limit"> => {
  const completed = c[Counter.Completed]!
  return {
    submitted: c[Counter.Submitted]!,
    completed,
    inFlight: c[Counter.InFlight]!,
    queued: c[Counter.Queued]!,
    enters: c[Counter.Enters]!,
    spills: c[Counter.Spills]!,
    cancels: c[Counter.Cancels]!,
    bytesRead: c[Counter.BytesRead]!,
    bytesWritten: c[Counter.BytesWritten]!,
    errors: c[Counter.Errors]!,
    fallbacks: c[Counter.Fallbacks]!,
    latencyUs: { ...percentiles(h), mean: completed === 0 ? 0 : c[Counter.LatencySumUs]! / completed }
  }
}

const cpuCount = (): number => (typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length) || 1

const validateOptions = (o: EngineOptions) => {
  if (typeof o !== "object" || o === null) throw new TypeError("options must be an object")
  const rings = o.rings === undefined ? cpuCount() : V.int(o.rings, "rings", 1, 1024)
  const entries = o.entries === undefined ? 256 : V.int(o.entries, "entries", 1, 32768)
  let bounded = Math.max(4, 2 * cpuCount())
  let unbounded = Math.max(8, 4 * cpuCount())
  if (typeof o.iowqMaxWorkers === "number") bounded = unbounded = V.int(o.iowqMaxWorkers, "iowqMaxWorkers", 1, 65536)
  else if (Array.isArray(o.iowqMaxWorkers)) {
    bounded = V.int(o.iowqMaxWorkers[0], "iowqMaxWorkers[0]", 1, 65536)
    unbounded = V.int(o.iowqMaxWorkers[1], "iowqMaxWorkers[1]", 1, 65536)
  } else if (o.iowqMaxWorkers !== undefined) throw new TypeError("iowqMaxWorkers must be a number or [bounded, unbounded]")
  const submitBatch = o.submitBatch === undefined ? 32 : V.int(o.submitBatch, "submitBatch", 1, entries)
  if (o.shared !== undefined && typeof o.shared !== "boolean") throw new TypeError("shared must be a boolean")
  if (o.shared === true && o.sqpoll === true) throw new TypeError("sqpoll cannot be combined with shared rings")
  let mask = 0
  for (const name of o.fallbackOps ?? []) {
    const i = OP_NAMES.indexOf(name)
    if (i < 0) throw new TypeError(`unknown op in fallbackOps: ${String(name)}`)
    mask |= 1 << i
  }
  return {
    rings,
    entries,
    sqpoll: o.sqpoll === true,
    sqpollIdleMs: 50,
    iowqBounded: bounded,
    iowqUnbounded: unbounded,
    submitBatch,
    forceFallbackMask: mask,
    shared: o.shared === true
  }
}

/** Promise forms of the engine's ops; argument errors reject. @internal */
export class EnginePromises {
  constructor(private readonly e: Engine) {}
  read(fd: number, buffer: ArrayBufferView, offset?: number | null, length?: number | null, position?: number | bigint | null): Promise<number> {
    return promise((cb) => this.e.read(fd, buffer, offset, length, position, cb))
  }
  write(fd: number, buffer: ArrayBufferView, offset?: number | null, length?: number | null, position?: number | bigint | null): Promise<number> {
    return promise((cb) => this.e.write(fd, buffer, offset, length, position, cb))
  }
  readv(fd: number, buffers: ReadonlyArray<ArrayBufferView>, position?: number | bigint | null): Promise<number> {
    return promise((cb) => this.e.readv(fd, buffers, position, cb))
  }
  writev(fd: number, buffers: ReadonlyArray<ArrayBufferView>, position?: number | bigint | null): Promise<number> {
    return promise((cb) => this.e.writev(fd, buffers, position, cb))
  }
  writeFsync(fd: number, buffer: ArrayBufferView, position?: number | bigint | null, datasync = false): Promise<number> {
    return promise((cb) => this.e.writeFsync(fd, buffer, position, datasync, cb))
  }
  fsync(fd: number): Promise<void> {
    return promise((cb) => this.e.fsync(fd, cb))
  }
  fdatasync(fd: number): Promise<void> {
    return promise((cb) => this.e.fdatasync(fd, cb))
  }
  open(path: V.PathLike, flags?: string | number, mode?: number | string): Promise<number> {
    return promise((cb) => this.e.open(path, flags, mode, cb))
  }
  close(fd: number): Promise<void> {
    return promise((cb) => this.e.closeFd(fd, cb))
  }
  stat(path: V.PathLike): Promise<Statx> {
    return promise((cb) => this.e.stat(path, cb))
  }
  lstat(path: V.PathLike): Promise<Statx> {
    return promise((cb) => this.e.lstat(path, cb))
  }
  fstat(fd: number): Promise<Statx> {
    return promise((cb) => this.e.fstat(fd, cb))
  }
  fallocate(fd: number, mode: number, offset: number, length: number): Promise<void> {
    return promise((cb) => this.e.fallocate(fd, mode, offset, length, cb))
  }
  ftruncate(fd: number, length: number): Promise<void> {
    return promise((cb) => this.e.ftruncate(fd, length, cb))
  }
  syncFileRange(fd: number, offset: number, length: number, flags: number): Promise<void> {
    return promise((cb) => this.e.syncFileRange(fd, offset, length, flags, cb))
  }
  unlink(path: V.PathLike): Promise<void> {
    return promise((cb) => this.e.unlink(path, cb))
  }
  rmdir(path: V.PathLike): Promise<void> {
    return promise((cb) => this.e.rmdir(path, cb))
  }
  rename(oldPath: V.PathLike, newPath: V.PathLike): Promise<void> {
    return promise((cb) => this.e.rename(oldPath, newPath, cb))
  }
  mkdir(path: V.PathLike, mode?: number | string): Promise<void> {
    return promise((cb) => this.e.mkdir(path, mode, cb))
  }
  symlink(target: V.PathLike, path: V.PathLike): Promise<void> {
    return promise((cb) => this.e.symlink(target, path, cb))
  }
  link(existingPath: V.PathLike, newPath: V.PathLike): Promise<void> {
    return promise((cb) => this.e.link(existingPath, newPath, cb))
  }
}

/** @internal */
export const openEngine = (options?: EngineOptions): Engine => new Engine(options)

/** @internal */
export const allocAligned = (size: number, alignment = 4096): Uint8Array => {
  V.int(size, "size", 0, 2 ** 32)
  V.int(alignment, "alignment", 1, 1 << 30)
  if ((alignment & (alignment - 1)) !== 0 || alignment < 8)
    throw V.rangeError("alignment", "a power of two >= 8", alignment)
  const buf = loadAddon().allocAligned(size, alignment)
  if (buf === null || buf === undefined) throw errnoException(-(errnoCode("ENOMEM") ?? 12), "posix_memalign")
  return buf
}

/** @internal */
export interface NativeObjects {
  /** engine hosts alive in the process (all envs), closed or not, until JS lets go of them */
  readonly hosts: number
  /** native blocks behind `counters`, latency histograms and delivery buffers */
  readonly blocks: number
  /** shared ring groups alive (0 or 1) */
  readonly sharedGroups: number
  /** rings of the shared group (0 when there is none) */
  readonly sharedRings: number
  /** engines (in any env) attached to the shared group */
  readonly sharedEngines: number
}

/** @internal */
export const nativeObjects = (): NativeObjects => {
  const [hosts, blocks, sharedGroups, sharedRings, sharedEngines] = loadAddon().liveObjects()
  return { hosts: hosts!, blocks: blocks!, sharedGroups: sharedGroups!, sharedRings: sharedRings!, sharedEngines: sharedEngines! }
}

export { EngineClosedError }
