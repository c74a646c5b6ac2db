// Every Effect write path, chosen by name: the integrity checks write extents through each in turn.
import type { AuraEngine } from "@auraio/core"
import type { PlatformError } from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

export const writePaths = ["write", "writeAll", "writev", "writeAndSync", "sink"] as const
export type WritePath = (typeof writePaths)[number]

export interface WriteOptions {
  /** Where writev splits the extent into its two iovecs (called only for writev). */
  readonly cut: (length: number) => number
  /** Chunk size fed to the sink. */
  readonly sinkChunk: number
  readonly writeBehind?: number
  readonly datasync?: boolean
}

/** Writes all of `data` at `offset` through `how`; short transfers are finished with writeAll, as a careful caller would. */
export const writeVia = (
  engine: AuraEngine.Service,
  how: WritePath,
  fd: number,
  data: Uint8Array,
  offset: number,
  options: WriteOptions
): Effect.Effect<void, PlatformError> => {
  const rest = (n: number) => (n === data.length ? Effect.void : engine.writeAll(fd, data.subarray(n), offset + n))
  switch (how) {
    case "write":
      return Effect.flatMap(engine.write(fd, data, offset), rest)
    case "writeAll":
      return engine.writeAll(fd, data, offset)
    case "writev": {
      const cut = options.cut(data.length)
      return Effect.flatMap(engine.writev(fd, [data.subarray(0, cut), data.subarray(cut)], offset), rest)
    }
    case "writeAndSync":
      return Effect.asVoid(engine.writeAndSync(fd, data, offset, { datasync: options.datasync }))
    case "sink": {
      const chunks: Array<Uint8Array> = []
      for (let at = 0; at < data.length; at += options.sinkChunk) {
        chunks.push(data.subarray(at, Math.min(data.length, at + options.sinkChunk)))
      }
      return Stream.run(Stream.fromIterable(chunks), engine.sink(fd, { offset, writeBehind: options.writeBehind }))
    }
  }
}
