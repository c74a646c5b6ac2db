// docs/guide/batch-reads.md — runs as a test in packages/core/test/guide.test.ts
import { AuraEngine } from "@auraio/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"

// Thousands of positional reads as one Effect, results in request order.
export const readBlocks = (path: string, blocks: ReadonlyArray<number>) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine
    const file = yield* engine.open(path)
    const requests = blocks.map((block) => ({ fd: file.fd, offset: block * 4096, length: 4096 }))
    const pages = yield* engine.readMany(requests) // fail-fast: the first error cancels the rest
    return pages.map((page) => page[0]!)
  }).pipe(Effect.scoped)

// "collect" keeps going and reports each read's outcome.
export const readSome = (fds: ReadonlyArray<number>) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine
    const results = yield* engine.readMany(
      fds.map((fd) => ({ fd, offset: 0, length: 16 })),
      { mode: "collect" }
    )
    return results.map(Either.isRight)
  })

// The same reads as a Stream in completion order — process each page as soon as it lands.
export const checksum = (path: string, blocks: ReadonlyArray<number>) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine
    const file = yield* engine.open(path)
    return yield* engine.readManyStream(
      blocks.map((block) => ({ fd: file.fd, offset: block * 4096, length: 4096 })),
      { concurrency: 64 }
    ).pipe(
      Stream.runFold(0, (sum, { data }) => (sum + data.reduce((a, b) => a + b, 0)) >>> 0)
    )
  }).pipe(Effect.scoped)
