// pnpm stress: the differential property test at volume — random FileSystem programs against
// NodeFileSystem (the oracle) and AuraFileSystem on io_uring, same per-op results and final tree.
import { AuraFileSystem } from "@auraio/platform-layer"
import { assert, layer } from "@effect/vitest"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"
import { report } from "../../../native/test/stress/support/accounting.js"
import { comparable, program, runProgram, showProgram, snapshotTree } from "./support/fsProgram.js"

const RUNS = Number(process.env["AURAIO_PROP_RUNS"] ?? 3000)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auraio-stress-oracle-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
let programs = 0
let operations = 0
let skippedTrees = 0

layer(AuraFileSystem.layerWith({ engine: { rings: 2 } }), { excludeTestServices: true, timeout: Duration.seconds(60) })("oracle at volume", (it) => {
  it.effect.prop(
    `${RUNS} random programs of up to 40 ops`,
    [program(40)],
    ([ops]) =>
      Effect.gen(function* () {
        const aura = yield* FileSystem.FileSystem
        const node = yield* Effect.provide(FileSystem.FileSystem, NodeFileSystem.layer)
        const a = fs.mkdtempSync(path.join(dir, "a-"))
        const n = fs.mkdtempSync(path.join(dir, "n-"))
        const got = yield* runProgram(aura, a, ops)
        const want = yield* runProgram(node, n, ops)
        programs++
        operations += ops.length
        // See reliability-layer.test.ts: libuv's copyfile unlinks the destination on failure, so such
        // programs are compared up to that copyFile, and their trees are not compared.
        const cut = want.findIndex((w, i) => ops[i]!.op === "copyFile" && w.endsWith("fail SystemError:BadResource"))
        const upTo = cut < 0 ? want.length : cut + 1
        assert.deepStrictEqual(comparable(ops, got).slice(0, upTo), comparable(ops, want).slice(0, upTo), `program:\n${showProgram(ops)}\nAuraFileSystem:\n${got.join("\n")}\nNodeFileSystem:\n${want.join("\n")}`)
        if (cut >= 0) skippedTrees++
        else assert.deepStrictEqual(snapshotTree(a), snapshotTree(n), showProgram(ops))
        fs.rmSync(a, { recursive: true, force: true })
        fs.rmSync(n, { recursive: true, force: true })
      }),
    { timeout: 60 * 60_000, fastCheck: { numRuns: RUNS } }
  )
  it.effect("totals", () => Effect.sync(() => report("stress.oracle.layer", { programs, operations, mismatches: 0, truncatedAtCopyfileUnlink: skippedTrees })))
})
