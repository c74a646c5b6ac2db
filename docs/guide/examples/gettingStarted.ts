// docs/guide/getting-started.md — runs as a test in packages/core/test/guide.test.ts
import { AuraEngine } from "@auraio/core"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

// Write a file, read it back positionally, stat it, and stream it — all on io_uring.
export const roundTrip = (path: string) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine

    // `open` is scoped: the fd closes when the scope closes, after this handle's ops drain.
    const file = yield* engine.open(path, { flag: "w+" })
    yield* file.writeAll(new TextEncoder().encode("hello, io_uring"), 0)

    const head = new Uint8Array(5)
    yield* file.readExactly(head, 0) // loops over short reads; UnexpectedEof if the file is shorter
    const info = yield* file.stat // the same FileSystem.File.Info NodeFileSystem returns

    const chunks = yield* Stream.runCollect(file.stream({ chunkSize: 4, readAhead: 2 }))

    return {
      head: new TextDecoder().decode(head),
      size: info.size,
      chunks: chunks.length
    }
  }).pipe(Effect.scoped)

// Failures are PlatformErrors with the reasons NodeFileSystem uses.
export const missing = (path: string) =>
  Effect.gen(function*() {
    const engine = yield* AuraEngine
    return yield* engine.stat(path).pipe(
      Effect.map(() => "found"),
      Effect.catchTag("SystemError", (e) => Effect.succeed(e.reason)) // "NotFound"
    )
  })

// The whole program, with the zero-config layer (one ring per CPU, AIMD on).
export const main = (path: string) => roundTrip(path).pipe(Effect.provide(AuraEngine.layer))
