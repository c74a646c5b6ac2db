// A stand-in for core's AuraEngine.Service built on node:fs, used only to exercise this package's
// io_uring FileSystem logic (cursor, copy, stream read-ahead, sink write-behind) independently of
// the engine. The parity suite's io_uring run uses the real engine on a real ring.
import * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as NFS from "node:fs"

const reason = (code: string | undefined): PlatformError.SystemErrorReason => {
  switch (code) {
    case "ENOENT":
      return "NotFound"
    case "EACCES":
      return "PermissionDenied"
    case "EEXIST":
      return "AlreadyExists"
    case "EISDIR":
    case "ENOTDIR":
    case "ELOOP":
      return "BadResource"
    case "EBUSY":
      return "Busy"
    default:
      return "Unknown"
  }
}

const call = <A>(syscall: string, f: (cb: (err: NodeJS.ErrnoException | null, a?: A) => void) => void) =>
  Effect.async<A, PlatformError.PlatformError>((resume) => {
    try {
      f((err, a) =>
        resume(
          err
            ? Effect.fail(
              new PlatformError.SystemError({
                reason: reason(err.code),
                module: "FileSystem",
                method: syscall,
                syscall,
                description: err.message,
                cause: err
              })
            )
            : Effect.succeed(a as A)
        )
      )
    } catch (cause) {
      resume(Effect.fail(new PlatformError.BadArgument({ module: "FileSystem", method: syscall, cause })))
    }
  })

const info = (stat: NFS.Stats): FileSystem.File.Info => ({
  type: stat.isFile()
    ? "File"
    : stat.isDirectory()
    ? "Directory"
    : stat.isSymbolicLink()
    ? "SymbolicLink"
    : stat.isBlockDevice()
    ? "BlockDevice"
    : stat.isCharacterDevice()
    ? "CharacterDevice"
    : stat.isFIFO()
    ? "FIFO"
    : stat.isSocket()
    ? "Socket"
    : "Unknown",
  mtime: Option.some(stat.mtime),
  atime: Option.some(stat.atime),
  birthtime: Option.some(stat.birthtime),
  dev: stat.dev,
  rdev: Option.some(stat.rdev),
  ino: Option.some(stat.ino),
  mode: stat.mode,
  nlink: Option.some(stat.nlink),
  uid: Option.some(stat.uid),
  gid: Option.some(stat.gid),
  size: FileSystem.Size(stat.size),
  blksize: Option.some(FileSystem.Size(stat.blksize)),
  blocks: Option.some(stat.blocks)
})

type Position = number | bigint | undefined

export const nodeEngine = {
  ringCount: 0,
  read: (fd: number, buffer: Uint8Array, position?: Position) =>
    call<number>("read", (cb) => NFS.read(fd, buffer, 0, buffer.length, position ?? null, (e, n) => cb(e, n))),
  write: (fd: number, buffer: Uint8Array, position?: Position) =>
    call<number>("write", (cb) =>
      NFS.write(fd, buffer, 0, buffer.length, position === undefined ? null : Number(position), (e, n) => cb(e, n))),
  // Like the engine: an fd whose open completes after the fiber gave up on it is closed.
  openFd: (path: string, flags?: string | number, mode?: number) =>
    Effect.async<number, PlatformError.PlatformError>((resume) => {
      let abandoned = false
      Effect.runFork(call<number>("open", (cb) => NFS.open(path, flags ?? "r", mode ?? 0o666, (e, fd) => cb(e, fd))).pipe(
        Effect.exit,
        Effect.map((exit) => {
          if (abandoned) {
            if (exit._tag === "Success") NFS.close(exit.value, () => {})
          } else resume(exit)
        })
      ))
      return Effect.sync(() => {
        abandoned = true
      })
    }),
  close: (fd: number) => call<void>("close", (cb) => NFS.close(fd, (e) => cb(e))),
  stat: (pathOrFd: string | number, options?: { readonly followSymlinks?: boolean | undefined }) =>
    Effect.map(
      call<NFS.Stats>("statx", (cb) =>
        typeof pathOrFd === "number"
          ? NFS.fstat(pathOrFd, cb)
          : options?.followSymlinks === false
          ? NFS.lstat(pathOrFd, cb)
          : NFS.stat(pathOrFd, cb)),
      info
    ),
  fsync: (fd: number) => call<void>("fsync", (cb) => NFS.fsync(fd, (e) => cb(e))),
  truncate: (fd: number, length: number | bigint) =>
    call<void>("ftruncate", (cb) => NFS.ftruncate(fd, Number(length), (e) => cb(e))),
  unlink: (path: string) => call<void>("unlink", (cb) => NFS.unlink(path, (e) => cb(e))),
  rename: (a: string, b: string) => call<void>("rename", (cb) => NFS.rename(a, b, (e) => cb(e))),
  mkdir: (path: string, mode?: number) => call<void>("mkdir", (cb) => NFS.mkdir(path, { mode: mode ?? 0o777 }, (e) => cb(e))),
  symlink: (target: string, path: string) => call<void>("symlink", (cb) => NFS.symlink(target, path, (e) => cb(e))),
  link: (a: string, b: string) => call<void>("link", (cb) => NFS.link(a, b, (e) => cb(e))),
  pool: {
    acquire: (size: number) => Effect.sync(() => Buffer.allocUnsafeSlow(size) as Uint8Array)
  }
}
