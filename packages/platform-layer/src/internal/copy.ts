import type { AuraEngine } from "@auraio/core"
import type * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as NFS from "node:fs"
import * as Path from "node:path"
import { errnoCode, relabel, systemError } from "./errors.js"
import { withFd } from "./fd.js"

const { O_WRONLY, O_CREAT } = NFS.constants

/** @internal */
export interface CopyTuning {
  /** Bytes per read/write step. */
  readonly chunkSize: number
  /** Steps in flight: memory held by one copy is at most chunkSize × lanes. */
  readonly lanes: number
}

const fchmod = (fd: number, mode: number) =>
  Effect.async<void, NodeJS.ErrnoException>((resume) => {
    NFS.fchmod(fd, mode, (err) => resume(err ? Effect.fail(err) : Effect.void))
  })

const sameFile = (a: FileSystem.File.Info, b: FileSystem.File.Info) =>
  a.dev === b.dev && a.ino._tag === "Some" && b.ino._tag === "Some" && a.ino.value === b.ino.value

/**
 * Data from one fd to another with bounded memory: `lanes` read → write steps in flight, each on a
 * pooled buffer of `chunkSize`, taking the next offset in turn.
 */
const pump = (
  engine: AuraEngine.Service,
  src: number,
  dst: number,
  size: number,
  tuning: CopyTuning
): Effect.Effect<void, PlatformError.PlatformError> => {
  if (size === 0) return Effect.void
  const chunk = Math.min(tuning.chunkSize, size)
  let next = 0
  const lane = Effect.scoped(Effect.flatMap(engine.pool.acquire(chunk), (buffer) => {
    const step: Effect.Effect<void, PlatformError.PlatformError> = Effect.suspend(() => {
      if (next >= size) return Effect.void
      const at = next
      const length = Math.min(chunk, size - at)
      next += length
      const view = length === buffer.length ? buffer : buffer.subarray(0, length)
      return Effect.flatMap(engine.read(src, view, at), (n) =>
        n === 0
          ? Effect.sync(() => {
            next = size // the source shrank: nothing more to copy
          })
          : Effect.zipRight(writeAt(engine, dst, view.subarray(0, n), at), step))
    })
    return step
  }))
  const lanes = Math.max(1, Math.min(tuning.lanes, Math.ceil(size / chunk)))
  return Effect.asVoid(Effect.all(Array.from({ length: lanes }, () => lane), { concurrency: lanes }))
}

const writeAt = (
  engine: AuraEngine.Service,
  fd: number,
  data: Uint8Array,
  at: number
): Effect.Effect<void, PlatformError.PlatformError> =>
  Effect.flatMap(
    engine.write(fd, data, at),
    (n) => n >= data.length || n === 0 ? Effect.void : writeAt(engine, fd, data.subarray(n), at + n)
  )

/**
 * libuv's uv_fs_copyfile, step for step, with the data moved on the ring: open the source, statx it,
 * open (create) the destination with the source's mode, stop if both are the same file, truncate,
 * fchmod to the source's mode, copy, and remove the destination if the copy fails after creating it.
 * @internal
 */
export const makeCopyFile = (engine: AuraEngine.Service, tuning: CopyTuning) => {
  const copyData = (from: string, to: string): Effect.Effect<void, PlatformError.PlatformError> =>
    withFd(engine, from, "r", undefined, (src) =>
      Effect.flatMap(engine.stat(src), (info) => {
        if (info.type === "Directory") {
          const eisdir = systemError("BadResource", "copyFile", from, "copyfile", `EISDIR: illegal operation on a directory, copyfile '${from}' -> '${to}'`)
          // libuv opens the destination before it notices the source is a directory, so a destination
          // whose parent is missing is reported as NotFound (found by the differential property test).
          return Effect.flatMap(Effect.either(engine.stat(Path.dirname(to))), (parent) =>
            Effect.fail(Either.isLeft(parent) && errnoCode(parent.left) === "ENOENT" ? parent.left : eisdir))
        }
        const mode = info.mode & 0o7777
        return withFd(engine, to, O_WRONLY | O_CREAT, mode, (dst) =>
          Effect.flatMap(engine.stat(dst), (dstInfo) => {
            if (sameFile(info, dstInfo)) return Effect.void
            return Effect.zipRight(
              Effect.zipRight(
                engine.truncate(dst, 0),
                Effect.catchAll(fchmod(dst, mode), (err) => err.code === "EPERM" ? Effect.void : Effect.die(err))
              ),
              Effect.tapError(pump(engine, src, dst, Number(info.size), tuning), () => Effect.ignore(engine.unlink(to)))
            )
          }))
      }))
  return (from: string, to: string) => Effect.mapError(copyData(from, to), relabel("copyFile", from))
}

/**
 * `copy` as Node's fs.cp does it (recursive, `force` = overwrite, errorOnExist off). A regular file
 * copied to a path that is free, or that holds a different non-directory which `overwrite` replaces
 * (fs.cp unlinks it first), moves its data on the ring; every other case — directories, symlinks,
 * devices, a destination that is a directory or the source itself — goes to NodeFileSystem, which
 * raises fs.cp's own errors.
 * @internal
 */
export const makeCopy = (
  engine: AuraEngine.Service,
  node: FileSystem.FileSystem,
  copyFile: (from: string, to: string) => Effect.Effect<void, PlatformError.PlatformError>
) =>
(from: string, to: string, options?: FileSystem.CopyOptions): Effect.Effect<void, PlatformError.PlatformError> => {
  const lstat = (path: string) => engine.stat(path, { followSymlinks: false })
  const viaNode = node.copy(from, to, options)
  const force = options?.overwrite ?? false
  const body = Effect.gen(function*() {
    const src = yield* Effect.either(lstat(from))
    // Bad input (a path that is not a string, …) is a typed error here; fs.cp would throw.
    if (Either.isLeft(src) && src.left._tag === "BadArgument") return yield* Effect.fail(src.left)
    if (Either.isLeft(src) || src.right.type !== "File") return yield* viaNode
    const dst = yield* Effect.either(lstat(to))
    if (Either.isLeft(dst) && dst.left._tag === "BadArgument") return yield* Effect.fail(dst.left)
    if (Either.isLeft(dst)) {
      if (errnoCode(dst.left) !== "ENOENT") return yield* viaNode
      // fs.cp creates missing parent directories.
      yield* node.makeDirectory(Path.dirname(to), { recursive: true })
    } else {
      if (dst.right.type === "Directory" || sameFile(src.right, dst.right)) return yield* viaNode
      if (!force) return
      yield* engine.unlink(to)
    }
    yield* copyFile(from, to)
    if (options?.preserveTimestamps) {
      const after = yield* engine.stat(from)
      yield* node.utimes(to, after.atime._tag === "Some" ? after.atime.value : 0, after.mtime._tag === "Some" ? after.mtime.value : 0)
    }
  })
  return Effect.mapError(body, relabel("copy"))
}
