import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import type { AuraEngine } from "../AuraEngine.js"

/** @internal */
export const DEFAULT_POOL_CAP = 256 * 1024 * 1024
/** @internal */
export const DEFAULT_METRICS_INTERVAL = Duration.seconds(1)
/** @internal */
export const DEFAULT_CLOSE_TIMEOUT = Duration.seconds(5)

const opt = <A>(c: Config.Config<A>) => Config.option(c)

/** @internal */
export const config: Config.Config<AuraEngine.Options> = Config.map(
  Config.all({
    rings: opt(Config.integer("AURAIO_RINGS")),
    entries: opt(Config.integer("AURAIO_ENTRIES")),
    sqpoll: opt(Config.boolean("AURAIO_SQPOLL")),
    shared: opt(Config.boolean("AURAIO_SHARED")),
    iowqMaxWorkers: opt(Config.integer("AURAIO_IOWQ_MAX_WORKERS")),
    registeredBuffers: opt(Config.boolean("AURAIO_REGISTERED_BUFFERS")),
    poolCapBytes: opt(Config.integer("AURAIO_POOL_CAP_BYTES")),
    aimd: opt(Config.boolean("AURAIO_AIMD")),
    metricsInterval: opt(Config.duration("AURAIO_METRICS_INTERVAL")),
    closeTimeout: opt(Config.duration("AURAIO_CLOSE_TIMEOUT"))
  }),
  (o) => {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(o)) if (v._tag === "Some") out[k] = v.value
    return out as AuraEngine.Options
  }
)
