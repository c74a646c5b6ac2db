import { AuraEngine } from "@auraio/core"
import * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as NFS from "node:fs"
import { badArgument, errnoCode, relabel } from "./errors.js"
import { withFd } from "./fd.js"

const { O_TRUNC, O_APPEND } = NFS.constants

/**
 * writeFile on the ring. For the truncating flags ("w", "w+", "wx", …) the file is opened without
 * O_TRUNC, written from offset 0 and then cut to the data's length with ftruncate: the same bytes,
 * size, inode and mode as Node's open(O_TRUNC) + write, without first freeing every cached page of the
 * old content and re-allocating it (and without ext4's flush-on-close heuristic for files truncated
 * to zero). If a write fails, the file is cut to what was written, as O_TRUNC would have left it.
 * ftruncate's EINVAL on files that have no length (devices, FIFOs) is ignored, as O_TRUNC is there.
 * @internal
 */
export const makeWriteFile = (engine: AuraEngine.Service) =>
(path: string, data: Uint8Array, options?: FileSystem.WriteFileOptions) =>
  Effect.suspend(() => {
    if (!(data instanceof Uint8Array)) return Effect.fail(badArgument("writeFile", "data must be a Uint8Array"))
    const parsed = AuraEngine.parseOpenFlag(options?.flag ?? "w")
    if (parsed === undefined) return Effect.fail(badArgument("writeFile", `invalid flag: ${options?.flag}`))
    const truncating = (parsed & O_TRUNC) !== 0
    const append = (parsed & O_APPEND) !== 0
    const flags = parsed & ~O_TRUNC
    return withFd(engine, path, flags, options?.mode, (fd) => {
      const cut = (length: number) =>
        Effect.catchIf(
          engine.truncate(fd, length),
          (e: PlatformError.PlatformError) => errnoCode(e) === "EINVAL",
          () => Effect.void
        )
      let written = 0
      const body = writeAllFrom(engine, fd, data, append, (n) => {
        written = n
      })
      return truncating
        ? Effect.zipRight(
          Effect.tapError(body, () => Effect.ignore(Effect.suspend(() => cut(written)))),
          cut(data.length)
        )
        : body
    })
  }).pipe(Effect.mapError(relabel("writeFile", path)))

/**
 * All of `data` at offset 0 (or at the end of file when appending), looping over short writes.
 * @internal
 */
export const writeAllFrom = (
  engine: AuraEngine.Service,
  fd: number,
  data: Uint8Array,
  append: boolean,
  progress?: (written: number) => void
): Effect.Effect<void, PlatformError.PlatformError> => {
  const loop = (offset: number): Effect.Effect<void, PlatformError.PlatformError> =>
    offset >= data.length
      ? Effect.void
      : Effect.flatMap(
        engine.write(fd, offset === 0 ? data : data.subarray(offset), append ? undefined : offset),
        (n) => {
          if (n === 0) return Effect.fail(writeZero(fd))
          progress?.(offset + n)
          return loop(offset + n)
        }
      )
  return loop(0)
}

const writeZero = (fd: number) =>
  new PlatformError.SystemError({
    module: "FileSystem",
    method: "writeFile",
    reason: "WriteZero",
    pathOrDescriptor: fd,
    description: "write returned 0 bytes written"
  })
