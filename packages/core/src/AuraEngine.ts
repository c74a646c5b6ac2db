/**
 * The engine service: every file operation an interruptible `Effect` over io_uring.
 *
 * Interrupting a fiber that waits on an op submits `IORING_OP_ASYNC_CANCEL` and the fiber finishes
 * once the kernel has answered, so the op's buffer is never reused while the kernel may still write
 * into it, and `Effect.timeout` is a real per-op deadline. Failures are `PlatformError`s with the same
 * reasons NodeFileSystem gives.
 *
 * @since 0.1.0
 */
import type { Engine as NativeEngine, EngineStats as NativeEngineStats } from "@auraio/native"
import type { PlatformError } from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as Sink from "effect/Sink"
import type * as Stream from "effect/Stream"
import { AuraBufferPool } from "./AuraBufferPool.js"
import type { EngineSetupError } from "./AuraError.js"
import * as internalConfig from "./internal/config.js"
import * as internal from "./internal/engine.js"
import * as openFlags from "./internal/openFlags.js"

/**
 * The engine service tag. `AuraEngine.layer` opens one ring per CPU with zero configuration and also
 * provides `AuraBufferPool`.
 *
 * @example
 * ```ts
 * import { AuraEngine } from "@auraio/core"
 * import * as Effect from "effect/Effect"
 *
 * const program = Effect.gen(function*() {
 *   const engine = yield* AuraEngine
 *   const file = yield* engine.open("/etc/hostname")
 *   return yield* file.readAlloc(4096, 0)
 * }).pipe(Effect.scoped, Effect.provide(AuraEngine.layer))
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class AuraEngine extends Context.Tag("@auraio/core/AuraEngine")<AuraEngine, AuraEngine.Service>() {
  /**
   * A scoped engine: opens the rings, forks the metrics fiber and (unless `aimd: false`) the AIMD
   * controller into the scope; closing the scope drains in-flight ops within `closeTimeout` and
   * closes the rings. Fails with `EngineSetupError` when io_uring cannot be used.
   *
   * @since 0.1.0
   */
  static readonly make: (
    options?: AuraEngine.Options
  ) => Effect.Effect<AuraEngine.Service, EngineSetupError, Scope.Scope> = internal.make

  /**
   * The engine and its buffer pool from explicit options.
   *
   * @since 0.1.0
   */
  static readonly layerWith = (
    options?: AuraEngine.Options
  ): Layer.Layer<AuraEngine | AuraBufferPool, EngineSetupError> =>
    Layer.scopedContext(internal.contextOf(AuraEngine, AuraBufferPool, options))

  /**
   * Zero configuration: one ring per online CPU, 256 entries, AIMD on, a 256 MiB buffer pool.
   *
   * @since 0.1.0
   */
  static readonly layer: Layer.Layer<AuraEngine | AuraBufferPool, EngineSetupError> = AuraEngine.layerWith()

  /**
   * Options read through `Config` (see `AuraEngine.config` for the keys).
   *
   * @since 0.1.0
   */
  static readonly layerConfig = (
    config: Config.Config<AuraEngine.Options>
  ): Layer.Layer<AuraEngine | AuraBufferPool, EngineSetupError | ConfigError.ConfigError> =>
    Layer.scopedContext(internal.contextFromConfig(AuraEngine, AuraBufferPool, config))

  /**
   * The standard `Config` for the options, under the keys `AURAIO_RINGS`, `AURAIO_ENTRIES`,
   * `AURAIO_SQPOLL`, `AURAIO_SHARED`, `AURAIO_IOWQ_MAX_WORKERS`, `AURAIO_REGISTERED_BUFFERS`,
   * `AURAIO_POOL_CAP_BYTES`, `AURAIO_AIMD`, `AURAIO_METRICS_INTERVAL`, `AURAIO_CLOSE_TIMEOUT` (all optional).
   *
   * @since 0.1.0
   */
  static readonly config: Config.Config<AuraEngine.Options> = internalConfig.config

  /**
   * Node's `fs.open` flag strings (`"r"`, `"r+"`, `"w"`, `"wx"`, `"a"`, …) as the numeric flags Node
   * passes to `open(2)`; numbers pass through; `undefined` for an unknown string.
   *
   * @since 0.1.0
   */
  static readonly parseOpenFlag: (flag: string | number) => number | undefined = openFlags.parseOpenFlag
}

/**
 * @since 0.1.0
 */
export declare namespace AuraEngine {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** Rings to open (default: online CPUs). */
    readonly rings?: number | undefined
    /** Submission-queue entries per ring (default 256). */
    readonly entries?: number | undefined
    /** Kernel-side submission polling (default false: it keeps a core busy). */
    readonly sqpoll?: boolean | undefined
    /** Cap on io-wq workers per ring (bounded + unbounded). */
    readonly iowqMaxWorkers?: number | undefined
    /**
     * Attach to the process-wide rings (one per CPU) that every engine opened with `shared: true` uses —
     * the main thread and each `worker_thread` — instead of opening rings of its own. Worth it with
     * several workers (fewer rings, ring-wide routing); on one thread it costs ~7% more CPU per op.
     * Excludes `sqpoll` and `registeredBuffers`. Default false. See docs/design/threading.md.
     */
    readonly shared?: boolean | undefined
    /**
     * Register 32 pool buffers of 64 KiB (2 MiB, counted against the pool cap and RLIMIT_MEMLOCK) as
     * io_uring fixed buffers; acquires up to 64 KiB get them first, and `read`/`write` on them use
     * `READ_FIXED`/`WRITE_FIXED` (no per-op page pinning). When the kernel refuses, one warning is
     * logged with the reason and the pool works as usual. Default false.
     */
    readonly registeredBuffers?: boolean | undefined
    /** Byte cap of the buffer pool (default 256 MiB). */
    readonly poolCapBytes?: number | undefined
    /** The AIMD controller: `false` leaves the limit alone; an object passes options (default on). */
    readonly aimd?: boolean | Record<string, unknown> | undefined
    /** How often the metrics fiber samples the native counters (default 1 second). */
    readonly metricsInterval?: Duration.DurationInput | undefined
    /** How long closing waits for in-flight ops before cancelling them (default 5 seconds). */
    readonly closeTimeout?: Duration.DurationInput | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export type Position = number | bigint

  /**
   * @since 0.1.0
   * @category models
   */
  export interface OpenOptions {
    /** A Node flag string (default `"r"`) or numeric `O_*` flags. */
    readonly flag?: FileSystem.OpenFlag | string | number | undefined
    /** Permission bits for a created file (default 0o666, before umask). */
    readonly mode?: number | undefined
  }

  /**
   * One positional read for `readMany`. With `buffer`, data lands there (its first `length` bytes);
   * without, a buffer is allocated for the result.
   *
   * @since 0.1.0
   * @category models
   */
  export interface ReadRequest {
    readonly fd: number
    readonly offset: Position
    readonly length: number
    readonly buffer?: Uint8Array | undefined
  }

  /**
   * A completed read of `readManyStream`: `index` is the request's position in the input.
   *
   * @since 0.1.0
   * @category models
   */
  export interface ReadResult {
    readonly index: number
    readonly data: Uint8Array
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface ReadManyOptions {
    /** How many reads may be in flight at once (default: the rings' combined in-flight limit). */
    readonly concurrency?: number | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface StreamOptions {
    /** Bytes per chunk (default 64 KiB). */
    readonly chunkSize?: number | undefined
    /** Where to start (default 0). */
    readonly offset?: Position | undefined
    /** Stop after this many bytes (default: end of file). */
    readonly length?: Position | undefined
    /** Chunks read ahead of the consumer (default 4). */
    readonly readAhead?: number | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface SinkOptions {
    /** Where to start writing (default: the file cursor, which also forces `writeBehind: 1`). */
    readonly offset?: Position | undefined
    /** Chunks in flight while the producer continues (default 4). */
    readonly writeBehind?: number | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface RingStats {
    readonly ring: number
    readonly inFlight: number
    readonly queued: number
    /** The in-flight limit (0 = unlimited). */
    readonly limit: number
    readonly submitted: number
    readonly completed: number
    readonly enters: number
    readonly spills: number
    readonly cancels: number
    readonly bytesRead: number
    readonly bytesWritten: number
    readonly errors: number
    readonly fallbacks: number
    readonly meanLatencyUs: number
    /** AIMD phase and limit when the controller runs. */
    readonly aimd?: { readonly phase: string; readonly limit: number } | undefined
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Stats {
    readonly rings: ReadonlyArray<RingStats>
    readonly inFlight: number
    readonly submitted: number
    readonly completed: number
    readonly bytesRead: number
    readonly bytesWritten: number
    readonly pool: AuraBufferPool.Stats
    /** The native engine's own snapshot (latency percentiles included). */
    readonly native: NativeEngineStats
  }

  /**
   * An open file whose fd closes when its scope closes, after the ops in flight on it drain. A
   * `position` of `undefined` uses (and moves) the kernel's file cursor.
   *
   * @since 0.1.0
   * @category models
   */
  export interface File {
    readonly fd: number
    readonly path: string
    /** Ops currently in flight on this handle. */
    readonly inFlight: number
    readonly read: (buffer: Uint8Array, position?: Position) => Effect.Effect<number, PlatformError>
    readonly readAlloc: (length: number, position?: Position) => Effect.Effect<Uint8Array, PlatformError>
    readonly readExactly: (buffer: Uint8Array, position: Position) => Effect.Effect<void, PlatformError>
    readonly write: (buffer: Uint8Array, position?: Position) => Effect.Effect<number, PlatformError>
    readonly writeAll: (buffer: Uint8Array, position?: Position) => Effect.Effect<void, PlatformError>
    readonly readv: (buffers: ReadonlyArray<Uint8Array>, position?: Position) => Effect.Effect<number, PlatformError>
    readonly writev: (buffers: ReadonlyArray<Uint8Array>, position?: Position) => Effect.Effect<number, PlatformError>
    readonly sync: Effect.Effect<void, PlatformError>
    readonly datasync: Effect.Effect<void, PlatformError>
    readonly writeAndSync: (
      buffer: Uint8Array,
      position: Position,
      options?: { readonly datasync?: boolean | undefined }
    ) => Effect.Effect<number, PlatformError>
    readonly stat: Effect.Effect<FileSystem.File.Info, PlatformError>
    readonly truncate: (length: Position) => Effect.Effect<void, PlatformError>
    readonly fallocate: (offset: Position, length: Position, mode?: number) => Effect.Effect<void, PlatformError>
    readonly syncRange: (offset: Position, length: Position, flags?: number) => Effect.Effect<void, PlatformError>
    readonly stream: (options?: StreamOptions) => Stream.Stream<Uint8Array, PlatformError>
    readonly sink: (options?: SinkOptions) => Sink.Sink<void, Uint8Array, never, PlatformError>
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly ringCount: number
    /** Bytes read into `buffer` (fewer at end of file). */
    readonly read: (fd: number, buffer: Uint8Array, position?: Position) => Effect.Effect<number, PlatformError>
    /** Bytes written from `buffer` (possibly fewer: see `writeAll`). */
    readonly write: (fd: number, buffer: Uint8Array, position?: Position) => Effect.Effect<number, PlatformError>
    /** A new buffer trimmed to the bytes read (empty at end of file). */
    readonly readAlloc: (fd: number, length: number, position?: Position) => Effect.Effect<Uint8Array, PlatformError>
    /** Fill `buffer` completely, looping over short reads; `UnexpectedEof` if the file ends first. */
    readonly readExactly: (fd: number, buffer: Uint8Array, position: Position) => Effect.Effect<void, PlatformError>
    /** Write all of `buffer`, looping over short writes; `WriteZero` if the kernel accepts nothing. */
    readonly writeAll: (fd: number, buffer: Uint8Array, position?: Position) => Effect.Effect<void, PlatformError>
    readonly readv: (
      fd: number,
      buffers: ReadonlyArray<Uint8Array>,
      position?: Position
    ) => Effect.Effect<number, PlatformError>
    readonly writev: (
      fd: number,
      buffers: ReadonlyArray<Uint8Array>,
      position?: Position
    ) => Effect.Effect<number, PlatformError>
    readonly fsync: (fd: number) => Effect.Effect<void, PlatformError>
    readonly fdatasync: (fd: number) => Effect.Effect<void, PlatformError>
    /** A linked write → fsync (or fdatasync) chain in one submission; the write's byte count. */
    readonly writeAndSync: (
      fd: number,
      buffer: Uint8Array,
      position: Position,
      options?: { readonly datasync?: boolean | undefined }
    ) => Effect.Effect<number, PlatformError>
    /** Open a file for the life of the scope. */
    readonly open: (path: string, options?: OpenOptions) => Effect.Effect<File, PlatformError, Scope.Scope>
    /** Open without a scope: the caller closes the fd. */
    readonly openFd: (
      path: string,
      flags?: FileSystem.OpenFlag | string | number,
      mode?: number
    ) => Effect.Effect<number, PlatformError>
    readonly close: (fd: number) => Effect.Effect<void, PlatformError>
    /** `statx` of a path (following symlinks unless told not to) or of an open fd. */
    readonly stat: (
      pathOrFd: string | number,
      options?: { readonly followSymlinks?: boolean | undefined }
    ) => Effect.Effect<FileSystem.File.Info, PlatformError>
    readonly fallocate: (
      fd: number,
      offset: Position,
      length: Position,
      mode?: number
    ) => Effect.Effect<void, PlatformError>
    readonly truncate: (fd: number, length: Position) => Effect.Effect<void, PlatformError>
    readonly syncRange: (
      fd: number,
      offset: Position,
      length: Position,
      flags?: number
    ) => Effect.Effect<void, PlatformError>
    readonly unlink: (path: string) => Effect.Effect<void, PlatformError>
    readonly rmdir: (path: string) => Effect.Effect<void, PlatformError>
    readonly rename: (oldPath: string, newPath: string) => Effect.Effect<void, PlatformError>
    readonly mkdir: (path: string, mode?: number) => Effect.Effect<void, PlatformError>
    readonly symlink: (target: string, path: string) => Effect.Effect<void, PlatformError>
    readonly link: (existingPath: string, newPath: string) => Effect.Effect<void, PlatformError>
    /**
     * Many positional reads as one Effect, results in request order. `"fail-fast"` fails with the
     * first error and cancels the rest; `"collect"` returns every outcome. Interruption cancels what is
     * in flight and waits for the kernel to answer.
     */
    readonly readMany: {
      (
        requests: ReadonlyArray<ReadRequest>,
        options?: ReadManyOptions & { readonly mode?: "fail-fast" | undefined }
      ): Effect.Effect<Array<Uint8Array>, PlatformError>
      (
        requests: ReadonlyArray<ReadRequest>,
        options: ReadManyOptions & { readonly mode: "collect" }
      ): Effect.Effect<Array<Either.Either<Uint8Array, PlatformError>>, PlatformError>
    }
    /** The same reads as a stream in completion order. */
    readonly readManyStream: (
      requests: ReadonlyArray<ReadRequest>,
      options?: ReadManyOptions
    ) => Stream.Stream<ReadResult, PlatformError>
    /** A file as chunks, with `readAhead` reads kept in flight. */
    readonly stream: (fd: number, options?: StreamOptions) => Stream.Stream<Uint8Array, PlatformError>
    /** A sink that writes chunks in order, `writeBehind` of them in flight. */
    readonly sink: (fd: number, options?: SinkOptions) => Sink.Sink<void, Uint8Array, never, PlatformError>
    /** A snapshot of the native counters, pool and AIMD state. */
    readonly stats: Effect.Effect<Stats>
    /** The buffer pool this engine's ops cooperate with. */
    readonly pool: AuraBufferPool.Service
    /** The native engine, for the low-level API (counters, limits, callback and Promise forms). */
    readonly native: NativeEngine
  }
}
