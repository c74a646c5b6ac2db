import type { Engine } from "@auraio/native"
import type { PlatformError } from "@effect/platform/Error"
import { SystemError } from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import type { AuraEngine } from "../AuraEngine.js"
import type { BufferPool } from "./bufferPool.js"
import { badArgument, fromErrno } from "./errno.js"
import { directRw, type OpEnv, runOp, type Tracker, usingDirectPath } from "./op.js"
import { O_CLOEXEC, parseOpenFlag } from "./openFlags.js"
import { AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, decodeStatx, STATX_MASK, STATX_SIZE } from "./statx.js"
import {
  checkBuffer,
  checkBuffers,
  checkFd,
  checkMode,
  checkPath,
  normLength,
  normPosition,
  show
} from "./validate.js"

type Position = AuraEngine.Position

/** Effects that need nothing but the ring: shared by the service and by `AuraFile` (with a tracker). @internal */
export interface Ops {
  readonly read: (fd: number, buffer: Uint8Array, position: Position | undefined, t?: Tracker) => Effect.Effect<number, PlatformError>
  readonly write: (fd: number, buffer: Uint8Array, position: Position | undefined, t?: Tracker) => Effect.Effect<number, PlatformError>
  readonly readAlloc: (fd: number, length: number, position: Position | undefined, t?: Tracker) => Effect.Effect<Uint8Array, PlatformError>
  readonly readExactly: (fd: number, buffer: Uint8Array, position: Position, t?: Tracker) => Effect.Effect<void, PlatformError>
  readonly writeAll: (fd: number, buffer: Uint8Array, position: Position | undefined, t?: Tracker) => Effect.Effect<void, PlatformError>
  readonly readv: (fd: number, buffers: ReadonlyArray<Uint8Array>, position: Position | undefined, t?: Tracker) => Effect.Effect<number, PlatformError>
  readonly writev: (fd: number, buffers: ReadonlyArray<Uint8Array>, position: Position | undefined, t?: Tracker) => Effect.Effect<number, PlatformError>
  readonly fsync: (fd: number, datasync: boolean, t?: Tracker) => Effect.Effect<void, PlatformError>
  readonly writeAndSync: (fd: number, buffer: Uint8Array, position: Position, datasync: boolean, t?: Tracker) => Effect.Effect<number, PlatformError>
  readonly openFd: (path: string, flags: string | number | undefined, mode: number | undefined) => Effect.Effect<number, PlatformError>
  readonly close: (fd: number) => Effect.Effect<void, PlatformError>
  readonly stat: (pathOrFd: string | number, followSymlinks: boolean, t?: Tracker) => Effect.Effect<FileSystem.File.Info, PlatformError>
  readonly fallocate: (fd: number, offset: Position, length: Position, mode: number, t?: Tracker) => Effect.Effect<void, PlatformError>
  readonly truncate: (fd: number, length: Position, t?: Tracker) => Effect.Effect<void, PlatformError>
  readonly syncRange: (fd: number, offset: Position, length: Position, flags: number, t?: Tracker) => Effect.Effect<void, PlatformError>
  readonly unlink: (path: string) => Effect.Effect<void, PlatformError>
  readonly rmdir: (path: string) => Effect.Effect<void, PlatformError>
  readonly rename: (oldPath: string, newPath: string) => Effect.Effect<void, PlatformError>
  readonly mkdir: (path: string, mode: number | undefined) => Effect.Effect<void, PlatformError>
  readonly symlink: (target: string, path: string) => Effect.Effect<void, PlatformError>
  readonly link: (existingPath: string, newPath: string) => Effect.Effect<void, PlatformError>
}

/** SYNC_FILE_RANGE_WAIT_BEFORE | WRITE | WAIT_AFTER: the data is on the device when it returns. @internal */
export const SYNC_FILE_RANGE_DEFAULT = 1 | 2 | 4

/** @internal */
export const makeOps = (native: Engine, pool: BufferPool): Ops => {
  const raw = native.raw
  const env: OpEnv = { cancel: (id: number) => raw.cancel(id), pool }

  const count = (method: string, syscall: string, where: string | number) => (res: number) =>
    res >= 0 ? Effect.succeed(res) : Effect.fail(fromErrno(res, method, syscall, where))
  const unit = (method: string, syscall: string, where: string | number, dest?: string) => (res: number) =>
    res >= 0 ? Effect.void : Effect.fail(fromErrno(res, method, syscall, where, dest))

  // == read / write (the hot path: validation inline, one Effect.async, no generator)

  const readError = (res: number, fd: number) => fromErrno(res, "read", "read", fd)
  const writeError = (res: number, fd: number) => fromErrno(res, "write", "write", fd)

  // read and write differ only in direction: one validated path, the raw call picked by `isWrite`.
  const transfer = (isWrite: boolean): Ops["read"] => {
    const name = isWrite ? "write" : "read"
    const onError = isWrite ? writeError : readError
    return (fd, buffer, position, t) => {
      const bad = checkFd(name, fd) ?? checkBuffer(name, buffer)
      if (bad !== undefined) return Effect.fail(bad)
      const pos = normPosition(name, position)
      if (typeof pos !== "number") return Effect.fail(pos)
      if (usingDirectPath()) return directRw(env, raw, isWrite, fd, buffer, pos, t, onError)
      const fixed = pool.slotOf(buffer)?.fixedIndex ?? -1
      return runOp(
        env,
        buffer,
        t,
        fixed >= 0
          ? (cb) => (isWrite ? raw.writeFixed : raw.readFixed).call(raw, fd, buffer, buffer.length, pos, fixed, cb)
          : (cb) => (isWrite ? raw.write : raw.read).call(raw, fd, buffer, buffer.length, pos, cb),
        count(name, name, fd)
      )
    }
  }
  const read: Ops["read"] = transfer(false)
  const write: Ops["write"] = transfer(true)

  // == readAlloc

  const readAlloc: Ops["readAlloc"] = (fd, length, position, t) => {
    const len = normLength("readAlloc", "length", length)
    if (typeof len !== "number") return Effect.fail(len)
    return Effect.suspend(() => {
      const buf = new Uint8Array(len)
      return Effect.map(read(fd, buf, position, t), (n) => (n === len ? buf : buf.slice(0, n)))
    })
  }

  // == readExactly / writeAll

  const readExactly: Ops["readExactly"] = (fd, buffer, position, t) => {
    const pos = normPosition("readExactly", position)
    if (typeof pos !== "number" || pos < 0) {
      return Effect.fail(typeof pos === "number" ? badArgument("readExactly", "position is required") : pos)
    }
    const bad = checkBuffer("readExactly", buffer)
    if (bad !== undefined) return Effect.fail(bad)
    const total = buffer.length
    const loop = (done: number): Effect.Effect<void, PlatformError> =>
      done >= total ? Effect.void : Effect.flatMap(
        read(fd, done === 0 ? buffer : buffer.subarray(done), pos + done, t),
        (n) =>
          n === 0
            ? Effect.fail(
              new SystemError({
                reason: "UnexpectedEof",
                module: "FileSystem",
                method: "readExactly",
                pathOrDescriptor: fd,
                description: `end of file after ${done} of ${total} bytes`
              })
            )
            : loop(done + n)
      )
    return loop(0)
  }

  const writeAll: Ops["writeAll"] = (fd, buffer, position, t) => {
    const pos = normPosition("writeAll", position)
    if (typeof pos !== "number") return Effect.fail(pos)
    const bad = checkFd("writeAll", fd) ?? checkBuffer("writeAll", buffer)
    if (bad !== undefined) return Effect.fail(bad)
    const total = buffer.length
    const loop = (done: number): Effect.Effect<void, PlatformError> =>
      done >= total ? Effect.void : Effect.flatMap(
        write(fd, done === 0 ? buffer : buffer.subarray(done), pos < 0 ? undefined : pos + done, t),
        (n) =>
          n === 0
            ? Effect.fail(
              new SystemError({
                reason: "WriteZero",
                module: "FileSystem",
                method: "writeAll",
                pathOrDescriptor: fd,
                description: `write accepted no bytes after ${done} of ${total}`
              })
            )
            : loop(done + n)
      )
    return loop(0)
  }

  // == readv / writev

  const readv: Ops["readv"] = (fd, buffers, position, t) => {
    const bad = checkFd("readv", fd) ?? checkBuffers("readv", buffers)
    if (bad !== undefined) return Effect.fail(bad)
    const pos = normPosition("readv", position)
    if (typeof pos !== "number") return Effect.fail(pos)
    const bufs = buffers.slice()
    return runOp(env, undefined, t, (cb) => raw.readv(fd, bufs, pos, cb), count("readv", "read", fd))
  }

  const writev: Ops["writev"] = (fd, buffers, position, t) => {
    const bad = checkFd("writev", fd) ?? checkBuffers("writev", buffers)
    if (bad !== undefined) return Effect.fail(bad)
    const pos = normPosition("writev", position)
    if (typeof pos !== "number") return Effect.fail(pos)
    const bufs = buffers.slice()
    return runOp(env, undefined, t, (cb) => raw.writev(fd, bufs, pos, cb), count("writev", "write", fd))
  }

  // == fsync / writeAndSync

  const fsync: Ops["fsync"] = (fd, datasync, t) => {
    const method = datasync ? "fdatasync" : "fsync"
    const bad = checkFd(method, fd)
    if (bad !== undefined) return Effect.fail(bad)
    return runOp(env, undefined, t, (cb) => raw.fsync(fd, datasync, cb), unit(method, method, fd))
  }

  const writeAndSync: Ops["writeAndSync"] = (fd, buffer, position, datasync, t) => {
    const bad = checkFd("writeAndSync", fd) ?? checkBuffer("writeAndSync", buffer)
    if (bad !== undefined) return Effect.fail(bad)
    const pos = normPosition("writeAndSync", position)
    if (typeof pos !== "number") return Effect.fail(pos)
    return runOp(env, buffer,
      t,
      (cb) => raw.writeFsync(fd, buffer, buffer.length, pos, datasync, cb),
      count("writeAndSync", "write", fd)
    )
  }

  // == open / close

  const openFd: Ops["openFd"] = (path, flags, mode) => {
    const bad = checkPath("open", path) ?? (mode === undefined ? undefined : checkMode("open", mode))
    if (bad !== undefined) return Effect.fail(bad)
    const numeric = parseOpenFlag(flags ?? "r")
    if (numeric === undefined) return Effect.fail(badArgument("open", `unknown open flag ${show(flags)}`))
    return runOp(env, undefined,
      undefined,
      (cb) => raw.openat(AT_FDCWD, path, numeric | O_CLOEXEC, mode ?? 0o666, cb),
      count("open", "open", path)
    )
  }

  const close: Ops["close"] = (fd) => {
    const bad = checkFd("close", fd)
    if (bad !== undefined) return Effect.fail(bad)
    return runOp(env, undefined, undefined, (cb) => raw.close(fd, cb), unit("close", "close", fd))
  }

  // == stat

  const stat: Ops["stat"] = (pathOrFd, followSymlinks, t) => {
    if (typeof pathOrFd === "number") {
      const bad = checkFd("stat", pathOrFd)
      if (bad !== undefined) return Effect.fail(bad)
    } else {
      const bad = checkPath("stat", pathOrFd)
      if (bad !== undefined) return Effect.fail(bad)
    }
    return Effect.suspend(() => {
      const out = new Uint8Array(STATX_SIZE)
      const byFd = typeof pathOrFd === "number"
      const syscall = byFd ? "fstat" : followSymlinks ? "stat" : "lstat"
      return runOp(env, undefined,
        t,
        (cb) =>
          byFd
            ? raw.statx(pathOrFd, "", AT_EMPTY_PATH, STATX_MASK, out, cb)
            : raw.statx(AT_FDCWD, pathOrFd, followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW, STATX_MASK, out, cb),
        (res) => res >= 0 ? Effect.sync(() => decodeStatx(out)) : Effect.fail(fromErrno(res, "stat", syscall, pathOrFd))
      )
    })
  }

  // == fallocate / truncate / syncRange

  const fallocate: Ops["fallocate"] = (fd, offset, length, mode, t) => {
    const bad = checkFd("fallocate", fd)
    if (bad !== undefined) return Effect.fail(bad)
    const off = normLength("fallocate", "offset", offset)
    if (typeof off !== "number") return Effect.fail(off)
    const len = normLength("fallocate", "length", length)
    if (typeof len !== "number") return Effect.fail(len)
    if (!Number.isInteger(mode) || mode < 0) return Effect.fail(badArgument("fallocate", `bad mode ${mode}`))
    return runOp(env, undefined, t, (cb) => raw.fallocate(fd, mode, off, len, cb), unit("fallocate", "fallocate", fd))
  }

  const truncate: Ops["truncate"] = (fd, length, t) => {
    const bad = checkFd("truncate", fd)
    if (bad !== undefined) return Effect.fail(bad)
    const len = normLength("truncate", "length", length)
    if (typeof len !== "number") return Effect.fail(len)
    return runOp(env, undefined, t, (cb) => raw.ftruncate(fd, len, cb), unit("truncate", "ftruncate", fd))
  }

  const syncRange: Ops["syncRange"] = (fd, offset, length, flags, t) => {
    const bad = checkFd("syncRange", fd)
    if (bad !== undefined) return Effect.fail(bad)
    const off = normLength("syncRange", "offset", offset)
    if (typeof off !== "number") return Effect.fail(off)
    const len = normLength("syncRange", "length", length)
    if (typeof len !== "number") return Effect.fail(len)
    if (!Number.isInteger(flags) || flags < 0 || flags > 7) {
      return Effect.fail(badArgument("syncRange", `bad flags ${flags}`))
    }
    return runOp(env, undefined,
      t,
      (cb) => raw.syncFileRange(fd, off, len, flags, cb),
      unit("syncRange", "sync_file_range", fd)
    )
  }

  // == unlink / rmdir / rename / mkdir / symlink / link

  const unlink: Ops["unlink"] = (path) => {
    const bad = checkPath("unlink", path)
    if (bad !== undefined) return Effect.fail(bad)
    return runOp(env, undefined, undefined, (cb) => raw.unlinkat(AT_FDCWD, path, 0, cb), unit("unlink", "unlink", path))
  }

  const rmdir: Ops["rmdir"] = (path) => {
    const bad = checkPath("rmdir", path)
    if (bad !== undefined) return Effect.fail(bad)
    return runOp(env, undefined,
      undefined,
      (cb) => raw.unlinkat(AT_FDCWD, path, AT_REMOVEDIR, cb),
      unit("rmdir", "rmdir", path)
    )
  }

  const rename: Ops["rename"] = (oldPath, newPath) => {
    const bad = checkPath("rename", oldPath) ?? checkPath("rename", newPath)
    if (bad !== undefined) return Effect.fail(bad)
    return runOp(env, undefined,
      undefined,
      (cb) => raw.renameat(AT_FDCWD, oldPath, AT_FDCWD, newPath, 0, cb),
      unit("rename", "rename", oldPath, newPath)
    )
  }

  const mkdir: Ops["mkdir"] = (path, mode) => {
    const bad = checkPath("mkdir", path) ?? (mode === undefined ? undefined : checkMode("mkdir", mode))
    if (bad !== undefined) return Effect.fail(bad)
    return runOp(env, undefined,
      undefined,
      (cb) => raw.mkdirat(AT_FDCWD, path, mode ?? 0o777, cb),
      unit("mkdir", "mkdir", path)
    )
  }

  const symlink: Ops["symlink"] = (target, path) => {
    const bad = checkPath("symlink", target) ?? checkPath("symlink", path)
    if (bad !== undefined) return Effect.fail(bad)
    return runOp(env, undefined,
      undefined,
      (cb) => raw.symlinkat(target, AT_FDCWD, path, cb),
      unit("symlink", "symlink", target, path)
    )
  }

  const link: Ops["link"] = (existingPath, newPath) => {
    const bad = checkPath("link", existingPath) ?? checkPath("link", newPath)
    if (bad !== undefined) return Effect.fail(bad)
    return runOp(env, undefined,
      undefined,
      (cb) => raw.linkat(AT_FDCWD, existingPath, AT_FDCWD, newPath, 0, cb),
      unit("link", "link", existingPath, newPath)
    )
  }

  return {
    read,
    write,
    readAlloc,
    readExactly,
    writeAll,
    readv,
    writev,
    fsync,
    writeAndSync,
    openFd,
    close,
    stat,
    fallocate,
    truncate,
    syncRange,
    unlink,
    rmdir,
    rename,
    mkdir,
    symlink,
    link
  }
}
