import type { AuraEngine } from "@auraio/core"
import * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { espipe, isUnseekable, relabel } from "./errors.js"
import { FileLock } from "./lock.js"

/**
 * NodeFileSystem's `FileImpl`, op for op, over the engine: a bigint cursor behind a one-permit
 * lock (see FileLock); reads are positional at the cursor (so a FIFO fails with ESPIPE exactly as there);
 * append mode writes at the kernel's end of file and leaves the cursor alone; truncate pulls a cursor
 * past the new end back to it. The mappers are built once per File, not per op.
 * @internal
 */
export class AuraFile implements FileSystem.File {
  readonly [FileSystem.FileTypeId]: FileSystem.FileTypeId = FileSystem.FileTypeId

  private position = 0n
  /** Whether positional I/O works on this fd; learnt from one statx on first use. */
  private seekable: boolean | undefined = undefined
  private readonly fileLock = new FileLock()
  private readonly lock = this.fileLock.withLock
  private readonly readError: (e: PlatformError.PlatformError) => PlatformError.PlatformError
  private readonly readAllocError: (e: PlatformError.PlatformError) => PlatformError.PlatformError
  private readonly writeError: (e: PlatformError.PlatformError) => PlatformError.PlatformError
  private readonly writeAllError: (e: PlatformError.PlatformError) => PlatformError.PlatformError
  private readonly onRead: (n: number) => FileSystem.Size
  private readonly onWrite: (n: number) => FileSystem.Size

  constructor(
    readonly fd: FileSystem.File.Descriptor,
    private readonly append: boolean,
    private readonly engine: AuraEngine.Service
  ) {
    this.readError = relabel("read", fd)
    this.readAllocError = relabel("readAlloc", fd)
    this.writeError = relabel("write", fd)
    this.writeAllError = relabel("writeAll", fd)
    this.onRead = (n) => {
      const size = FileSystem.Size(n)
      this.position = this.position + size
      return size
    }
    this.onWrite = (n) => {
      const size = FileSystem.Size(n)
      if (!this.append) this.position = this.position + size
      return size
    }
  }

  /**
   * Runs `op` if the fd is seekable, else fails as pread/pwrite would (ESPIPE). The first call costs
   * one statx; later calls go straight to `op`.
   */
  private positional<A>(
    method: string,
    syscall: "read" | "write",
    op: () => Effect.Effect<A, PlatformError.PlatformError>
  ): Effect.Effect<A, PlatformError.PlatformError> {
    // Lazy: the cursor must be read when the op runs (under the permit), not when it is built.
    return Effect.suspend(() => {
      if (this.seekable === true) return op()
      if (this.seekable === false) return Effect.fail(espipe(method, this.fd, syscall))
      return Effect.flatMap(Effect.mapError(this.engine.stat(this.fd), relabel(method, this.fd)), (info) => {
        this.seekable = !isUnseekable(info.type)
        return this.positional(method, syscall, op)
      })
    })
  }

  get stat() {
    return Effect.mapError(this.engine.stat(this.fd), relabel("stat", this.fd))
  }

  get sync() {
    return Effect.mapError(this.engine.fsync(this.fd), relabel("sync", this.fd))
  }

  seek(offset: FileSystem.SizeInput, from: FileSystem.SeekMode) {
    const offsetSize = FileSystem.Size(offset)
    return this.fileLock.sync(() => {
      if (from === "start") this.position = offsetSize
      else if (from === "current") this.position = this.position + offsetSize
      return this.position
    }) as unknown as Effect.Effect<void>
  }

  read(buffer: Uint8Array) {
    // node:fs answers a 0-byte read without a syscall, even on a write-only fd (found by the
    // differential property test): so does this.
    if (buffer instanceof Uint8Array && buffer.length === 0) return this.lock(Effect.succeed(FileSystem.Size(0)))
    return this.lock(this.positional("read", "read", () =>
      Effect.mapBoth(this.engine.read(this.fd, buffer, this.position), {
        onFailure: this.readError,
        onSuccess: this.onRead
      })
    ))
  }

  readAlloc(size: FileSystem.SizeInput) {
    const length = Number(size)
    if (length === 0) return this.lock(Effect.succeed(Option.none<Uint8Array>()))
    return this.lock(this.positional("readAlloc", "read", () => {
      const buffer = Buffer.allocUnsafeSlow(length)
      return Effect.mapBoth(this.engine.read(this.fd, buffer, this.position), {
        onFailure: this.readAllocError,
        onSuccess: (bytesRead): Option.Option<Uint8Array> => {
          if (bytesRead === 0) return Option.none()
          this.position = this.position + BigInt(bytesRead)
          if (bytesRead === length) return Option.some(buffer)
          // Same as NodeFileSystem: a short read returns a right-sized copy, not a view.
          const exact = Buffer.allocUnsafeSlow(bytesRead)
          buffer.copy(exact, 0, 0, bytesRead)
          return Option.some(exact)
        }
      })
    }))
  }

  truncate(length?: FileSystem.SizeInput) {
    return this.lock(Effect.suspend(() =>
      Effect.mapBoth(this.engine.truncate(this.fd, length ? Number(length) : 0), {
        onFailure: relabel("truncate", this.fd),
        onSuccess: () => {
          if (!this.append) {
            const len = BigInt(length ?? 0)
            if (this.position > len) this.position = len
          }
        }
      })
    ))
  }

  write(buffer: Uint8Array) {
    const op = () =>
      Effect.mapBoth(this.engine.write(this.fd, buffer, this.append ? undefined : this.position), {
        onFailure: this.writeError,
        onSuccess: this.onWrite
      })
    // Append mode writes at the kernel's end of file, without a position: fine on a FIFO too.
    return this.lock(this.append ? Effect.suspend(op) : this.positional("write", "write", op))
  }

  writeAll(buffer: Uint8Array) {
    return this.lock(
      this.append ? this.writeAllChunk(buffer) : this.positional("writeAll", "write", () => this.writeAllChunk(buffer))
    )
  }

  private writeAllChunk(buffer: Uint8Array): Effect.Effect<void, PlatformError.PlatformError> {
    return Effect.flatMap(
      Effect.mapError(
        Effect.suspend(() => this.engine.write(this.fd, buffer, this.append ? undefined : this.position)),
        this.writeAllError
      ),
      (bytesWritten) => {
        if (bytesWritten === 0) {
          return Effect.fail(
            new PlatformError.SystemError({
              module: "FileSystem",
              method: "writeAll",
              reason: "WriteZero",
              pathOrDescriptor: this.fd,
              description: "write returned 0 bytes written"
            })
          )
        }
        if (!this.append) this.position = this.position + BigInt(bytesWritten)
        return bytesWritten < buffer.length ? this.writeAllChunk(buffer.subarray(bytesWritten)) : Effect.void
      }
    )
  }
}
