import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { AuraFileSystem } from "@auraio/platform-layer"
import * as Effect from "effect/Effect"

// An ordinary @effect/platform program: nothing in it knows about io_uring.
const program = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped()
  yield* fs.writeFileString(`${dir}/hello.txt`, "hello from io_uring\n")
  const text = yield* fs.readFileString(`${dir}/hello.txt`)
  yield* Effect.log(text.trim())
})

// Before: Effect.provide(NodeFileSystem.layer). After: one Layer swapped, nothing else changed.
program.pipe(Effect.scoped, Effect.provide(AuraFileSystem.layer), NodeRuntime.runMain)
