import type { AuraEngine } from "@auraio/core"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Crypto from "node:crypto"
import * as Path from "node:path"
import type { Allocator } from "./alloc.js"
import { makeCopy, makeCopyFile } from "./copy.js"
import { badArgument, errnoCode, relabel, systemError } from "./errors.js"
import { AuraFile } from "./file.js"
import { withFd } from "./fd.js"
import { makeReadFile } from "./readFile.js"
import { makeSink } from "./sink.js"
import { makeStream } from "./stream.js"
import { makeWriteFile } from "./writeFile.js"

/** @internal */
export interface Tuning {
  readonly readAhead: number
  readonly writeBehind: number
  readonly copyChunkSize: number
  readonly copyLanes: number
  readonly alloc: Allocator
}

/**
 * The io_uring-backed FileSystem: every method whose syscall io_uring has runs on the engine; the rest
 * are NodeFileSystem's own (see docs/guide/filesystem-layer.md for the table). Errors are relabelled
 * with the FileSystem method's name, as NodeFileSystem labels them.
 * @internal
 */
export const make = (engine: AuraEngine.Service, node: FileSystem.FileSystem, tuning: Tuning): FileSystem.FileSystem => {
  // == access: F_OK is a statx; permission checks need faccessat, which io_uring lacks.
  const access = (path: string, options?: FileSystem.AccessFileOptions) =>
    options?.readable || options?.writable
      ? node.access(path, options)
      : Effect.mapError(Effect.asVoid(engine.stat(path)), relabel("access", path))

  // == copyFile / copy
  const copyFile = makeCopyFile(engine, { chunkSize: tuning.copyChunkSize, lanes: tuning.copyLanes })
  const copy = makeCopy(engine, node, copyFile)

  // == makeDirectory: recursive creation has Node's exact semantics (existing dirs are fine).
  const makeDirectory = (path: string, options?: FileSystem.MakeDirectoryOptions) =>
    options?.recursive
      ? node.makeDirectory(path, options)
      : Effect.mapError(engine.mkdir(path, options?.mode ?? 0o777), relabel("makeDirectory", path))

  // == open
  const open = (path: string, options?: FileSystem.OpenFileOptions) =>
    Effect.map(
      Effect.acquireRelease(
        Effect.mapError(engine.openFd(path, options?.flag ?? "r", options?.mode), relabel("open", path)),
        (fd) => Effect.orDie(engine.close(fd))
      ),
      (fd): FileSystem.File => new AuraFile(FileSystem.FileDescriptor(fd), options?.flag?.startsWith("a") ?? false, engine)
    )

  // == makeTempFile: mkdtemp is Node's (random names with retry), the file is created on the ring.
  const makeTempFileFactory = (method: string) => (options?: FileSystem.MakeTempFileOptions) =>
    Effect.flatMap(
      Effect.mapError(node.makeTempDirectory(options), relabel(method)),
      (directory) => {
        const path = Path.join(directory, Crypto.randomBytes(6).toString("hex") + (options?.suffix ?? ""))
        return Effect.as(
          Effect.mapError(withFd(engine, path, "w+", undefined, () => Effect.void), relabel(method, path)),
          path
        )
      }
    )
  const makeTempFile = makeTempFileFactory("makeTempFile")
  const makeTempFileScoped = (options?: FileSystem.MakeTempFileOptions) =>
    Effect.acquireRelease(
      makeTempFileFactory("makeTempFileScoped")(options),
      (file) => Effect.orDie(node.remove(Path.dirname(file), { recursive: true }))
    )

  // == remove: one unlinkat; recursive removal is Node's tree walk.
  const remove = (path: string, options?: FileSystem.RemoveOptions) =>
    options?.recursive
      ? node.remove(path, options)
      : engine.unlink(path).pipe(
        Effect.catchAll((error) => {
          const code = errnoCode(error)
          if (code === "ENOENT" && options?.force) return Effect.void
          if (code === "EISDIR") {
            // Node's rm refuses a directory without `recursive` with its own code (ERR_FS_EISDIR).
            return Effect.fail(
              systemError("Unknown", "remove", path, "rm", `Path is a directory: rm returned EISDIR (is a directory) ${path}`)
            )
          }
          return Effect.fail(relabel("remove", path)(error))
        })
      )

  // == truncate: as Node's fs.truncate, open "r+" then ftruncate.
  const truncate = (path: string, length?: FileSystem.SizeInput) =>
    Effect.mapError(
      withFd(engine, path, "r+", undefined, (fd) => engine.truncate(fd, length !== undefined ? Number(length) : 0)),
      relabel("truncate", path)
    )

  const fs = FileSystem.make({
    access,
    chmod: node.chmod,
    chown: node.chown,
    copy,
    copyFile,
    link: (from, to) => Effect.mapError(engine.link(from, to), relabel("link", from)),
    makeDirectory,
    makeTempDirectory: node.makeTempDirectory,
    makeTempDirectoryScoped: node.makeTempDirectoryScoped,
    makeTempFile,
    makeTempFileScoped,
    open,
    readDirectory: node.readDirectory,
    readFile: makeReadFile(engine, tuning.alloc),
    readLink: node.readLink,
    // NodeFileSystem.realPath on a non-string throws from inside its fs callback (its SystemError schema
    // rejects the path value): an uncaught exception, not a failure. Reject such paths up front.
    realPath: (path) =>
      typeof path === "string" ? node.realPath(path) : Effect.fail(badArgument("realPath", "path must be a string")),
    remove,
    rename: (from, to) => Effect.mapError(engine.rename(from, to), relabel("rename", from)),
    stat: (path) => Effect.mapError(engine.stat(path), relabel("stat", path)),
    symlink: (target, path) => Effect.mapError(engine.symlink(target, path), relabel("symlink", target)),
    truncate,
    utimes: node.utimes,
    watch: node.watch,
    writeFile: makeWriteFile(engine)
  })
  return {
    ...fs,
    stream: makeStream(engine, tuning.readAhead),
    sink: makeSink(engine, tuning.writeBehind)
  }
}
