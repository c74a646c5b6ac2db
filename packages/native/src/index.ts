/**
 * @auraio/native — an io_uring engine for Node.js: one ring per CPU, batched submission (one
 * `io_uring_enter` per ring per loop turn), completions delivered in batches on the submitting thread,
 * a per-ring in-flight limit, cancel, counters and latency histograms.
 *
 * ```ts
 * import { openEngine } from "@auraio/native"
 * const engine = openEngine()
 * const fd = await engine.promises.open("/etc/hostname")
 * const buf = new Uint8Array(4096)
 * const n = await engine.promises.read(fd, buf, 0, buf.length, 0)
 * await engine.promises.close(fd)
 * await engine.close()
 * ```
 *
 * @since 0.1.0
 */
import * as engine from "./internal/engine.js"
import * as errors from "./internal/errors.js"
import * as layout from "./internal/layout.js"
import * as statx from "./internal/statx.js"

/**
 * Opens an engine on the calling thread's event loop. Throws `EngineSetupError` when io_uring cannot be
 * set up (`AURAIO_FORCE_SETUP_ERROR=ENOSYS|EPERM|ENOMEM` forces that, for tests of fallbacks).
 * @since 0.1.0
 * @category constructors
 */
export const openEngine: (options?: EngineOptions) => Engine = engine.openEngine

/**
 * Zeroed memory aligned to `alignment` (default 4096, O_DIRECT-ready), freed by the GC's finalizer.
 * @since 0.1.0
 * @category buffers
 */
export const allocAligned: (size: number, alignment?: number) => Uint8Array = engine.allocAligned

/**
 * Counts of the addon's native objects alive in this process (every env), for leak checks: a closed
 * engine's objects are freed once JS drops its last reference to the engine (or at env exit).
 * @since 0.1.0
 * @category diagnostics
 */
export const nativeObjects: () => NativeObjects = engine.nativeObjects

/**
 * @since 0.1.0
 * @category models
 */
export type NativeObjects = engine.NativeObjects

/**
 * @since 0.1.0
 * @category models
 */
export type Engine = engine.Engine

/**
 * @since 0.1.0
 * @category models
 */
export const Engine: typeof engine.Engine = engine.Engine

/**
 * @since 0.1.0
 * @category models
 */
export type EnginePromises = engine.EnginePromises

/**
 * @since 0.1.0
 * @category models
 */
export type EngineOptions = engine.EngineOptions

/**
 * @since 0.1.0
 * @category models
 */
export type OpName = engine.OpName

/**
 * The hot-path face of an engine (`engine.raw`).
 * @since 0.1.0
 * @category models
 */
export type RawEngine = import("./internal/raw.js").RawEngine

/**
 * @since 0.1.0
 * @category models
 */
export type RawCallback = import("./internal/raw.js").RawCallback

/**
 * @since 0.1.0
 * @category models
 */
export type BatchCallback = import("./internal/raw.js").BatchCallback

/**
 * @since 0.1.0
 * @category stats
 */
export type EngineStats = engine.EngineStats

/**
 * @since 0.1.0
 * @category stats
 */
export type RingStats = engine.RingStats

/**
 * Indexes into `engine.counters` (add `ring * COUNTER_STRIDE`).
 * @since 0.1.0
 * @category stats
 */
export const Counter: typeof layout.Counter = layout.Counter

/**
 * @since 0.1.0
 * @category stats
 */
export type Counter = layout.Counter

/**
 * Counters per ring in `engine.counters`.
 * @since 0.1.0
 * @category stats
 */
export const COUNTER_STRIDE: number = layout.COUNTER_STRIDE

/**
 * Inclusive upper bound (µs) of each latency bucket; the last is `Infinity`. Exact below 16 µs, then 8
 * buckets per power of two.
 * @since 0.1.0
 * @category stats
 */
export const LATENCY_BUCKET_BOUNDS_US: ReadonlyArray<number> = layout.LATENCY_BUCKET_BOUNDS_US

/**
 * Number of latency buckets per ring.
 * @since 0.1.0
 * @category stats
 */
export const LATENCY_BUCKETS: number = layout.LATENCY_BUCKETS

/**
 * The q-quantile (0..1) in µs of a histogram (or of a delta of two snapshots).
 * @since 0.1.0
 * @category stats
 */
export const percentile: (counts: ArrayLike<number>, q: number) => number = layout.percentile

/**
 * p50/p90/p99/p99.9 in µs of a histogram.
 * @since 0.1.0
 * @category stats
 */
export const percentiles: (counts: ArrayLike<number>) => LatencyPercentiles = layout.percentiles

/**
 * @since 0.1.0
 * @category stats
 */
export type LatencyPercentiles = layout.LatencyPercentiles

/**
 * @since 0.1.0
 * @category errors
 */
export const EngineSetupError: typeof errors.EngineSetupError = errors.EngineSetupError

/**
 * @since 0.1.0
 * @category errors
 */
export type EngineSetupError = errors.EngineSetupError

/**
 * Thrown by submissions after `engine.close()` began.
 * @since 0.1.0
 * @category errors
 */
export const EngineClosedError: typeof errors.EngineClosedError = errors.EngineClosedError

/**
 * @since 0.1.0
 * @category errors
 */
export type EngineClosedError = errors.EngineClosedError

/**
 * @since 0.1.0
 * @category errors
 */
export type ErrnoException = errors.ErrnoException

/**
 * Builds a Node-style error (`code`, negative `errno`, `syscall`, `path`) from a raw `-errno` result.
 * @since 0.1.0
 * @category errors
 */
export const errnoException: (result: number, syscall: string, path?: string, dest?: string) => ErrnoException =
  errors.errnoException

/**
 * "ENOENT" for 2 or -2.
 * @since 0.1.0
 * @category errors
 */
export const errnoName: (errno: number) => string = errors.errnoName

/**
 * Decodes the `struct statx` that `raw.statx` fills.
 * @since 0.1.0
 * @category stat
 */
export const parseStatx: (buf: Uint8Array) => Statx = statx.parseStatx

/**
 * @since 0.1.0
 * @category stat
 */
export type Statx = statx.Statx

/**
 * Byte size of the `out` buffer of `raw.statx`.
 * @since 0.1.0
 * @category stat
 */
export const STATX_SIZE: number = statx.STATX_SIZE

/**
 * statx mask with every basic field and the birth time.
 * @since 0.1.0
 * @category stat
 */
export const STATX_ALL_MASK: number = statx.STATX_ALL_MASK

/**
 * dirfd meaning "relative to the current directory".
 * @since 0.1.0
 * @category constants
 */
export const AT_FDCWD: number = statx.AT_FDCWD

/**
 * @since 0.1.0
 * @category constants
 */
export const AT_EMPTY_PATH: number = statx.AT_EMPTY_PATH

/**
 * @since 0.1.0
 * @category constants
 */
export const AT_SYMLINK_NOFOLLOW: number = statx.AT_SYMLINK_NOFOLLOW

/**
 * `unlinkat` flag: remove a directory.
 * @since 0.1.0
 * @category constants
 */
export const AT_REMOVEDIR: number = statx.AT_REMOVEDIR
