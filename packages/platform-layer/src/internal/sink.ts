import { AuraEngine } from "@auraio/core"
import * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Sink from "effect/Sink"
import * as NFS from "node:fs"
import { badArgument, espipe, isUnseekable, relabel } from "./errors.js"
import { writeAllFrom } from "./writeFile.js"

/**
 * `FileSystem.sink` with write-behind: each chunk becomes a positional write at the next offset and
 * the producer continues while up to `writeBehind` writes are in flight (one, in order, in append
 * mode). The sink completes once every write has landed; a write error fails it at the next chunk or
 * at the end. If the sink is interrupted or its upstream fails, writes already started are awaited
 * before the fd closes, so what was handed to the sink is on file — as with NodeFileSystem, which
 * writes each chunk before pulling the next.
 * @internal
 */
export const makeSink = (engine: AuraEngine.Service, writeBehind: number) =>
(path: string, options?: FileSystem.SinkOptions): Sink.Sink<void, Uint8Array, never, PlatformError.PlatformError> =>
  Sink.unwrapScoped(Effect.gen(function*() {
    const flag = options?.flag ?? "w"
    const parsed = AuraEngine.parseOpenFlag(flag)
    if (parsed === undefined) return yield* Effect.fail(badArgument("open", `invalid flag: ${flag}`))
    const fd = yield* Effect.acquireRelease(
      Effect.mapError(engine.openFd(path, parsed, options?.mode), relabel("open", path)),
      (fd) => Effect.orDie(engine.close(fd))
    )
    const append = (parsed & NFS.constants.O_APPEND) !== 0
    const limit = append ? 1 : Math.max(1, writeBehind)
    const writeError = relabel("writeAll", fd)
    // NodeFileSystem's sink writes at a position unless appending: ESPIPE on a FIFO or socket.
    const unseekable = append ? false : isUnseekable((yield* Effect.mapError(engine.stat(fd), relabel("open", path))).type)
    const pending: Array<Fiber.RuntimeFiber<void, PlatformError.PlatformError>> = []
    let position = 0

    yield* Effect.addFinalizer(() => Effect.forEach(pending.splice(0), Fiber.await, { discard: true }))

    const write = (chunk: Uint8Array): Effect.Effect<void, PlatformError.PlatformError> =>
      Effect.suspend(() => {
        if (unseekable) return Effect.fail(espipe("writeAll", fd, "write"))
        // A plain-JS producer can emit anything; NodeFileSystem answers a non-buffer with BadArgument.
        if (!(chunk instanceof Uint8Array)) return Effect.fail(badArgument("writeAll", "chunk must be a Uint8Array"))
        if (chunk.length === 0) {
          // NodeFileSystem's writeAll treats a 0-byte write as WriteZero, even for an empty chunk.
          return Effect.fail(
            new PlatformError.SystemError({
              module: "FileSystem",
              method: "writeAll",
              reason: "WriteZero",
              pathOrDescriptor: fd,
              description: "write returned 0 bytes written"
            })
          )
        }
        const at = position
        position += chunk.length
        const start = Effect.map(
          Effect.forkDaemon(Effect.mapError(writeAllAt(engine, fd, chunk, append ? undefined : at), writeError)),
          (fiber) => {
            pending.push(fiber)
          }
        )
        return pending.length >= limit ? Effect.zipRight(Fiber.join(pending.shift()!), start) : start
      })

    const flush = Effect.suspend(() => Effect.forEach(pending.splice(0), Fiber.join, { discard: true }))
    return Sink.mapEffect(Sink.forEach(write), () => flush)
  }))

const writeAllAt = (engine: AuraEngine.Service, fd: number, chunk: Uint8Array, at: number | undefined) =>
  at === undefined ? writeAllFrom(engine, fd, chunk, true) : writeAllAtOffset(engine, fd, chunk, at)

const writeAllAtOffset = (
  engine: AuraEngine.Service,
  fd: number,
  chunk: Uint8Array,
  at: number
): Effect.Effect<void, PlatformError.PlatformError> =>
  Effect.flatMap(engine.write(fd, chunk, at), (n) =>
    n === 0
      ? Effect.fail(
        new PlatformError.SystemError({
          module: "FileSystem",
          method: "writeAll",
          reason: "WriteZero",
          pathOrDescriptor: fd,
          description: "write returned 0 bytes written"
        })
      )
      : n < chunk.length
      ? writeAllAtOffset(engine, fd, chunk.subarray(n), at + n)
      : Effect.void)
