// The example program runs unchanged on NodeFileSystem and on AuraFileSystem (io_uring and
// fallback) and prints the same thing.
import { AuraFileSystem } from "@auraio/platform-layer"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Crypto from "node:crypto"
import * as NFS from "node:fs"
import * as Path from "node:path"
import { hashTree } from "../examples/hashTree.js"
import { randomBytes, tmpDir } from "./parity/fixtures.js"

it.scoped("examples/hashTree: same output on NodeFileSystem and AuraFileSystem", () =>
  Effect.gen(function*() {
    const root = yield* tmpDir
    NFS.mkdirSync(Path.join(root, "a", "b"), { recursive: true })
    NFS.writeFileSync(Path.join(root, "top.txt"), "hello\n")
    NFS.writeFileSync(Path.join(root, "a", "blob"), randomBytes(3 * 1024 * 1024 + 11))
    NFS.writeFileSync(Path.join(root, "a", "b", "empty"), "")
    NFS.symlinkSync("top.txt", Path.join(root, "link"))

    const viaNode = yield* Effect.provide(hashTree(root), NodeFileSystem.layer)
    const viaAura = yield* Effect.provide(hashTree(root), AuraFileSystem.layer)
    const viaFallback = yield* Effect.provide(hashTree(root), AuraFileSystem.layerWith({ forceFallback: true }))

    assert.deepStrictEqual(viaAura, viaNode)
    assert.deepStrictEqual(viaFallback, viaNode)
    const expected = Crypto.createHash("sha256").update(NFS.readFileSync(Path.join(root, "a", "blob"))).digest("hex")
    assert.include(viaNode.lines, `${expected}  ${Path.join("a", "blob")}`)
    assert.strictEqual(viaNode.lines.length, 4)
  }))
