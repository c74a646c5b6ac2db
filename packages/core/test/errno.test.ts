import { assert, describe, it } from "@effect/vitest"
import { AuraError } from "@auraio/core"
import { NodeFileSystem } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import { constants } from "node:os"

const E = constants.errno

describe("errno → PlatformError", () => {
  it("maps reasons exactly like NodeFileSystem's switch", () => {
    const table: Array<[number, string]> = [
      [E.ENOENT, "NotFound"],
      [E.EACCES, "PermissionDenied"],
      [E.EEXIST, "AlreadyExists"],
      [E.EISDIR, "BadResource"],
      [E.ENOTDIR, "BadResource"],
      [E.ELOOP, "BadResource"],
      [E.EBUSY, "Busy"],
      // NodeFileSystem leaves EPERM as Unknown; parity beats taste.
      [E.EPERM, "Unknown"],
      [E.EBADF, "Unknown"],
      [E.EINVAL, "Unknown"],
      [E.ECANCELED, "Unknown"],
      [E.ENOSPC, "Unknown"],
      [3999, "Unknown"]
    ]
    for (const [errno, reason] of table) {
      assert.strictEqual(AuraError.reasonForErrno(-errno), reason, `errno ${errno}`)
      assert.strictEqual(AuraError.reasonForErrno(errno), reason, `errno ${errno} (positive)`)
    }
  })

  it("builds a SystemError shaped like Node's", () => {
    const err = AuraError.fromErrno(-E.ENOENT, "open", "open", "/nope/x")
    assert.strictEqual(err._tag, "SystemError")
    assert.strictEqual(err.reason, "NotFound")
    assert.strictEqual(err.module, "FileSystem")
    assert.strictEqual(err.method, "open")
    assert.strictEqual(err.syscall, "open")
    assert.strictEqual(err.pathOrDescriptor, "/nope/x")
    assert.strictEqual(err.description, "ENOENT: no such file or directory, open '/nope/x'")
    const cause = err.cause as NodeJS.ErrnoException
    assert.strictEqual(cause.code, "ENOENT")
    assert.strictEqual(cause.errno, -E.ENOENT)
    assert.strictEqual(cause.path, "/nope/x")

    const fdErr = AuraError.fromErrno(-E.EBADF, "read", "read", 1234)
    assert.strictEqual(fdErr.pathOrDescriptor, 1234)
    assert.strictEqual(fdErr.description, "EBADF: bad file descriptor, read")

    const ren = AuraError.fromErrno(-E.ENOENT, "rename", "rename", "/a", "/b")
    assert.strictEqual(ren.description, "ENOENT: no such file or directory, rename '/a' -> '/b'")
  })

  it("names errnos", () => {
    assert.strictEqual(AuraError.errnoName(-E.ECANCELED), "ECANCELED")
    assert.strictEqual(AuraError.errnoName(E.EAGAIN), "EAGAIN")
    assert.strictEqual(AuraError.errnoName(3999), "E3999")
  })

  it.effect("agrees with NodeFileSystem on a real failure", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const nodeErr = yield* Effect.flip(fs.stat("/definitely/not/here"))
      const ours = AuraError.fromErrno(-E.ENOENT, "stat", "stat", "/definitely/not/here")
      assert.strictEqual(nodeErr._tag, "SystemError")
      if (nodeErr._tag !== "SystemError") return
      assert.strictEqual(ours.reason, nodeErr.reason)
      assert.strictEqual(ours.syscall, nodeErr.syscall)
      assert.strictEqual(ours.pathOrDescriptor, nodeErr.pathOrDescriptor)
      assert.strictEqual(ours.description, nodeErr.description)
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
