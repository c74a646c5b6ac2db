import type { AuraEngine } from "@auraio/core"
import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { espipe, isUnseekable, relabel } from "./errors.js"

const DEFAULT_CHUNK = 64 * 1024
const READ_SIZE = 256 * 1024

const split = (read: Uint8Array, chunkSize: number): Array<Uint8Array> => {
  if (read.length <= chunkSize) return [read]
  const out: Array<Uint8Array> = []
  for (let at = 0; at < read.length; at += chunkSize) out.push(read.subarray(at, Math.min(at + chunkSize, read.length)))
  return out
}

/**
 * `FileSystem.stream` with read-ahead: one open, one statx on the fd, then the engine's stream —
 * `readAhead` positional reads of `chunkSize` in flight, completions handed out in order straight
 * from the native callbacks. NodeFileSystem's observable behaviour is kept: chunks of `chunkSize`
 * (the last one shorter), starting at `offset`, stopping after `bytesToRead` or at the first read
 * that returns 0; a short read in the middle (a file that shrank, procfs) is emitted as is and
 * reading resumes right after it; pipes, FIFOs and sockets fail with ESPIPE as Node's positional
 * reads do. Chunks are fresh buffers the consumer owns.
 * @internal
 */
export const makeStream = (engine: AuraEngine.Service, defaultReadAhead: number) =>
(path: string, options?: FileSystem.StreamOptions): Stream.Stream<Uint8Array, PlatformError.PlatformError> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const fd = yield* Effect.acquireRelease(
      Effect.mapError(engine.openFd(path, "r"), relabel("open", path)),
      (fd) => Effect.orDie(engine.close(fd))
    )
    const info = yield* Effect.mapError(engine.stat(fd), relabel("readAlloc", fd))
    if (isUnseekable(info.type)) return Stream.fail(espipe("readAlloc", fd, "read"))
    const bytesToRead = options?.bytesToRead !== undefined ? Number(options.bytesToRead) : undefined
    if (bytesToRead !== undefined && bytesToRead <= 0) return Stream.empty
    // NodeFileSystem seeks only for a truthy offset, so 0 and NaN read from the start; any other
    // number that is not an integer goes to the engine, which answers BadArgument (FileSystem.Size
    // would throw a defect).
    const offset = !options?.offset
      ? 0
      : typeof options.offset === "number" && !Number.isSafeInteger(options.offset)
      ? options.offset
      : FileSystem.Size(options.offset)
    const chunkSize = Number(options?.chunkSize !== undefined ? FileSystem.Size(options.chunkSize) : DEFAULT_CHUNK)
    // Reads are several chunks long (fewer ops, fewer allocations); each is cut into chunkSize views,
    // so the chunks seen are exactly NodeFileSystem's.
    const perRead = Math.max(1, Math.floor(READ_SIZE / chunkSize))
    const chunks = engine.stream(fd, {
      chunkSize: chunkSize * perRead,
      offset,
      length: bytesToRead,
      readAhead: Math.max(1, options?.bufferSize ?? defaultReadAhead)
    })
    return Stream.mapError(perRead === 1 ? chunks : Stream.mapConcat(chunks, (read) => split(read, chunkSize)), relabel("readAlloc", fd))
  }))
