import type { AuraEngine } from "@auraio/core"
import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { espipe, isUnseekable, relabel } from "./errors.js"

const DEFAULT_CHUNK = 64 * 1024

interface InFlight {
  readonly fiber: Fiber.RuntimeFiber<number, PlatformError.PlatformError>
  readonly buffer: Uint8Array
}

const exact = (buffer: Uint8Array, n: number): Uint8Array => {
  if (n === buffer.length) return buffer
  // As NodeFileSystem's readAlloc: a short read is a right-sized copy.
  const out = Buffer.allocUnsafeSlow(n)
  out.set(buffer.subarray(0, n))
  return out
}

/**
 * `FileSystem.stream` with read-ahead: after one statx on the fd, the part of a regular file that
 * statx says exists is read with up to `readAhead` positional reads in flight, chunk by chunk in
 * order. Past that — a file that grew, one with no size (procfs, FIFOs), or after a short read (a file
 * that shrank) — it continues exactly like NodeFileSystem: one read of `chunkSize` at a time until a
 * read returns 0 or `bytesToRead` is reached. Chunks are fresh buffers the consumer owns.
 * @internal
 */
export const makeStream = (engine: AuraEngine.Service, defaultReadAhead: number) =>
(path: string, options?: FileSystem.StreamOptions): Stream.Stream<Uint8Array, PlatformError.PlatformError> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const fd = yield* Effect.acquireRelease(
      Effect.mapError(engine.openFd(path, "r"), relabel("open", path)),
      (fd) => Effect.orDie(engine.close(fd))
    )
    const scope = yield* Effect.scope
    const info = yield* Effect.mapError(engine.stat(fd), relabel("stat", fd))
    const readError = relabel("readAlloc", fd)
    if (isUnseekable(info.type)) return Stream.fail(espipe("readAlloc", fd, "read"))
    const chunkSize = Number(options?.chunkSize !== undefined ? FileSystem.Size(options.chunkSize) : DEFAULT_CHUNK)
    const readAhead = Math.max(1, options?.bufferSize ?? defaultReadAhead)
    const start = options?.offset !== undefined ? Number(options.offset) : 0
    const end = options?.bytesToRead !== undefined ? start + Number(options.bytesToRead) : Infinity

    let known = info.type === "File" ? Math.min(end, Number(info.size)) : start
    let next = start
    let emitted = start
    const queue: Array<InFlight> = []

    const fill: Effect.Effect<void> = Effect.suspend(() => {
      if (queue.length >= readAhead || next >= known) return Effect.void
      const length = Math.min(chunkSize, known - next)
      const buffer = Buffer.allocUnsafeSlow(length)
      const at = next
      next += length
      return Effect.flatMap(Effect.forkIn(engine.read(fd, buffer, at), scope), (fiber) => {
        queue.push({ fiber, buffer })
        return fill
      })
    })

    const sequential: Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<PlatformError.PlatformError>> = Effect
      .suspend(() => {
        if (emitted >= end) return Effect.fail(Option.none())
        const length = Math.min(chunkSize, end - emitted)
        const buffer = Buffer.allocUnsafeSlow(length)
        return Effect.matchEffect(engine.read(fd, buffer, emitted), {
          onFailure: (e) => Effect.fail(Option.some(readError(e))),
          onSuccess: (n) => {
            if (n === 0) return Effect.fail(Option.none())
            emitted += n
            return Effect.succeed(Chunk.of(exact(buffer, n)))
          }
        })
      })

    const pull = Effect.flatMap(fill, () => {
      const head = queue.shift()
      if (head === undefined) return sequential
      return Effect.matchEffect(Fiber.join(head.fiber), {
        onFailure: (e) => Effect.fail(Option.some(readError(e))),
        onSuccess: (n) => {
          emitted += n
          if (n < head.buffer.length) {
            // The file shrank under us: the reads ahead are not what Node would read next.
            known = emitted
            next = emitted
            const dropped = queue.splice(0).map((_) => _.fiber)
            const rest = Effect.zipRight(Fiber.interruptAll(dropped), n === 0 ? sequential : Effect.succeed(Chunk.of(exact(head.buffer, n))))
            return rest
          }
          return Effect.succeed(Chunk.of(head.buffer))
        }
      })
    })

    return Stream.repeatEffectChunkOption(pull)
  }))
