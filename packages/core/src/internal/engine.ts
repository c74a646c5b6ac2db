import type { Engine } from "@auraio/native"
import { allocAligned, COUNTER_STRIDE, Counter, LATENCY_BUCKET_BOUNDS_US, openEngine } from "@auraio/native"
import type * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Aimd from "../Aimd.js"
import type { AuraBufferPool } from "../AuraBufferPool.js"
import type { AuraEngine } from "../AuraEngine.js"
import { EngineSetupError } from "../AuraError.js"
import { BufferPool } from "./bufferPool.js"
import { DEFAULT_CLOSE_TIMEOUT, DEFAULT_METRICS_INTERVAL, DEFAULT_POOL_CAP } from "./config.js"
import { makeOpen } from "./file.js"
import * as metrics from "./metrics.js"
import { choosePath } from "./op.js"
import { makeOps, SYNC_FILE_RANGE_DEFAULT } from "./ops.js"
import { makeReadMany } from "./readMany.js"
import { makeSink, makeStream } from "./stream.js"

const setupReason = (code: string | undefined): EngineSetupError["reason"] => {
  switch (code) {
    case "ENOSYS":
    case "EINVAL":
    case "EOPNOTSUPP":
      return "Unsupported"
    case "EPERM":
    case "EACCES":
      return "Disabled"
    case "ENOMEM":
      return "MemoryLimit"
    default:
      return "Unknown"
  }
}

/** @internal */
export const toSetupError = (e: unknown): EngineSetupError => {
  const err = e as { code?: string; errno?: number; reason?: string; message?: string }
  const code = typeof err?.code === "string" ? err.code : undefined
  const errno = typeof err?.errno === "number" ? Math.abs(err.errno) : undefined
  return new EngineSetupError({
    reason: setupReason(code),
    ...(errno !== undefined ? { errno } : {}),
    ...(code !== undefined ? { code } : {}),
    message: typeof err?.reason === "string" ? err.reason : typeof err?.message === "string" ? err.message : String(e),
    cause: e
  })
}

/** Fixed buffers with `registeredBuffers: true`: 2 MiB of pinned memory, well under common memlock limits. */
const FIXED_COUNT = 32
const FIXED_SIZE = 64 * 1024

const aimdOptions = (o: AuraEngine.Options["aimd"]): Aimd.Options | undefined =>
  o === false ? undefined : o === true || o === undefined ? {} : (o as Aimd.Options)

/** @internal */
export const make = (options: AuraEngine.Options = {}): Effect.Effect<AuraEngine.Service, EngineSetupError, Scope.Scope> =>
  Effect.gen(function*() {
    const closeTimeout = Duration.decode(options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT)
    const capBytes = options.poolCapBytes ?? DEFAULT_POOL_CAP
    if (!Number.isSafeInteger(capBytes) || capBytes < 4096) {
      return yield* new EngineSetupError({ reason: "Unknown", message: `poolCapBytes must be an integer >= 4096, got ${capBytes}` })
    }

    // Finalizers run in reverse: the pool is dropped last, after the rings let go of every buffer.
    const pool = new BufferPool({ capBytes, alloc: (n) => allocAligned(n, 4096) })
    yield* Effect.addFinalizer(() => Effect.sync(() => pool.close()))

    const native: Engine = yield* Effect.try({
      try: () =>
        openEngine({
          ...(options.rings !== undefined ? { rings: options.rings } : {}),
          ...(options.entries !== undefined ? { entries: options.entries } : {}),
          ...(options.sqpoll !== undefined ? { sqpoll: options.sqpoll } : {}),
          ...(options.iowqMaxWorkers !== undefined ? { iowqMaxWorkers: options.iowqMaxWorkers } : {}),
          ...(options.shared !== undefined ? { shared: options.shared } : {})
        }),
      catch: toSetupError
    })
    yield* Effect.addFinalizer(() => Effect.promise(() => native.close(Duration.toMillis(closeTimeout))))

    if (options.registeredBuffers === true) {
      let reason: string | undefined
      const ok = pool.registerFixed(FIXED_COUNT, FIXED_SIZE, (bufs) => {
        const r = native.registerBuffers(bufs)
        reason = r.reason
        return r.registered
      })
      if (!ok) {
        yield* Effect.logWarning(
          `AuraIO: registered buffers not used: ${reason ?? `${FIXED_COUNT} x ${FIXED_SIZE} B does not fit the pool cap`}`
        )
      }
    }

    // The direct op path is used only if it behaves on this Effect version (see op.ts).
    yield* choosePath(process.env.AURAIO_PORTABLE_OPS === "1")

    yield* metrics.run(native, options.metricsInterval ?? DEFAULT_METRICS_INTERVAL)

    const aimdOpts = aimdOptions(options.aimd)
    const controller = aimdOpts === undefined ? undefined : yield* Aimd.run(
      Aimd.nativeSampler(native, {
        stride: COUNTER_STRIDE,
        completed: Counter.Completed,
        inFlight: Counter.InFlight,
        queued: Counter.Queued,
        limit: Counter.Limit,
        bucketBoundsUs: LATENCY_BUCKET_BOUNDS_US
      }),
      aimdOpts
    )

    return makeService(native, pool, controller, closeTimeout)
  })

const makeService = (
  native: Engine,
  pool: BufferPool,
  controller: Aimd.Controller | undefined,
  closeTimeout: Duration.Duration
): AuraEngine.Service => {
  const raw = native.raw
  const cancel = (id: number) => raw.cancel(id)
  const ops = makeOps(native, pool)
  const rings = native.ringCount

  // The rings' combined in-flight limit, read at call time so it follows the controller.
  const defaultWindow = () => {
    let total = 0
    for (let r = 0; r < rings; r++) {
      const l = native.getLimit(r)
      total += l > 0 ? l : 128
    }
    return Math.max(32, total)
  }
  const { readMany, readManyStream } = makeReadMany(raw, pool, defaultWindow)
  const stream = makeStream(raw)
  const sink = makeSink(raw)
  const open = makeOpen({
    ops,
    cancel,
    stream: (t) => makeStream(raw, t),
    sink: (t) => makeSink(raw, t),
    drainBound: closeTimeout
  })

  const poolService: AuraBufferPool.Service = {
    capBytes: pool.capBytes,
    acquire: (size) => pool.acquire(size),
    tryAcquire: (size) => pool.tryAcquire(size),
    stats: Effect.sync(() => pool.stats())
  }

  const stats: Effect.Effect<AuraEngine.Stats> = Effect.flatMap(
    controller === undefined ? Effect.succeed(undefined) : Effect.map(controller.status, Option.some),
    (aimd) =>
      Effect.sync(() => {
        const c = native.counters
        const ringStats: Array<AuraEngine.RingStats> = []
        let inFlight = 0, submitted = 0, completed = 0, bytesRead = 0, bytesWritten = 0
        for (let r = 0; r < rings; r++) {
          const b = r * COUNTER_STRIDE
          const at = (i: number) => c[b + i]!
          const status = aimd === undefined || Option.isNone(aimd) ? undefined : aimd.value[r]
          const rs: AuraEngine.RingStats = {
            ring: r,
            inFlight: at(Counter.InFlight),
            queued: at(Counter.Queued),
            limit: at(Counter.Limit),
            submitted: at(Counter.Submitted),
            completed: at(Counter.Completed),
            enters: at(Counter.Enters),
            spills: at(Counter.Spills),
            cancels: at(Counter.Cancels),
            bytesRead: at(Counter.BytesRead),
            bytesWritten: at(Counter.BytesWritten),
            errors: at(Counter.Errors),
            fallbacks: at(Counter.Fallbacks),
            meanLatencyUs: at(Counter.Completed) > 0 ? at(Counter.LatencySumUs) / at(Counter.Completed) : 0,
            aimd: status === undefined ? undefined : { phase: status.phase, limit: status.limit }
          }
          ringStats.push(rs)
          inFlight += rs.inFlight
          submitted += rs.submitted
          completed += rs.completed
          bytesRead += rs.bytesRead
          bytesWritten += rs.bytesWritten
        }
        return {
          rings: ringStats,
          inFlight,
          submitted,
          completed,
          bytesRead,
          bytesWritten,
          pool: pool.stats(),
          native: native.stats()
        }
      })
  )

  return {
    ringCount: rings,
    read: (fd, buffer, position) => ops.read(fd, buffer, position),
    write: (fd, buffer, position) => ops.write(fd, buffer, position),
    readAlloc: (fd, length, position) => ops.readAlloc(fd, length, position),
    readExactly: (fd, buffer, position) => ops.readExactly(fd, buffer, position),
    writeAll: (fd, buffer, position) => ops.writeAll(fd, buffer, position),
    readv: (fd, buffers, position) => ops.readv(fd, buffers, position),
    writev: (fd, buffers, position) => ops.writev(fd, buffers, position),
    fsync: (fd) => ops.fsync(fd, false),
    fdatasync: (fd) => ops.fsync(fd, true),
    writeAndSync: (fd, buffer, position, o) => ops.writeAndSync(fd, buffer, position, o?.datasync ?? false),
    open,
    openFd: (path, flags, mode) => ops.openFd(path, flags, mode),
    close: ops.close,
    stat: (pathOrFd, o) => ops.stat(pathOrFd, o?.followSymlinks ?? true),
    fallocate: (fd, offset, length, mode) => ops.fallocate(fd, offset, length, mode ?? 0),
    truncate: (fd, length) => ops.truncate(fd, length),
    syncRange: (fd, offset, length, flags) => ops.syncRange(fd, offset, length, flags ?? SYNC_FILE_RANGE_DEFAULT),
    unlink: ops.unlink,
    rmdir: ops.rmdir,
    rename: ops.rename,
    mkdir: (path, mode) => ops.mkdir(path, mode),
    symlink: ops.symlink,
    link: ops.link,
    readMany: readMany as AuraEngine.Service["readMany"],
    readManyStream,
    stream,
    sink,
    stats,
    pool: poolService,
    native
  }
}

/** @internal */
export const contextOf = (
  engineTag: Context.Tag<AuraEngine, AuraEngine.Service>,
  poolTag: Context.Tag<AuraBufferPool, AuraBufferPool.Service>,
  options?: AuraEngine.Options
): Effect.Effect<Context.Context<AuraEngine | AuraBufferPool>, EngineSetupError, Scope.Scope> =>
  Effect.map(make(options), (service) => Context.make(engineTag, service).pipe(Context.add(poolTag, service.pool)))

/** @internal */
export const contextFromConfig = (
  engineTag: Context.Tag<AuraEngine, AuraEngine.Service>,
  poolTag: Context.Tag<AuraBufferPool, AuraBufferPool.Service>,
  config: Config.Config<AuraEngine.Options>
): Effect.Effect<Context.Context<AuraEngine | AuraBufferPool>, EngineSetupError | ConfigError.ConfigError, Scope.Scope> =>
  Effect.flatMap(config, (options) => contextOf(engineTag, poolTag, options))
