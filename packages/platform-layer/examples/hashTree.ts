/**
 * A small real program written only against `@effect/platform`'s FileSystem: it hashes every file
 * under a directory (SHA-256, streamed) and prints `sha256  relative/path` lines plus one digest of
 * the whole tree. Which FileSystem runs it is decided by one line, `FileSystemLive` below.
 *
 *   node_modules/.bin/tsx packages/platform-layer/examples/hashTree.ts <directory>
 *   AURAIO_FORCE_FALLBACK=1 node_modules/.bin/tsx packages/platform-layer/examples/hashTree.ts <directory>
 */
import { AuraFileSystem } from "@auraio/platform-layer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import * as Path from "node:path"

/** The one line an application changes: `NodeFileSystem.layer` → `AuraFileSystem.layer`. */
export const FileSystemLive = AuraFileSystem.layer

/** `sha256  path` for one file, hashed chunk by chunk as the stream delivers it. */
const hashFile = (fs: FileSystem.FileSystem, root: string, relative: string) =>
  Stream.runFold(
    fs.stream(Path.join(root, relative), { chunkSize: FileSystem.KiB(256) }),
    Crypto.createHash("sha256"),
    (hash, chunk) => hash.update(chunk)
  ).pipe(Effect.map((hash) => `${hash.digest("hex")}  ${relative}`))

/** Every regular file under `root`, hashed 8 at a time, in path order, then the tree's digest. */
export const hashTree = (root: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const entries = yield* fs.readDirectory(root, { recursive: true })
    const files = yield* Effect.filter(
      entries,
      (entry) => Effect.map(fs.stat(Path.join(root, entry)), (info) => info.type === "File"),
      { concurrency: 8 }
    )
    files.sort()
    const lines = yield* Effect.forEach(files, (file) => hashFile(fs, root, file), { concurrency: 8 })
    const tree = Crypto.createHash("sha256").update(lines.join("\n")).digest("hex")
    return { lines, tree }
  })

if (process.argv[1] !== undefined && import.meta.url.endsWith(Path.basename(process.argv[1]))) {
  const root = process.argv[2] ?? "."
  hashTree(root).pipe(
    Effect.flatMap(({ lines, tree }) => Console.log([...lines, `${tree}  (tree)`].join("\n"))),
    Effect.provide(FileSystemLive),
    NodeRuntime.runMain
  )
}
