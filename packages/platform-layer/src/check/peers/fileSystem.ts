/**
 * The `@effect/platform` `FileSystem` peer. The same code runs against `NodeFileSystem.layer` and
 * `AuraFileSystem.layer`: that is the Layer swap an application makes, so the difference between the
 * two rows is exactly what swapping the Layer buys. `FileSystem` has no positional I/O, so each worker
 * owns a `File` and seeks (as the brief's NodeFileSystem figures were measured: one File per fiber).
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { performance } from "node:perf_hooks"
import type { Meter } from "../meter.js"
import { rng } from "../meter.js"
import type { Scratch } from "../scratch.js"
import type { Workload } from "../workloads.js"

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

/** Runs `op` in a loop on each of `n` workers until the meter says stop; `op` yields bytes moved. */
const workers = <E, R>(m: Meter, n: number, setup: (w: number) => Effect.Effect<() => Effect.Effect<number, E>, E, R>) =>
  Effect.forEach(
    range(n),
    (w) =>
      Effect.flatMap(setup(w), (op) =>
        Effect.whileLoop({
          while: () => !m.done(),
          body: () =>
            Effect.suspend(() => {
              const t0 = performance.now()
              return Effect.map(op(), (bytes) => m.record(t0, bytes))
            }),
          step: () => {}
        })
      ).pipe(Effect.tapError(() => Effect.sync(() => (m.stopped = true)))),
    { concurrency: "unbounded", discard: true }
  )

/** Why a workload cannot run through `FileSystem`, or undefined when it can. @internal */
export const unsupported = (w: Workload): string | undefined =>
  w.direct ? "FileSystem.open takes string flags only: no O_DIRECT" : undefined

/** @internal */
export const run = (
  fs: FileSystem.FileSystem,
  w: Workload,
  s: Scratch,
  m: Meter
): Effect.Effect<void, unknown, Scope.Scope> => {
  switch (w.id) {
    case "randread-cached":
    case "randread-direct": {
      const blocks = Math.floor(s.size / w.blockSize)
      return workers(m, w.concurrency, (i) =>
        Effect.map(fs.open(s.file, { flag: "r" }), (file) => {
          const buf = new Uint8Array(w.blockSize)
          const next = rng(i + 1)
          return () =>
            Effect.zipRight(
              file.seek(FileSystem.Size(next(blocks) * w.blockSize), "start"),
              Effect.map(file.read(buf), Number)
            )
        }))
    }
    case "seqread": {
      const region = Math.floor(s.size / w.concurrency / w.blockSize) * w.blockSize
      return workers(m, w.concurrency, (i) =>
        Effect.gen(function*() {
          const file = yield* fs.open(s.file, { flag: "r" })
          const buf = new Uint8Array(w.blockSize)
          const start = FileSystem.Size(i * region)
          yield* file.seek(start, "start")
          let off = 0
          return () => {
            const read = Effect.map(file.read(buf), Number)
            off += w.blockSize
            if (off < region) return read
            off = 0
            return Effect.zipLeft(read, file.seek(start, "start"))
          }
        }))
    }
    case "randwrite-sync": {
      const blocks = Math.floor(s.size / w.blockSize)
      return workers(m, w.concurrency, (i) =>
        Effect.map(fs.open(s.file, { flag: "r+" }), (file) => {
          const buf = new Uint8Array(w.blockSize).fill(i)
          const next = rng(i + 101)
          return () =>
            file.seek(FileSystem.Size(next(blocks) * w.blockSize), "start").pipe(
              Effect.zipRight(file.write(buf)),
              Effect.zipLeft(file.sync),
              Effect.map(Number)
            )
        }))
    }
    case "readfile":
      return workers(m, 1, () => Effect.succeed(() => Effect.map(fs.readFile(s.smallFile), (d) => d.length)))
    case "stream":
      return Effect.whileLoop({
        while: () => !m.done(),
        body: () =>
          Effect.suspend(() => {
            let t0 = performance.now()
            return Stream.runForEachWhile(fs.stream(s.file, { chunkSize: FileSystem.Size(w.blockSize) }), (chunk) =>
              Effect.sync(() => {
                m.record(t0, chunk.length)
                t0 = performance.now()
                return !m.done()
              }))
          }),
        step: () => {}
      })
  }
}
