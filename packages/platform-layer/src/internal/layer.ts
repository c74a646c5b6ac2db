import { AuraBufferPool, AuraEngine } from "@auraio/core"
import type { EngineSetupError } from "@auraio/core"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { hugePageAllocator } from "./alloc.js"
import * as Uring from "./uringFileSystem.js"

/** @internal */
export interface Options {
  readonly forceFallback?: boolean | undefined
  readonly engine?: AuraEngine.Options | undefined
  readonly readAhead?: number | undefined
  readonly writeBehind?: number | undefined
  readonly copyChunkSize?: number | undefined
  readonly copyLanes?: number | undefined
}

/** @internal */
export type Backend =
  | { readonly _tag: "IoUring"; readonly engine: AuraEngine.Service }
  | { readonly _tag: "Fallback"; readonly reason: string }

/** @internal */
export class BackendTag extends Context.Tag("@auraio/platform-layer/AuraFileSystem/Backend")<BackendTag, Backend>() {}

/** @internal */
export const ENV_FORCE_FALLBACK = "AURAIO_FORCE_FALLBACK"

/**
 * `AURAIO_FORCE_FALLBACK` through the ConfigProvider (the environment by default). Anything but a
 * clear "on" value (1, true, yes, on) leaves it off: a typo must not fail a layer that never fails.
 * @internal
 */
export const envForcesFallback: Effect.Effect<boolean> = Config.string(ENV_FORCE_FALLBACK).pipe(
  Config.option,
  Effect.map(Option.match({
    onNone: () => false,
    onSome: (v) => ["1", "true", "yes", "on"].includes(v.trim().toLowerCase())
  })),
  Effect.orElseSucceed(() => false)
)

const nodeFileSystem = Effect.provide(FileSystem.FileSystem, NodeFileSystem.layer)

/**
 * The fallback FileSystem is NodeFileSystem itself. It carries `fallbackReason` so tools holding
 * only the FileSystem (the `auraio check` CLI) can tell which backend answered.
 */
const fallback = (node: FileSystem.FileSystem, reason: string) =>
  Context.make(FileSystem.FileSystem, Object.assign({}, node, { fallbackReason: reason }) as FileSystem.FileSystem)
    .pipe(Context.add(BackendTag, { _tag: "Fallback", reason }))

const describeSetupError = (error: EngineSetupError) =>
  `${error.message}${error.code !== undefined ? ` (${error.code})` : ""}`

const uringContext = (engine: AuraEngine.Service, node: FileSystem.FileSystem, options: Options) => {
  const fs = Uring.make(engine, node, {
    readAhead: options.readAhead ?? 4,
    writeBehind: options.writeBehind ?? 4,
    copyChunkSize: options.copyChunkSize ?? 1024 * 1024,
    copyLanes: options.copyLanes ?? 2,
    alloc: hugePageAllocator
  })
  return Context.make(FileSystem.FileSystem, fs).pipe(
    Context.add(AuraEngine, engine),
    Context.add(AuraBufferPool, engine.pool),
    Context.add(BackendTag, { _tag: "IoUring", engine })
  )
}

/**
 * The layer's context: io_uring when the engine starts, else NodeFileSystem with one warning that
 * names the reason. Never fails.
 * @internal
 */
export const make = (
  options: Options
): Effect.Effect<Context.Context<FileSystem.FileSystem | BackendTag>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const node = yield* nodeFileSystem
    if (options.forceFallback === true) return fallback(node, "forced by configuration (forceFallback: true)")
    if (yield* envForcesFallback) return fallback(node, `forced by ${ENV_FORCE_FALLBACK}`)
    const engine = yield* Effect.either(
      AuraEngine.make(options.engine).pipe(
        Effect.mapError(describeSetupError),
        // A native addon that cannot load is one more reason to fall back, not a crash.
        Effect.catchAllDefect((defect) => Effect.fail(`native engine failed to start: ${String(defect)}`))
      )
    )
    if (Either.isLeft(engine)) {
      const reason = `io_uring unavailable: ${engine.left}`
      yield* Effect.logWarning(`AuraFileSystem: ${reason}; serving every FileSystem method through NodeFileSystem`)
      return fallback(node, reason)
    }
    return uringContext(engine.right, node, options)
  })

/**
 * The io_uring context or the setup error: for `layerWithEngine`, whose type promises an engine.
 * @internal
 */
export const makeWithEngine = (
  options: Options
): Effect.Effect<
  Context.Context<FileSystem.FileSystem | BackendTag | AuraEngine | AuraBufferPool>,
  EngineSetupError,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const node = yield* nodeFileSystem
    const engine = yield* AuraEngine.make(options.engine)
    return uringContext(engine, node, options)
  })
