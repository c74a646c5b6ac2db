/**
 * A drop-in `@effect/platform` `FileSystem` on io_uring. Swap `NodeFileSystem.layer` for
 * `AuraFileSystem.layer` and nothing else changes: same methods, same `PlatformError` reasons, same
 * cursor semantics. Where io_uring cannot be set up (no kernel support, `kernel.io_uring_disabled`,
 * a seccomp profile, a low memlock limit) the layer serves everything through NodeFileSystem and
 * logs one warning naming the reason.
 *
 * @since 0.1.0
 */
import { type AuraBufferPool, AuraEngine, type EngineSetupError } from "@auraio/core"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/layer.js"

/**
 * Options of the layer. Everything is optional; the defaults are what `layer` uses.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuraFileSystemConfig {
  /** Serve everything through NodeFileSystem, as if io_uring were unavailable (also: `AURAIO_FORCE_FALLBACK=1`). */
  readonly forceFallback?: boolean | undefined
  /** Options of the engine the layer starts (rings, entries, AIMD, buffer pool cap, …). */
  readonly engine?: AuraEngine.Options | undefined
  /** Reads kept in flight ahead of a `stream` consumer (default 4; a stream's own `bufferSize` wins). */
  readonly readAhead?: number | undefined
  /** Writes a `sink` keeps in flight while its producer continues (default 4; 1 in append mode). */
  readonly writeBehind?: number | undefined
  /** Bytes per step of `copyFile` / `copy` (default 1 MiB). */
  readonly copyChunkSize?: number | undefined
  /** Steps in flight per copy (default 2): one copy holds at most `copyChunkSize × copyLanes` bytes. */
  readonly copyLanes?: number | undefined
}

/**
 * Which backend serves the FileSystem. `IoUring` carries the engine, so a program can reach
 * `AuraEngine` features (batch reads, stats) when they are there without requiring them.
 *
 * @since 0.1.0
 * @category models
 */
export type Backend = internal.Backend

/**
 * The backend in use, provided by every layer of this module.
 *
 * @example
 * ```ts
 * import { AuraFileSystem } from "@auraio/platform-layer"
 * import * as Effect from "effect/Effect"
 *
 * const which = Effect.map(AuraFileSystem.Backend, (b) => b._tag === "IoUring" ? "io_uring" : b.reason)
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export const Backend: typeof internal.BackendTag = internal.BackendTag

/**
 * The environment variable that forces the fallback: `AURAIO_FORCE_FALLBACK=1`.
 *
 * @since 0.1.0
 * @category constants
 */
export const ENV_FORCE_FALLBACK: string = internal.ENV_FORCE_FALLBACK

/**
 * A scoped FileSystem: on io_uring when the engine starts (the engine, its buffer pool and the rings
 * close with the scope), else NodeFileSystem with one warning naming the reason. Never fails.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  config: AuraFileSystemConfig = {}
): Effect.Effect<FileSystem.FileSystem, never, Scope.Scope> =>
  Effect.map(internal.make(config), Context.get(FileSystem.FileSystem))

/**
 * The layer with explicit options. Provides `FileSystem` and `AuraFileSystem.Backend`; when the
 * backend is io_uring, the same context also holds `AuraEngine` and `AuraBufferPool` (reach them
 * through `Backend`, or use `layerWithEngine` to have them in the type). Never fails.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (
  config: AuraFileSystemConfig
): Layer.Layer<FileSystem.FileSystem | internal.BackendTag> => Layer.scopedContext(internal.make(config))

/**
 * The drop-in replacement for `NodeFileSystem.layer`, with zero configuration. Never fails.
 *
 * @example
 * ```ts
 * import { AuraFileSystem } from "@auraio/platform-layer"
 * import { FileSystem } from "@effect/platform"
 * import * as Effect from "effect/Effect"
 *
 * const program = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString("/etc/hostname"))
 *
 * Effect.runPromise(program.pipe(Effect.provide(AuraFileSystem.layer)))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<FileSystem.FileSystem | internal.BackendTag> = layerWith({})

/**
 * Options read through `Config` (the environment by default), all optional: `AURAIO_FORCE_FALLBACK`,
 * `AURAIO_READ_AHEAD`, `AURAIO_WRITE_BEHIND`, and the engine's own keys (`AURAIO_RINGS`,
 * `AURAIO_ENTRIES`, `AURAIO_AIMD`, `AURAIO_POOL_CAP_BYTES`, … — see `AuraEngine.config`).
 *
 * @example
 * ```ts
 * import { AuraFileSystem } from "@auraio/platform-layer"
 *
 * const FileSystemLive = AuraFileSystem.layerConfig(AuraFileSystem.config)
 * ```
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<AuraFileSystemConfig> = Config.all({
  forceFallback: Config.option(Config.boolean(internal.ENV_FORCE_FALLBACK)),
  readAhead: Config.option(Config.integer("AURAIO_READ_AHEAD")),
  writeBehind: Config.option(Config.integer("AURAIO_WRITE_BEHIND")),
  engine: AuraEngine.config
}).pipe(Config.map(({ engine, forceFallback, readAhead, writeBehind }) => ({
  forceFallback: forceFallback._tag === "Some" ? forceFallback.value : undefined,
  readAhead: readAhead._tag === "Some" ? readAhead.value : undefined,
  writeBehind: writeBehind._tag === "Some" ? writeBehind.value : undefined,
  engine
})))

/**
 * The layer from a `Config`. Fails only if the config itself is invalid; io_uring problems still
 * fall back.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<AuraFileSystemConfig>
): Layer.Layer<FileSystem.FileSystem | internal.BackendTag, ConfigError.ConfigError> =>
  Layer.scopedContext(Effect.flatMap(config, internal.make))

/**
 * FileSystem on io_uring together with `AuraEngine` and `AuraBufferPool` in the type, for programs
 * that use the engine directly. There is no engine without a ring, so this layer does not fall
 * back: it fails with the `EngineSetupError`. `forceFallback` is ignored here.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithEngine = (
  config: AuraFileSystemConfig = {}
): Layer.Layer<FileSystem.FileSystem | internal.BackendTag | AuraEngine | AuraBufferPool, EngineSetupError> =>
  Layer.scopedContext(internal.makeWithEngine(config))
