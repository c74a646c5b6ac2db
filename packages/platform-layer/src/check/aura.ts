/**
 * Finds the AuraIO pieces at run time. The check must run — and say which AuraIO rows are unavailable —
 * whatever state the packages below are in (not built, io_uring blocked by seccomp, an export missing),
 * so everything here is loaded with a dynamic `import()` and checked against the contracts in
 * docs/architecture.md before use. The structural types below are those contracts, narrowed to what the
 * check calls.
 *
 * @internal
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"

/** Contract 2, the part of `AuraEngine.Service` the check drives. @internal */
export interface EngineLike {
  readonly read: (fd: number, buffer: Uint8Array, position?: number) => Effect.Effect<number, unknown>
  readonly readExactly: (fd: number, buffer: Uint8Array, position: number) => Effect.Effect<unknown, unknown>
  readonly writeAndSync: (
    fd: number,
    buffer: Uint8Array,
    position: number,
    options?: { readonly datasync?: boolean }
  ) => Effect.Effect<unknown, unknown>
  readonly openFd: (path: string, flags: number, mode: number) => Effect.Effect<number, unknown>
  readonly close: (fd: number) => Effect.Effect<unknown, unknown>
  readonly stream?: (
    fd: number,
    options?: { readonly chunkSize?: number; readonly offset?: number; readonly readAhead?: number }
  ) => Stream.Stream<Uint8Array, unknown>
  readonly stats: Effect.Effect<unknown>
}

/** One ring as the live view shows it. @internal */
export interface RingView {
  readonly ring: number
  readonly limit: number
  readonly p99Us: number
  readonly inFlight: number
  readonly phase: string | undefined
}

/** @internal */
export interface Aura {
  readonly engine: EngineLike | undefined
  readonly engineUnavailable: string | undefined
  readonly fileSystem: FileSystem.FileSystem | undefined
  readonly fileSystemUnavailable: string | undefined
  /** Set when AuraFileSystem.layer serves through its NodeFileSystem fallback. */
  readonly fallbackReason: string | undefined
  readonly allocAligned: ((size: number, alignment?: number) => Uint8Array) | undefined
  readonly rings: () => Effect.Effect<ReadonlyArray<RingView>>
}

const message = (e: unknown): string => {
  if (e instanceof Error) return e.message.split("\n")[0]!
  if (typeof e === "object" && e !== null && "reason" in e) return String((e as { reason: unknown }).reason)
  return String(e)
}

const importOptional = (specifier: () => Promise<unknown>): Effect.Effect<Record<string, unknown> | string> =>
  Effect.promise(() =>
    specifier().then(
      (m) => m as Record<string, unknown>,
      (e: unknown) => `cannot load: ${message(e)}`
    )
  )

const isTag = (u: unknown): u is Context.Tag<unknown, unknown> => Context.isTag(u)
const isLayer = (u: unknown): u is Layer.Layer<unknown, unknown, never> => Layer.isLayer(u)

/** `AuraEngine` may be a Tag class with statics, or a namespace holding the Tag: accept both. */
const findTag = (m: Record<string, unknown>, name: string, member = name): Context.Tag<unknown, unknown> | undefined => {
  const v = m[name] as Record<string, unknown> | undefined
  if (member === name && isTag(v)) return v
  if (v && isTag(v[member])) return v[member]
  return undefined
}
const findLayer = (m: Record<string, unknown>, name: string): Layer.Layer<unknown, unknown, never> | undefined => {
  const v = m[name] as Record<string, unknown> | undefined
  return v && isLayer(v["layer"]) ? v["layer"] : undefined
}

const missingMethods = (engine: Record<string, unknown>): ReadonlyArray<string> =>
  ["read", "readExactly", "writeAndSync", "openFd", "close", "stats"].filter((k) => !(k in engine))

/** Builds `layer` into `scope`, turning failure (and defects) into a reason. */
const build = (
  layer: Layer.Layer<unknown, unknown, never>,
  scope: Scope.Scope
): Effect.Effect<Context.Context<unknown> | string> =>
  Effect.exit(Layer.buildWithScope(layer, scope)).pipe(
    Effect.map((exit) =>
      Exit.isSuccess(exit)
        ? exit.value
        : message(Cause.squash(exit.cause))
    )
  )

/**
 * Loads `@auraio/native`, `@auraio/core` and this package's `AuraFileSystem`, and builds what loaded into
 * the caller's scope (so the engine drains and closes when the check ends or is interrupted).
 *
 * @internal
 */
export const load = (
  fileSystemModule: () => Promise<unknown>
): Effect.Effect<Aura, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const native = yield* importOptional(() => import("@auraio/native"))
    const core = yield* importOptional(() => import("@auraio/core"))
    const platform = yield* importOptional(fileSystemModule)

    const allocAligned = typeof native === "object" && typeof native["allocAligned"] === "function"
      ? (native["allocAligned"] as (size: number, alignment?: number) => Uint8Array)
      : undefined

    let engine: EngineLike | undefined
    let engineUnavailable: string | undefined
    let fileSystem: FileSystem.FileSystem | undefined
    let fileSystemUnavailable: string | undefined
    let fallbackReason: string | undefined

    const engineTag = typeof core === "object" ? findTag(core, "AuraEngine") : undefined
    const fsLayer = typeof platform === "object" ? findLayer(platform, "AuraFileSystem") : undefined
    const FileSystemTag = (yield* Effect.promise(() => import("@effect/platform/FileSystem"))).FileSystem

    if (fsLayer) {
      const ctx = yield* build(fsLayer, scope)
      if (typeof ctx === "string") fileSystemUnavailable = `AuraFileSystem.layer failed: ${ctx}`
      else {
        fileSystem = Context.unsafeGet(ctx, FileSystemTag)
        const e = engineTag ? Context.getOption(ctx, engineTag) : undefined
        if (e && e._tag === "Some") engine = e.value as EngineLike
        // AuraFileSystem.Backend says whether io_uring serves the FileSystem, or the fallback and why.
        const backendTag = findTag(platform as Record<string, unknown>, "AuraFileSystem", "Backend")
        const backend = backendTag ? Context.getOption(ctx, backendTag) : undefined
        if (backend && backend._tag === "Some") {
          const b = backend.value as { _tag?: string; reason?: unknown; engine?: unknown }
          if (b._tag === "Fallback") fallbackReason = String(b.reason)
          if (b._tag === "IoUring" && !engine && b.engine) engine = b.engine as EngineLike
        }
      }
    } else {
      fileSystemUnavailable = typeof platform === "string"
        ? `@auraio/platform-layer ${platform}`
        : "AuraFileSystem.layer is not exported yet by @auraio/platform-layer"
    }

    if (!engine) {
      const engineLayer = typeof core === "object" ? findLayer(core, "AuraEngine") : undefined
      if (!engineTag || !engineLayer) {
        engineUnavailable = typeof core === "string"
          ? `@auraio/core ${core}`
          : "AuraEngine is not exported yet by @auraio/core"
      } else {
        const ctx = yield* build(engineLayer, scope)
        if (typeof ctx === "string") engineUnavailable = `AuraEngine.layer failed: ${ctx}`
        else engine = Context.unsafeGet(ctx, engineTag) as EngineLike
      }
    }
    if (engine) {
      const missing = missingMethods(engine as unknown as Record<string, unknown>)
      if (missing.length > 0) {
        engineUnavailable = `AuraEngine lacks ${missing.join(", ")}`
        engine = undefined
      }
    }

    const bounds = typeof native === "object" && Array.isArray(native["LATENCY_BUCKET_BOUNDS_US"])
      ? (native["LATENCY_BUCKET_BOUNDS_US"] as ReadonlyArray<number>)
      : undefined
    const rings = engine ? ringSampler(engine, bounds) : () => Effect.succeed([])

    return { engine, engineUnavailable, fileSystem, fileSystemUnavailable, fallbackReason, allocAligned, rings }
  })

const num = (o: Record<string, unknown> | undefined, ...keys: ReadonlyArray<string>): number | undefined => {
  if (!o) return undefined
  for (const k of keys) {
    const v = o[k]
    if (typeof v === "number") return v
    if (typeof v === "bigint") return Number(v)
  }
  return undefined
}

type LatencyBuckets = (ring: number) => ArrayLike<number>

/**
 * Per-ring limit (from `stats`) and p99 over the interval since the previous call: the native latency
 * histograms are cumulative, so each call diffs them with the copy it kept (as the AIMD controller does).
 * Without the histograms it falls back to whatever percentile or mean the stats carry.
 */
const ringSampler = (engine: EngineLike, bounds: ReadonlyArray<number> | undefined) => {
  const nat = (engine as unknown as { native?: Record<string, unknown> }).native
  const buckets = nat && typeof nat["latencyBuckets"] === "function"
    ? ((ring: number) => (nat["latencyBuckets"] as LatencyBuckets).call(nat, ring))
    : undefined
  const previous: Array<Float64Array> = []
  const windowP99 = (ring: number): number | undefined => {
    if (!buckets || !bounds) return undefined
    const now = buckets(ring)
    const prev = previous[ring] ?? new Float64Array(now.length)
    let total = 0
    for (let i = 0; i < now.length; i++) total += now[i]! - (prev[i] ?? 0)
    let p99: number | undefined
    if (total > 0) {
      const rank = Math.ceil(total * 0.99)
      let seen = 0
      for (let i = 0; i < now.length; i++) {
        seen += now[i]! - (prev[i] ?? 0)
        if (seen >= rank) {
          const b = bounds[i] ?? 0
          p99 = Number.isFinite(b) ? b : (bounds[i - 1] ?? 0) + 1
          break
        }
      }
    }
    previous[ring] = Float64Array.from(now)
    return p99 ?? 0
  }
  return (): Effect.Effect<ReadonlyArray<RingView>> =>
    engine.stats.pipe(
      Effect.map((stats) =>
        ringViews(stats).map((r) => {
          const w = windowP99(r.ring)
          return w === undefined ? r : { ...r, p99Us: w }
        })
      ),
      Effect.orElseSucceed((): ReadonlyArray<RingView> => []),
      Effect.catchAllDefect(() => Effect.succeed<ReadonlyArray<RingView>>([]))
    )
}

/**
 * Reads the per-ring part of an `AuraEngine.Stats` snapshot (`rings[i].limit`, `.aimd.phase`, and the
 * native snapshot's percentiles when present).
 */
export const ringViews = (stats: unknown): ReadonlyArray<RingView> => {
  const s = stats as { rings?: unknown; native?: { rings?: unknown } } | undefined
  const rings = s?.rings
  if (!Array.isArray(rings)) return []
  const nativeRings = Array.isArray(s?.native?.rings) ? (s.native.rings as Array<Record<string, unknown>>) : []
  return rings.map((r: Record<string, unknown>, i) => {
    const aimd = r["aimd"] as Record<string, unknown> | undefined
    const nr = nativeRings[i]
    const lat = (nr?.["latencyUs"] ?? nr?.["latency"] ?? r["latency"]) as Record<string, unknown> | undefined
    const phase = aimd?.["phase"] ?? r["phase"]
    return {
      ring: num(r, "ring", "index") ?? i,
      limit: num(r, "limit") ?? num(aimd, "limit") ?? 0,
      p99Us: num(lat, "p99", "p99Us") ?? num(r, "p99Us", "meanLatencyUs") ?? 0,
      inFlight: num(r, "inFlight") ?? 0,
      phase: typeof phase === "string" ? phase : undefined
    }
  })
}
