import type { AuraEngine } from "@auraio/core"
import type * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import type { Allocator } from "./alloc.js"
import { relabel, systemError } from "./errors.js"
import { withFd } from "./fd.js"

// Node's own step for files whose size statx cannot tell (procfs, FIFOs, devices).
const UNKNOWN_SIZE_CHUNK = 64 * 1024
// Node's kIoMaxLength: readFile refuses larger files (ERR_FS_FILE_TOO_LARGE).
const MAX_LENGTH = 2 ** 31 - 1

/**
 * One open, one statx on the fd, then a read sized to the file into a buffer from `alloc`, looping
 * only over short reads — the same steps as Node's readFile, on the ring. Files that report no size
 * are read in 64 KiB steps to end of file, as Node does.
 * @internal
 */
export const makeReadFile = (engine: AuraEngine.Service, alloc: Allocator) => {
  const sized = (fd: number, size: number): Effect.Effect<Uint8Array, PlatformError.PlatformError> => {
    const buffer = alloc(size)
    const loop = (offset: number): Effect.Effect<Uint8Array, PlatformError.PlatformError> =>
      Effect.flatMap(engine.read(fd, buffer.subarray(offset), offset), (n) => {
        const next = offset + n
        if (n === 0 || next === size) return Effect.succeed(next === size ? buffer : buffer.subarray(0, next))
        return loop(next)
      })
    return loop(0)
  }

  const unsized = (fd: number): Effect.Effect<Uint8Array, PlatformError.PlatformError> => {
    const chunks: Array<Uint8Array> = []
    const loop = (offset: number): Effect.Effect<Uint8Array, PlatformError.PlatformError> =>
      Effect.suspend(() => {
        const chunk = Buffer.allocUnsafeSlow(UNKNOWN_SIZE_CHUNK)
        return Effect.flatMap(engine.read(fd, chunk, offset), (n) => {
          if (n === 0) return Effect.succeed(Buffer.concat(chunks, offset))
          chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n))
          return loop(offset + n)
        })
      })
    return loop(0)
  }

  const contents = (fd: number) =>
    Effect.flatMap(engine.stat(fd), (info: FileSystem.File.Info) => {
      const size = Number(info.size)
      if (size > MAX_LENGTH) {
        return Effect.fail(
          systemError("Unknown", "readFile", fd, "read", `File size (${size}) is greater than 2 GiB`)
        )
      }
      return info.type === "File" && size > 0 ? sized(fd, size) : unsized(fd)
    })

  return (path: string): Effect.Effect<Uint8Array, PlatformError.PlatformError> =>
    Effect.mapError(withFd(engine, path, "r", undefined, contents), relabel("readFile", path))
}
