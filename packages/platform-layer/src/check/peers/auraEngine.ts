/**
 * The AuraIO Effect API peer: `AuraEngine` positional operations from many fibers — the per-op API an
 * application uses directly (Contract 2). Opens its descriptors through the engine too.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { constants } from "node:fs"
import { performance } from "node:perf_hooks"
import type { EngineLike } from "../aura.js"
import type { Meter } from "../meter.js"
import { rng } from "../meter.js"
import type { Scratch } from "../scratch.js"
import type { Workload } from "../workloads.js"
import type { AllocAligned } from "./aligned.js"

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

const loop = <E>(m: Meter, op: () => Effect.Effect<number, E>) =>
  Effect.whileLoop({
    while: () => !m.done(),
    body: () =>
      Effect.suspend(() => {
        const t0 = performance.now()
        return Effect.map(op(), (bytes) => m.record(t0, bytes))
      }),
    step: () => {}
  }).pipe(Effect.tapError(() => Effect.sync(() => (m.stopped = true))))

const openScoped = (engine: EngineLike, path: string, flags: number) =>
  Effect.acquireRelease(engine.openFd(path, flags, 0), (fd) => Effect.ignore(engine.close(fd)))

/** Why a workload cannot run through the engine, or undefined when it can. @internal */
export const unsupported = (engine: EngineLike, w: Workload): string | undefined =>
  w.id === "stream" && typeof engine.stream !== "function" ? "AuraEngine has no stream() yet" : undefined

/** @internal */
export const run = (
  engine: EngineLike,
  w: Workload,
  s: Scratch,
  m: Meter,
  alloc: AllocAligned
): Effect.Effect<void, unknown, Scope.Scope> => {
  switch (w.id) {
    case "randread-cached":
    case "randread-direct":
      return Effect.gen(function*() {
        const fd = yield* openScoped(engine, s.file, constants.O_RDONLY | (w.direct ? constants.O_DIRECT : 0))
        const bufs = yield* Effect.promise(() => alloc(w.concurrency, w.blockSize, fd))
        const blocks = Math.floor(s.size / w.blockSize)
        yield* Effect.forEach(range(w.concurrency), (i) => {
          const buf = bufs[i]!
          const next = rng(i + 1)
          return loop(m, () => engine.read(fd, buf, next(blocks) * w.blockSize))
        }, { concurrency: "unbounded", discard: true })
      })
    case "seqread":
      return Effect.gen(function*() {
        const fd = yield* openScoped(engine, s.file, constants.O_RDONLY)
        const region = Math.floor(s.size / w.concurrency / w.blockSize) * w.blockSize
        yield* Effect.forEach(range(w.concurrency), (i) => {
          const buf = new Uint8Array(w.blockSize)
          const start = i * region
          let off = 0
          return loop(m, () => {
            const pos = start + off
            off = off + w.blockSize >= region ? 0 : off + w.blockSize
            return engine.read(fd, buf, pos)
          })
        }, { concurrency: "unbounded", discard: true })
      })
    case "randwrite-sync":
      return Effect.gen(function*() {
        const fd = yield* openScoped(engine, s.file, constants.O_RDWR)
        const blocks = Math.floor(s.size / w.blockSize)
        yield* Effect.forEach(range(w.concurrency), (i) => {
          const buf = new Uint8Array(w.blockSize).fill(i)
          const next = rng(i + 101)
          return loop(m, () =>
            Effect.as(engine.writeAndSync(fd, buf, next(blocks) * w.blockSize, { datasync: true }), w.blockSize))
        }, { concurrency: "unbounded", discard: true })
      })
    case "readfile":
      // open → read the whole file into a fresh buffer → close: what readFile does, minus the stat
      // (the size is known here), through the engine's own operations.
      return loop(m, () =>
        Effect.scoped(
          Effect.flatMap(openScoped(engine, s.smallFile, constants.O_RDONLY), (fd) =>
            Effect.as(engine.readExactly(fd, new Uint8Array(s.smallSize), 0), s.smallSize))
        ))
    case "stream":
      return Effect.gen(function*() {
        const fd = yield* openScoped(engine, s.file, constants.O_RDONLY)
        yield* Effect.whileLoop({
          while: () => !m.done(),
          body: () =>
            Effect.suspend(() => {
              let t0 = performance.now()
              return Stream.runForEachWhile(engine.stream!(fd, { chunkSize: w.blockSize, offset: 0 }), (chunk) =>
                Effect.sync(() => {
                  m.record(t0, chunk.length)
                  t0 = performance.now()
                  return !m.done()
                }))
            }),
          step: () => {}
        })
      })
  }
}
