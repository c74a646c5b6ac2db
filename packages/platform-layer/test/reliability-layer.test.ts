// Reliability of AuraFileSystem: random FileSystem programs against NodeFileSystem as the oracle,
// integrity through writeFile/sink/File.write → readFile/stream/File.read, bad input to every method,
// ENOSPC, and a process whose memlock limit is too low for io_uring.
import { AuraFileSystem } from "@auraio/platform-layer"
import { assert, describe, it, layer } from "@effect/vitest"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"
import { fdLeaks, fdSnapshot, report } from "../../native/test/stress/support/accounting.js"
import { runTs } from "../../native/test/stress/support/child.js"
import { firstMismatch, pattern, randomExtents, rng, sha256 } from "../../native/test/stress/support/pattern.js"
import { mountTinyTmpfs } from "../../native/test/stress/support/tmpfs.js"
import { comparable, program, runProgram, showProgram, snapshotTree } from "./stress/support/fsProgram.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auraio-rel-layer-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const auraLayer = AuraFileSystem.layerWith({ engine: { rings: 2, aimd: false } })
const nodeFs = Effect.provide(FileSystem.FileSystem, NodeFileSystem.layer)

let programs = 0
let operations = 0
let skippedTrees = 0

layer(auraLayer, { excludeTestServices: true, timeout: Duration.seconds(30) })("AuraFileSystem reliability", (it) => {
  it.effect("runs on io_uring here (otherwise the differential tests compare NodeFileSystem with itself)", () =>
    Effect.gen(function* () {
      const b = yield* AuraFileSystem.Backend
      if (b._tag !== "IoUring") console.log(`note: AuraFileSystem fell back (${b.reason}); the oracle tests still run`)
      assert.isTrue(b._tag === "IoUring" || b._tag === "Fallback")
    })
  )

  it.effect.prop(
    "random FileSystem programs: same results and same final tree as NodeFileSystem",
    [program(20)],
    ([ops]) =>
      Effect.gen(function* () {
        const aura = yield* FileSystem.FileSystem
        const node = yield* nodeFs
        const a = fs.mkdtempSync(path.join(dir, "aura-"))
        const n = fs.mkdtempSync(path.join(dir, "node-"))
        const got = yield* runProgram(aura, a, ops)
        const want = yield* runProgram(node, n, ops)
        programs++
        operations += ops.length
        const context = `program:\n${showProgram(ops)}`
        // Known, kept divergence: libuv's copyfile unlinks the destination when the copy fails after
        // opening it — so copyFile(<a directory>, <an existing file>) deletes that file under Node.
        // AuraFileSystem fails the same way but leaves the existing file alone. Such programs are
        // compared up to and including that copyFile; their trees are not compared.
        const cut = want.findIndex((w, i) => ops[i]!.op === "copyFile" && w.endsWith("fail SystemError:BadResource"))
        const upTo = cut < 0 ? want.length : cut + 1
        assert.deepStrictEqual(comparable(ops, got).slice(0, upTo), comparable(ops, want).slice(0, upTo), `${context}\nAuraFileSystem:\n${got.join("\n")}\nNodeFileSystem:\n${want.join("\n")}`)
        if (cut >= 0) skippedTrees++
        else assert.deepStrictEqual(snapshotTree(a), snapshotTree(n), context)
        fs.rmSync(a, { recursive: true, force: true })
        fs.rmSync(n, { recursive: true, force: true })
      }),
    { timeout: 300_000, fastCheck: { numRuns: Number(process.env["AURAIO_PROP_RUNS"] ?? 150) } }
  )

  it.effect("differential totals", () =>
    Effect.sync(() => {
      report("oracle.layer", { programs, operations, mismatches: 0, truncatedAtCopyfileUnlink: skippedTrees })
      assert.isAbove(programs, 0)
    })
  )

  it.effect("integrity: writeFile / sink / File.write → readFile / stream / File.read, checksums equal", () =>
    Effect.gen(function* () {
      const afs = yield* FileSystem.FileSystem
      const seed = 0xfeed
      const r = rng(seed)
      const size = 4 << 20
      const whole = pattern(size, 0, seed)
      const want = sha256(whole)
      const files = { writeFile: path.join(dir, "wf.bin"), sink: path.join(dir, "sink.bin"), file: path.join(dir, "file.bin") }
      yield* afs.writeFile(files.writeFile, whole)
      const chunks: Array<Uint8Array> = []
      for (let at = 0; at < size; ) {
        const n = Math.min(size - at, r.int(1, 200_000))
        chunks.push(whole.subarray(at, at + n))
        at += n
      }
      yield* Stream.run(Stream.fromIterable(chunks), afs.sink(files.sink))
      // File.write at random positions (seek + write), out of order.
      yield* Effect.scoped(
        Effect.gen(function* () {
          const f = yield* afs.open(files.file, { flag: "w+" })
          for (const { offset, length } of randomExtents(size, 1, 300_000, r)) {
            yield* f.seek(offset, "start")
            yield* f.writeAll(whole.subarray(offset, offset + length))
          }
        })
      )
      for (const p of Object.values(files)) {
        assert.strictEqual(sha256(fs.readFileSync(p)), want, `${p} (node:fs)`)
        assert.strictEqual(sha256(yield* afs.readFile(p)), want, `${p} readFile`)
        const streamed = yield* Stream.runCollect(afs.stream(p, { chunkSize: 65536 }))
        assert.strictEqual(sha256(...streamed), want, `${p} stream`)
        const back = yield* Effect.scoped(
          Effect.gen(function* () {
            const f = yield* afs.open(p)
            const out = new Uint8Array(size)
            for (const { offset, length } of randomExtents(size, 1, 250_000, r)) {
              yield* f.seek(offset, "start")
              const view = out.subarray(offset, offset + length)
              let got = 0
              while (got < length) got += Number(yield* f.read(view.subarray(got)))
            }
            return out
          })
        )
        assert.strictEqual(firstMismatch(back, 0, seed), -1, `${p} File.read`)
      }
      report("integrity.layer", { bytes: size * 3, writePaths: "writeFile,sink,File.writeAll", readPaths: "readFile,stream,File.read", lost: 0 })
    })
  )

  it.effect("bad input to every FileSystem and File method: typed errors, never a defect or a hang", () =>
    Effect.gen(function* () {
      const afs = yield* FileSystem.FileSystem
      const node = yield* nodeFs
      const file = path.join(dir, "bad.bin")
      fs.writeFileSync(file, pattern(8192, 0, 3))
      const ab = new ArrayBuffer(16)
      const detached = new Uint8Array(ab)
      structuredClone(ab, { transfer: [ab] })
      const shared = new Uint8Array(new SharedArrayBuffer(16))
      const u = <A>(x: unknown) => x as A
      const noProto: unknown = Object.create(null)
      const badPaths: Array<unknown> = ["a\u0000b", "/tmp/" + "x/".repeat(3000), path.join(dir, "n".repeat(300)), 42, null, undefined, {}, 3n, noProto]
      const badSizes: Array<unknown> = [-1, Number.NaN, 1.5, Number.POSITIVE_INFINITY, -1n, 2n ** 70n, "1", noProto]
      const badData: Array<unknown> = ["str", 42, null, {}, [1, 2], detached, noProto]

      type Case = readonly [string, (fs: FileSystem.FileSystem) => Effect.Effect<unknown, unknown>]
      const cases: Array<Case> = []
      const label = (v: unknown) => {
        try {
          return typeof v === "bigint" ? `${v}n` : String(v).slice(0, 24)
        } catch {
          return "[no prototype]"
        }
      }
      for (const p of badPaths) {
        const s = u<string>(p)
        const l = label(p)
        cases.push(
          [`access ${l}`, (f) => f.access(s)],
          [`copy from ${l}`, (f) => f.copy(s, path.join(dir, "cp"))],
          [`copyFile from ${l}`, (f) => f.copyFile(s, path.join(dir, "cpf"))],
          [`copyFile to ${l}`, (f) => f.copyFile(file, s)],
          [`chmod ${l}`, (f) => f.chmod(s, 0o644)],
          [`chown ${l}`, (f) => f.chown(s, 0, 0)],
          [`exists ${l}`, (f) => f.exists(s)],
          [`link from ${l}`, (f) => f.link(s, path.join(dir, "lnk"))],
          [`makeDirectory ${l}`, (f) => f.makeDirectory(s)],
          // Some of these fall back to the system temp dir and succeed: remove what they made.
          [`makeTempDirectory dir=${l}`, (f) => Effect.tap(f.makeTempDirectory({ directory: s }), (made) => Effect.sync(() => fs.rmSync(made, { recursive: true, force: true })))],
          [`open ${l}`, (f) => Effect.scoped(f.open(s))],
          [`readDirectory ${l}`, (f) => f.readDirectory(s)],
          [`readFile ${l}`, (f) => f.readFile(s)],
          [`readFileString ${l}`, (f) => f.readFileString(s)],
          [`readLink ${l}`, (f) => f.readLink(s)],
          [`realPath ${l}`, (f) => f.realPath(s)],
          [`remove ${l}`, (f) => f.remove(s)],
          [`rename from ${l}`, (f) => f.rename(s, path.join(dir, "rn"))],
          [`rename to ${l}`, (f) => f.rename(path.join(dir, "missing"), s)],
          [`sink ${l}`, (f) => Stream.run(Stream.make(new Uint8Array(4)), f.sink(s))],
          [`stat ${l}`, (f) => f.stat(s)],
          [`stream ${l}`, (f) => Stream.runDrain(f.stream(s))],
          [`symlink to ${l}`, (f) => f.symlink("t", s)],
          [`truncate ${l}`, (f) => f.truncate(s, 0)],
          [`utimes ${l}`, (f) => f.utimes(s, 0, 0)],
          [`writeFile ${l}`, (f) => f.writeFile(s, new Uint8Array(4))],
          [`writeFileString ${l}`, (f) => f.writeFileString(s, "x")]
        )
      }
      for (const n of badSizes) {
        const l = label(n)
        const x = u<number>(n)
        cases.push(
          [`truncate length=${l}`, (f) => f.truncate(file, x)],
          [`stream chunkSize=${l}`, (f) => Stream.runDrain(f.stream(file, { chunkSize: u(n) }))],
          [`stream offset=${l}`, (f) => Stream.runDrain(f.stream(file, { offset: u(n) }))],
          [`stream bytesToRead=${l}`, (f) => Stream.runDrain(f.stream(file, { bytesToRead: u(n) }))],
          [`chmod mode=${l}`, (f) => f.chmod(file, x)],
          [`makeDirectory mode=${l}`, (f) => f.makeDirectory(path.join(dir, `md-${cases.length}`), { mode: x })],
          [`utimes atime=${l}`, (f) => f.utimes(file, x, 0)],
          [`File.readAlloc ${l}`, (f) => Effect.scoped(Effect.flatMap(f.open(file), (h) => h.readAlloc(u(n))))],
          [`File.truncate ${l}`, (f) => Effect.scoped(Effect.flatMap(f.open(file, { flag: "r+" }), (h) => h.truncate(u(n))))],
          [`File.seek ${l} then read`, (f) => Effect.scoped(Effect.flatMap(f.open(file), (h) => Effect.zipRight(h.seek(u(n), "start"), h.read(new Uint8Array(8)))))]
        )
      }
      for (const d of badData) {
        const l = label(d)
        const x = u<Uint8Array>(d)
        cases.push(
          [`writeFile data=${l}`, (f) => f.writeFile(path.join(dir, "wd"), x)],
          [`sink chunk=${l}`, (f) => Stream.run(Stream.make(x), f.sink(path.join(dir, "sd")))],
          [`File.write ${l}`, (f) => Effect.scoped(Effect.flatMap(f.open(path.join(dir, "fw"), { flag: "w" }), (h) => h.write(x)))],
          [`File.writeAll ${l}`, (f) => Effect.scoped(Effect.flatMap(f.open(path.join(dir, "fw"), { flag: "w" }), (h) => h.writeAll(x)))],
          [`File.read ${l}`, (f) => Effect.scoped(Effect.flatMap(f.open(file), (h) => h.read(x)))]
        )
      }
      cases.push(
        ["open flag=bogus", (f) => Effect.scoped(f.open(file, { flag: u("bogus") }))],
        ["open mode=-1", (f) => Effect.scoped(f.open(path.join(dir, "om"), { flag: "w", mode: -1 }))],
        ["File.read SharedArrayBuffer", (f) => Effect.scoped(Effect.flatMap(f.open(file), (h) => h.read(shared)))],
        ["File.write SharedArrayBuffer", (f) => Effect.scoped(Effect.flatMap(f.open(path.join(dir, "sab"), { flag: "w" }), (h) => h.write(shared)))],
        ["writeFile SharedArrayBuffer", (f) => f.writeFile(path.join(dir, "sab2"), shared)],
        ["File.read detached", (f) => Effect.scoped(Effect.flatMap(f.open(file), (h) => h.read(detached)))],
        ["seek on a closed scope's file", (f) => Effect.flatMap(Effect.scoped(f.open(file)), (h) => h.read(new Uint8Array(4)))]
      )

      const outcome = (e: Effect.Effect<unknown, unknown>) =>
        Effect.map(Effect.exit(Effect.timeout(e, Duration.seconds(15))), (exit) => {
          if (Exit.isSuccess(exit)) return "ok"
          const f = Cause.failureOption(exit.cause)
          if (Option.isSome(f)) {
            const x = f.value as { _tag?: string; message?: string }
            if (x._tag === "TimeoutException") return "HANG"
            return `fail ${x._tag}`
          }
          return `defect ${Cause.pretty(exit.cause).split("\n")[0]!.slice(0, 120)}`
        })
      // NodeFileSystem.realPath hands a non-string path to node:fs.realpath, whose callback then builds a
      // SystemError that @effect/platform's schema rejects: an uncaught exception in the process (not a
      // failure of the Effect), which would fail the whole test run. The oracle is not asked those.
      const nodeThrowsUncaught = new Set(badPaths.filter((p) => typeof p !== "string").map((p) => `realPath ${label(p)}`))
      const rows = yield* Effect.forEach(cases, ([name, mk]) =>
        Effect.zipWith(
          outcome(Effect.suspend(() => mk(afs))),
          nodeThrowsUncaught.has(name) ? Effect.succeed("uncaught exception (not run)") : outcome(Effect.suspend(() => mk(node))),
          (a, n) => ({ name, aura: a, node: n })
        )
      )
      const hangs = rows.filter((r) => r.aura === "HANG")
      assert.deepStrictEqual(hangs, [], "AuraFileSystem never hangs on bad input")
      // A defect AuraFileSystem shares with NodeFileSystem comes from @effect/platform's own helpers
      // (Size() of NaN, SystemError's schema on a non-string path) before either backend runs: parity,
      // reported below. A defect of AuraFileSystem's own is a failure.
      const ownDefects = rows.filter((r) => r.aura.startsWith("defect") && r.aura !== r.node)
      assert.deepStrictEqual(ownDefects, [], "AuraFileSystem adds no defect of its own")
      const sharedDefects = rows.filter((r) => r.aura.startsWith("defect") && r.aura === r.node)
      // Where NodeFileSystem gives a typed failure, so does AuraFileSystem. The tag may differ for inputs
      // Node reinterprets (a number "path" is an fd to node:fs: EBADF there, BadArgument here).
      const diverging = rows.filter((r) => r.node.startsWith("fail ") && !r.aura.startsWith("fail "))
      assert.deepStrictEqual(diverging, [], "a typed failure wherever NodeFileSystem has one")
      const otherTag = rows.filter((r) => r.node.startsWith("fail ") && r.aura !== r.node).length
      const nodeDefects = rows.filter((r) => r.node.startsWith("defect")).map((r) => r.name)
      report("badinput.layer", {
        tried: rows.length,
        auraTyped: rows.filter((r) => r.aura.startsWith("fail ")).length,
        auraOk: rows.filter((r) => r.aura === "ok").length,
        auraOwnDefects: 0,
        typedWithAnotherTagThanNode: otherTag,
        defectsSharedWithNodeFileSystem: sharedDefects.length,
        hangs: 0,
        nodeFileSystemDefects: nodeDefects.length
      })
      if (nodeDefects.length > 0) console.log(`NodeFileSystem itself dies (defect) on: ${nodeDefects.join("; ")}`)
    }),
    120_000
  )

  it.effect("ENOSPC on a 2 MiB tmpfs through writeFile and sink: same reason as NodeFileSystem, earlier data intact", () =>
    Effect.gen(function* () {
      const tiny = mountTinyTmpfs(2 * 1024 * 1024)
      if (tiny._tag === "Unavailable") {
        console.log(`skip ENOSPC: ${tiny.reason}`)
        return
      }
      yield* Effect.addFinalizer(() => Effect.sync(tiny.unmount))
      const afs = yield* FileSystem.FileSystem
      const node = yield* nodeFs
      const keep = pattern(700 * 1024, 0, 41)
      yield* afs.writeFile(path.join(tiny.dir, "keep.bin"), keep)
      const reasonOf = (e: Effect.Effect<unknown, unknown>) =>
        Effect.map(Effect.exit(e), (x) => {
          if (Exit.isSuccess(x)) return "ok"
          const f = Cause.failureOption(x.cause)
          return Option.isSome(f) ? `${(f.value as { _tag: string })._tag}:${(f.value as { reason?: string }).reason}` : "defect"
        })
      const big = pattern(4 << 20, 0, 42)
      const viaWriteFile = yield* reasonOf(afs.writeFile(path.join(tiny.dir, "big1.bin"), big))
      yield* afs.remove(path.join(tiny.dir, "big1.bin"), { force: true })
      const viaSink = yield* reasonOf(Stream.run(Stream.fromIterable([big.subarray(0, 1 << 20), big.subarray(1 << 20)]), afs.sink(path.join(tiny.dir, "big2.bin"))))
      yield* afs.remove(path.join(tiny.dir, "big2.bin"), { force: true })
      const viaNode = yield* reasonOf(node.writeFile(path.join(tiny.dir, "big3.bin"), big))
      assert.notStrictEqual(viaNode, "ok")
      assert.strictEqual(viaWriteFile, viaNode)
      assert.strictEqual(viaSink, viaNode)
      assert.strictEqual(sha256(yield* afs.readFile(path.join(tiny.dir, "keep.bin"))), sha256(keep))
      report("fault.enospc.layer", { writeFile: viaWriteFile, sink: viaSink, nodeFileSystem: viaNode, earlierDataIntact: true })
    }).pipe(Effect.scoped)
  )
})

describe("io_uring unavailable in a real process", () => {
  it.live("memlock too low (prlimit, CAP_IPC_LOCK dropped): the layer logs the reason once and serves every method", () =>
    Effect.gen(function* () {
      const has = (cmd: string) => {
        try {
          execFileSync(cmd, ["--version"], { stdio: "ignore" })
          return true
        } catch {
          return false
        }
      }
      if (!has("prlimit")) {
        console.log("skip: prlimit(1) is not installed")
        return
      }
      const dropCap = process.getuid?.() === 0 && has("setpriv") ? ["setpriv", "--bounding-set", "-ipc_lock", "--inh-caps", "-ipc_lock"] : []
      const child = path.join(dir, "memlock-layer.mts")
      const src = path.resolve(__dirname, "../src/index.ts")
      const work = fs.mkdtempSync(path.join(dir, "memlock-"))
      fs.writeFileSync(
        child,
        `import { AuraFileSystem } from ${JSON.stringify(src)}
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
const program = Effect.gen(function* () {
  const b = yield* AuraFileSystem.Backend
  const fs = yield* FileSystem.FileSystem
  yield* fs.writeFileString(${JSON.stringify(path.join(work, "a.txt"))}, "hello")
  const back = yield* fs.readFileString(${JSON.stringify(path.join(work, "a.txt"))})
  console.log(JSON.stringify({ backend: b._tag, reason: b._tag === "Fallback" ? b.reason : undefined, back }))
})
Effect.runPromise(program.pipe(Effect.provide(AuraFileSystem.layer))).then(() => process.exit(0))
`
      )
      // Resolve @effect/* from the package, as its own tests do.
      fs.symlinkSync(path.resolve(__dirname, "../node_modules"), path.join(dir, "node_modules"))
      const r = yield* Effect.promise(() => runTs(child, [], { prefix: [...dropCap, "prlimit", "--memlock=0:0"], timeoutMs: 60_000 }))
      assert.strictEqual(r.signal, null, r.stderr)
      assert.strictEqual(r.status, 0, r.stderr)
      const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { backend: string; reason?: string; back: string }
      assert.strictEqual(out.back, "hello")
      const warnings = (r.stdout + r.stderr).split("\n").filter((l) => /level=WARN/.test(l))
      if (dropCap.length > 0) {
        assert.strictEqual(out.backend, "Fallback")
        assert.match(out.reason ?? "", /memlock|MEMLOCK/, out.reason)
        assert.strictEqual(warnings.length, 1, r.stdout + r.stderr)
        assert.match(warnings[0]!, /memlock/i)
      }
      report("fault.memlock.layer", { backend: out.backend, warnings: warnings.length, reason: JSON.stringify(out.reason ?? "") })
    }),
    90_000
  )
})

it.live("no descriptor of ours survives the layer's scope", () =>
  Effect.gen(function* () {
    const before = fdSnapshot()
    const p = path.join(dir, "scoped.bin")
    yield* Effect.scoped(
      Effect.gen(function* () {
        const ctx = yield* Layer.build(auraLayer)
        const afs = Context.get(ctx, FileSystem.FileSystem)
        yield* afs.writeFile(p, pattern(1 << 20, 0, 1))
        yield* Effect.forEach(Array.from({ length: 64 }), () => afs.readFile(p), { concurrency: 16, discard: true })
        yield* Stream.runDrain(afs.stream(p))
        yield* Effect.scoped(afs.open(p))
      })
    )
    for (let i = 0; i < 50 && fdLeaks(before).length > 0; i++) yield* Effect.sleep(Duration.millis(2))
    assert.deepStrictEqual(fdLeaks(before), [])
  })
)
