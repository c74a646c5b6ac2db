// Fixtures for the parity suite. Setup and verification go through node:fs directly, never
// through the FileSystem under test, so a bug in the layer cannot hide itself.
import * as PlatformError from "@effect/platform/Error"
import { assert } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { execFileSync } from "node:child_process"
import * as Crypto from "node:crypto"
import * as NFS from "node:fs"
import * as OS from "node:os"
import * as Path from "node:path"

/** A fresh directory under os.tmpdir(), removed with everything in it when the scope closes. */
export const tmpDir = Effect.acquireRelease(
  Effect.sync(() => NFS.mkdtempSync(Path.join(OS.tmpdir(), "auraio-parity-"))),
  (dir) => Effect.sync(() => NFS.rmSync(dir, { recursive: true, force: true }))
)

export const encode = (s: string) => new TextEncoder().encode(s)
export const decode = (b: Uint8Array) => new TextDecoder().decode(b)

export const randomBytes = (n: number): Uint8Array => new Uint8Array(Crypto.randomBytes(n))

export const writeText = (path: string, text: string) => NFS.writeFileSync(path, text)
export const readText = (path: string) => NFS.readFileSync(path, "utf8")

export const sameBytes = (actual: Uint8Array, expected: Uint8Array) => {
  assert.strictEqual(actual.length, expected.length)
  assert.isTrue(Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected))
}

export const mkfifo = (path: string) => execFileSync("mkfifo", [path])

/**
 * Runs `self`, expects it to fail with a SystemError of `reason` (and `method`, when given), the
 * shape NodeFileSystem produces. Because the same suite runs against NodeFileSystem, a green run
 * on every layer means their reasons agree.
 */
export const expectSystemError = <A, R>(
  self: Effect.Effect<A, PlatformError.PlatformError, R>,
  reason: PlatformError.SystemErrorReason,
  method?: string
) =>
  Effect.map(Effect.exit(self), (exit) => {
    if (Exit.isSuccess(exit)) assert.fail(`expected ${reason}, got success`)
    const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
    if (error === undefined) assert.fail(`expected a typed failure, got ${String(exit.cause)}`)
    assert.strictEqual(error._tag, "SystemError", String(error))
    if (error._tag !== "SystemError") return error
    assert.strictEqual(error.reason, reason, error.message)
    assert.strictEqual(error.module, "FileSystem")
    if (method !== undefined) assert.strictEqual(error.method, method)
    return error
  })

export const expectBadArgument = <A, R>(self: Effect.Effect<A, PlatformError.PlatformError, R>) =>
  Effect.map(Effect.flip(self), (error) => {
    assert.strictEqual(error._tag, "BadArgument", String(error))
  })
