import type { Engine } from "@auraio/native"
import type { PlatformError } from "@effect/platform/Error"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Sink from "effect/Sink"
import * as Stream from "effect/Stream"
import type { AuraEngine } from "../AuraEngine.js"
import { badArgument, fromErrno } from "./errno.js"
import type { Tracker } from "./op.js"
import { checkBuffer, checkFd, normLength, normPosition, show } from "./validate.js"

type Raw = Engine["raw"]

interface Pending {
  readonly off: number
  readonly size: number
  readonly buf: Uint8Array
  id: number
  result: number | undefined
  /** Read-ahead past a short read: its data is discarded when it lands. */
  stale: boolean
}

const checkCount = (method: string, what: string, v: number) =>
  Number.isSafeInteger(v) && v >= 1 ? undefined : badArgument(method, `${what} must be a positive integer, got ${show(v)}`)

/**
 * A file as ordered chunks with `readAhead` positional reads in flight. A short read is treated as
 * "maybe end of file": its bytes are emitted, the reads already issued beyond it are discarded, and
 * reading resumes right after it — so a short read in the middle never leaves a hole.
 * @internal
 */
export const makeStream = (raw: Raw, tracker?: Tracker) =>
(fd: number, options?: AuraEngine.StreamOptions): Stream.Stream<Uint8Array, PlatformError> => {
  const bad = checkFd("stream", fd)
  if (bad !== undefined) return Stream.fail(bad)
  const chunkSize = options?.chunkSize ?? 64 * 1024
  const readAhead = options?.readAhead ?? 4
  const badN = checkCount("stream", "chunkSize", chunkSize) ?? checkCount("stream", "readAhead", readAhead)
  if (badN !== undefined) return Stream.fail(badN)
  const start = normPosition("stream", options?.offset ?? 0)
  if (typeof start !== "number") return Stream.fail(start)
  const length = options?.length === undefined ? Infinity : normLength("stream", "length", options.length)
  if (typeof length !== "number") return Stream.fail(length)
  const end = start + length

  return Stream.fromPull(Effect.suspend(() => {
    const queue: Array<Pending> = []
    let nextOff = start
    let eof = length === 0
    let inFlight = 0
    let failure: PlatformError | undefined
    let waiter: ((e: Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<PlatformError>>) => void) | undefined
    let onIdle: (() => void) | undefined
    let fault: unknown = undefined

    const submit = () => {
      while (!eof && failure === undefined && fault === undefined && queue.length < readAhead && nextOff < end) {
        const size = Math.min(chunkSize, end - nextOff)
        const entry: Pending = { off: nextOff, size, buf: Buffer.allocUnsafeSlow(size), id: -1, result: undefined, stale: false }
        try {
          entry.id = raw.read(fd, entry.buf, size, entry.off, (res) => {
            inFlight--
            if (tracker !== undefined) tracker.done(entry.id)
            entry.result = res
            if (inFlight === 0 && onIdle !== undefined) onIdle()
            if (!entry.stale && waiter !== undefined && queue[0] === entry) {
              const w = waiter
              waiter = undefined
              w(take())
            }
          })
        } catch (e) {
          // The engine refused (it is closing): stop reading; the next pull dies with the error.
          fault = e
          return
        }
        // Counted only once submitted: a refused submission must not leave a phantom in flight.
        nextOff += size
        queue.push(entry)
        inFlight++
        if (tracker !== undefined) {
          tracker.inFlight++
          tracker.add(entry.id)
        }
      }
    }

    // Hand out every completed chunk at the head, in order.
    const take = (): Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<PlatformError>> => {
      const out: Array<Uint8Array> = []
      while (queue.length > 0 && queue[0]!.result !== undefined) {
        const e = queue.shift()!
        const res = e.result!
        if (res < 0) {
          failure = fromErrno(res, "stream", "read", fd)
          break
        }
        if (res === 0) {
          eof = true
          break
        }
        out.push(res === e.size ? e.buf : e.buf.subarray(0, res))
        if (res < e.size) {
          for (const later of queue) {
            later.stale = true
            if (later.result === undefined) raw.cancel(later.id)
          }
          queue.length = 0
          nextOff = e.off + res
          break
        }
      }
      if (eof || failure !== undefined) {
        for (const later of queue) if (later.result === undefined) raw.cancel(later.id)
        queue.length = 0
      }
      submit()
      if (out.length > 0) return Effect.succeed(Chunk.unsafeFromArray(out))
      if (failure !== undefined) return Effect.fail(Option.some(failure))
      if (eof || (queue.length === 0 && nextOff >= end)) return Effect.fail(Option.none())
      if (fault !== undefined && queue.length === 0) return Effect.die(fault)
      return undefined as never
    }

    const pull = Effect.async<Chunk.Chunk<Uint8Array>, Option.Option<PlatformError>>((resume) => {
      submit()
      if (fault !== undefined && queue.length === 0) return resume(Effect.die(fault))
      const head = queue[0]
      if (head === undefined || head.result !== undefined) return resume(take())
      waiter = resume
      return Effect.sync(() => {
        waiter = undefined
      })
    })

    const finalize = Effect.async<void>((resume) => {
      eof = true
      if (inFlight === 0) return resume(Effect.void)
      onIdle = () => resume(Effect.void)
      for (const e of queue) if (e.result === undefined) raw.cancel(e.id)
    })
    return Effect.as(Effect.addFinalizer(() => finalize), pull)
  }))
}

/**
 * A sink that writes chunks back to back from `offset`, with up to `writeBehind` writes in flight;
 * short writes are continued from the completion callback. The first error fails the sink; closing
 * early cancels what is in flight and waits for the kernel to answer.
 * @internal
 */
export const makeSink = (raw: Raw, tracker?: Tracker) =>
(fd: number, options?: AuraEngine.SinkOptions): Sink.Sink<void, Uint8Array, never, PlatformError> => {
  const bad = checkFd("sink", fd)
  if (bad !== undefined) return Sink.fail(bad)
  const start = normPosition("sink", options?.offset)
  if (typeof start !== "number") return Sink.fail(start)
  // Cursor writes must be serial, or the kernel would interleave them.
  const behind = start < 0 ? 1 : options?.writeBehind ?? 4
  const badN = checkCount("sink", "writeBehind", behind)
  if (badN !== undefined) return Sink.fail(badN)

  return Sink.unwrapScoped(Effect.suspend(() => {
    let nextOff = start
    let inFlight = 0
    let failure: PlatformError | undefined
    const ids = new Set<number>()
    let waiters: Array<() => void> = []
    const notify = () => {
      const ws = waiters
      waiters = []
      for (const w of ws) w()
    }

    const writeChunk = (buf: Uint8Array, pos: number) => {
      // Count only once the submission is accepted: a throwing submit (engine closed) must not leave
      // a phantom in-flight write that the finalizer would wait for forever.
      const id: number = raw.write(fd, buf, buf.length, pos, (res) => {
        ids.delete(id)
        if (res < 0) {
          if (failure === undefined) failure = fromErrno(res, "sink", "write", fd)
        } else if (res === 0 && buf.length > 0) {
          if (failure === undefined) failure = fromErrno(-5, "sink", "write", fd)
        } else if (res < buf.length && failure === undefined) {
          // Continue before counting this one done, so in-flight never dips to 0 mid-chunk.
          writeChunk(buf.subarray(res), pos < 0 ? -1 : pos + res)
        }
        inFlight--
        if (tracker !== undefined) tracker.done(id)
        notify()
      })
      inFlight++
      if (tracker !== undefined) tracker.inFlight++
      ids.add(id)
      if (tracker !== undefined) tracker.add(id)
    }

    // Wait until `pred` holds; the wait itself is interruptible.
    const until = (pred: () => boolean): Effect.Effect<void, PlatformError> =>
      Effect.async<void, PlatformError>((resume) => {
        const check = () => {
          if (failure !== undefined) resume(Effect.fail(failure))
          else if (pred()) resume(Effect.void)
          else waiters.push(check)
        }
        check()
      })

    const offer = (chunk: Chunk.Chunk<Uint8Array>): Effect.Effect<void, PlatformError> =>
      Effect.suspend(() => {
        let eff: Effect.Effect<void, PlatformError> = Effect.void
        for (const buf of chunk) {
          // Chunks come from arbitrary streams: validate like every other write path.
          const badBuf = checkBuffer("sink", buf)
          if (badBuf !== undefined) return Effect.zipRight(eff, Effect.fail(badBuf))
          if (buf.length === 0) continue
          eff = Effect.zipRight(
            eff,
            Effect.zipRight(
              until(() => inFlight < behind),
              Effect.sync(() => {
                const pos = nextOff
                if (nextOff >= 0) nextOff += buf.length
                writeChunk(buf, pos)
              })
            )
          )
        }
        return eff
      })

    const drain = until(() => inFlight === 0)

    const cancelAll = Effect.async<void>((resume) => {
      const check = () => {
        if (inFlight === 0) resume(Effect.void)
        else waiters.push(check)
      }
      for (const id of ids) raw.cancel(id)
      check()
    })

    return Effect.as(
      Effect.addFinalizer(() => cancelAll),
      Sink.forEachChunk(offer).pipe(Sink.mapEffect(() => drain))
    )
  }))
}
