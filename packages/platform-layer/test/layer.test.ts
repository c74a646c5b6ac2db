// The layer itself: backend selection, the forced and automatic fallbacks, the one warning, and
// proof that the io_uring backend really runs its I/O on the engine.
import { AuraBufferPool, AuraEngine } from "@auraio/core"
import { AuraFileSystem } from "@auraio/platform-layer"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Stream from "effect/Stream"
import * as NFS from "node:fs"
import * as Path from "node:path"
import { randomBytes, tmpDir } from "./parity/fixtures.js"
import { kernelLacksIoUring, probeBackend } from "./support/backend.js"

const backend = await probeBackend

const withEnv = (entries: ReadonlyArray<readonly [string, string]>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(entries)))

const collectLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    lines.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

describe("AuraFileSystem layer", () => {
  it.scoped("forceFallback: true serves NodeFileSystem and says why", () =>
    Effect.gen(function*() {
      const ctx = yield* Layer.build(AuraFileSystem.layerWith({ forceFallback: true }))
      const b = Context.get(ctx, AuraFileSystem.Backend)
      assert.strictEqual(b._tag, "Fallback")
      assert.include(b._tag === "Fallback" ? b.reason : "", "forceFallback")
      assert.isTrue(Context.getOption(ctx, AuraEngine)._tag === "None")
    }))

  it.scoped("AURAIO_FORCE_FALLBACK=1 forces the fallback; other values do not", () =>
    Effect.gen(function*() {
      const forced = yield* Layer.build(Layer.provide(AuraFileSystem.layer, withEnv([["AURAIO_FORCE_FALLBACK", "1"]])))
      const b = Context.get(forced, AuraFileSystem.Backend)
      assert.strictEqual(b._tag, "Fallback")
      assert.include(b._tag === "Fallback" ? b.reason : "", "AURAIO_FORCE_FALLBACK")
      const notForced = yield* Layer.build(Layer.provide(AuraFileSystem.layer, withEnv([["AURAIO_FORCE_FALLBACK", "0"]])))
      assert.strictEqual(Context.get(notForced, AuraFileSystem.Backend)._tag, backend._tag)
    }))

  it.scoped("layerConfig reads AURAIO_FORCE_FALLBACK through Config", () =>
    Effect.gen(function*() {
      const ctx = yield* Layer.build(
        Layer.provide(AuraFileSystem.layerConfig(AuraFileSystem.config), withEnv([["AURAIO_FORCE_FALLBACK", "true"]]))
      )
      assert.strictEqual(Context.get(ctx, AuraFileSystem.Backend)._tag, "Fallback")
    }))

  it.effect("AuraFileSystem.config reads the layer's keys and the engine's", () =>
    Effect.gen(function*() {
      const read = yield* Effect.withConfigProvider(
        AuraFileSystem.config,
        ConfigProvider.fromMap(new Map([["AURAIO_READ_AHEAD", "8"], ["AURAIO_RINGS", "1"], ["AURAIO_AIMD", "false"]]))
      )
      assert.strictEqual(read.readAhead, 8)
      assert.strictEqual(read.engine?.rings, 1)
      assert.strictEqual(read.engine?.aimd, false)
      assert.strictEqual(read.forceFallback, undefined)
    }))

  it.scoped("an engine that cannot start: one warning naming the reason, then NodeFileSystem", () =>
    Effect.gen(function*() {
      const logs = collectLogs()
      // More submission entries than the kernel allows (IORING_MAX_ENTRIES is 32768).
      const ctx = yield* Layer.build(
        Layer.provide(AuraFileSystem.layerWith({ engine: { entries: 1 << 20, rings: 1 } }), logs.layer)
      )
      const b = Context.get(ctx, AuraFileSystem.Backend)
      assert.strictEqual(b._tag, "Fallback")
      const warnings = logs.lines.filter((l) => l.startsWith("WARN"))
      assert.strictEqual(warnings.length, 1, logs.lines.join("\n"))
      assert.include(warnings[0]!, b._tag === "Fallback" ? b.reason : "")
      const dir = yield* tmpDir
      const fs = Context.get(ctx, FileSystem.FileSystem)
      yield* fs.writeFileString(Path.join(dir, "f"), "still works")
      assert.strictEqual(yield* fs.readFileString(Path.join(dir, "f")), "still works")
    }))
})

describe("AuraFileSystem layer: each io_uring setup failure falls back with its reason", () => {
  // The native engine's test hook makes ring setup fail with the given errno.
  for (const code of ["ENOSYS", "EPERM", "ENOMEM"]) {
    it.scoped(`${code}: one warning naming it, FileSystem served by NodeFileSystem`, () =>
      Effect.gen(function*() {
        const saved = process.env["AURAIO_FORCE_SETUP_ERROR"]
        process.env["AURAIO_FORCE_SETUP_ERROR"] = code
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            if (saved === undefined) delete process.env["AURAIO_FORCE_SETUP_ERROR"]
            else process.env["AURAIO_FORCE_SETUP_ERROR"] = saved
          })
        )
        const logs = collectLogs()
        const ctx = yield* Layer.build(Layer.provide(AuraFileSystem.layer, logs.layer))
        const b = Context.get(ctx, AuraFileSystem.Backend)
        assert.strictEqual(b._tag, "Fallback")
        const reason = b._tag === "Fallback" ? b.reason : ""
        assert.include(reason, code)
        const warnings = logs.lines.filter((l) => l.startsWith("WARN"))
        assert.strictEqual(warnings.length, 1, logs.lines.join("\n"))
        assert.include(warnings[0]!, reason)
        const fs = Context.get(ctx, FileSystem.FileSystem)
        assert.isTrue((yield* fs.readFileString("/proc/self/status")).includes("Pid:"))
      }))
  }
})

// Skipped only where the kernel lacks io_uring (the reason is printed); any other fallback fails below.
const noIoUring = backend._tag !== "IoUring" && kernelLacksIoUring(backend.reason)
if (backend._tag !== "IoUring" && noIoUring) console.log(`skipping the io_uring layer tests: ${backend.reason}`)
describe.skipIf(noIoUring)("AuraFileSystem layer on io_uring", () => {
  it.scoped("provides FileSystem, Backend, AuraEngine and AuraBufferPool from one scoped layer", () =>
    Effect.gen(function*() {
      const ctx = yield* Layer.build(AuraFileSystem.layer)
      const b = Context.get(ctx, AuraFileSystem.Backend)
      assert.strictEqual(b._tag, "IoUring")
      assert.isTrue(Context.getOption(ctx, AuraEngine)._tag === "Some")
      assert.isTrue(Context.getOption(ctx, AuraBufferPool)._tag === "Some")
      const typed = yield* Layer.build(AuraFileSystem.layerWithEngine())
      assert.isTrue(Context.get(typed, AuraEngine).ringCount > 0)
    }))

  it.scoped("Layer.merge(NodeContext.layer, AuraFileSystem.layer): the io_uring FileSystem wins", () =>
    Effect.gen(function*() {
      const ctx = yield* Layer.build(Layer.merge(NodeContext.layer, AuraFileSystem.layer))
      const b = Context.get(ctx, AuraFileSystem.Backend)
      assert.strictEqual(b._tag, "IoUring")
      if (b._tag !== "IoUring") return
      const fs = Context.get(ctx, FileSystem.FileSystem)
      const dir = yield* tmpDir
      NFS.writeFileSync(Path.join(dir, "f"), randomBytes(100_000))
      const before = yield* b.engine.stats
      yield* fs.readFile(Path.join(dir, "f"))
      const after = yield* b.engine.stats
      assert.isAtLeast(after.bytesRead - before.bytesRead, 100_000)
    }))

  it.scoped("readFile, writeFile, File.read and stream run on the ring (engine counters move)", () =>
    Effect.gen(function*() {
      const ctx = yield* Layer.build(AuraFileSystem.layerWithEngine())
      const fs = Context.get(ctx, FileSystem.FileSystem)
      const engine = Context.get(ctx, AuraEngine)
      const dir = yield* tmpDir
      const p = Path.join(dir, "f")
      const data = randomBytes(1024 * 1024)
      const before = yield* engine.stats
      yield* fs.writeFile(p, data)
      const afterWrite = yield* engine.stats
      assert.isAtLeast(afterWrite.bytesWritten - before.bytesWritten, data.length)
      const read = yield* fs.readFile(p)
      assert.strictEqual(read.length, data.length)
      const afterRead = yield* engine.stats
      assert.isAtLeast(afterRead.bytesRead - afterWrite.bytesRead, data.length)
      yield* Effect.scoped(Effect.flatMap(fs.open(p), (file) => file.read(new Uint8Array(4096))))
      const afterFile = yield* engine.stats
      assert.isAtLeast(afterFile.bytesRead - afterRead.bytesRead, 4096)
      yield* Stream.runDrain(fs.stream(p))
      const afterStream = yield* engine.stats
      assert.isAtLeast(afterStream.bytesRead - afterFile.bytesRead, data.length)
    }))
})
