// pnpm stress: 1 GiB of position-derived pattern written through every Effect write path (write,
// writeAll, writev, writeAndSync, sink) at random offsets and sizes, then read back through every read
// path (read, readv, readExactly, readAlloc, readMany, readManyStream, stream), each checked byte for
// byte, plus whole-file SHA-256 through node:fs.
import { AuraEngine } from "@auraio/core"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"
import { report } from "../../../native/test/stress/support/accounting.js"
import { fillPattern, firstMismatch, pattern, randomExtents, rng } from "../../../native/test/stress/support/pattern.js"
import { writePaths, writeVia } from "./support/writePaths.js"

const SIZE = Number(process.env["AURAIO_STRESS_BYTES"] ?? 1 << 30)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auraio-stress-integrity-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const expectedSha = (size: number, seed: number): string => {
  const h = createHash("sha256")
  const piece = new Uint8Array(4 << 20)
  for (let at = 0; at < size; at += piece.length) {
    const n = Math.min(piece.length, size - at)
    h.update(fillPattern(piece.subarray(0, n), at, seed))
  }
  return h.digest("hex")
}
const fileSha = (p: string): string => {
  const h = createHash("sha256")
  const fd = fs.openSync(p, "r")
  const buf = new Uint8Array(4 << 20)
  for (;;) {
    const n = fs.readSync(fd, buf)
    if (n === 0) break
    h.update(buf.subarray(0, n))
  }
  fs.closeSync(fd)
  return h.digest("hex")
}

describe("1 GiB integrity through the Effect API", () => {
  it.live(
    "every write path → every read path, checksums equal",
    () =>
      Effect.gen(function* () {
        const engine = yield* AuraEngine
        const seed = 0x1ab
        const r = rng(seed)
        const file = path.join(dir, "big.bin")
        fs.writeFileSync(file, new Uint8Array(0))
        const fd = yield* engine.openFd(file, "r+")
        const t0 = performance.now()
        const written: Record<string, number> = {}
        const extents = randomExtents(SIZE, 4096, 4 << 20, r)
        yield* Effect.forEach(
          extents,
          ({ offset, length }, i) =>
            Effect.suspend(() => {
              const data = pattern(length, offset, seed)
              const how = writePaths[i % writePaths.length]!
              written[how] = (written[how] ?? 0) + length
              return writeVia(engine, how, fd, data, offset, { cut: (n) => r.int(0, n), sinkChunk: 262144 })
            }),
          { concurrency: 8, discard: true }
        )
        yield* engine.fsync(fd)
        const writeSecs = (performance.now() - t0) / 1000
        const want = expectedSha(SIZE, seed)
        assert.strictEqual(fileSha(file), want, "whole-file SHA-256 through node:fs")

        const t1 = performance.now()
        const readers = ["read", "readv", "readExactly", "readAlloc", "readMany"] as const
        let verified = 0
        yield* Effect.forEach(
          randomExtents(SIZE, 4096, 4 << 20, r),
          ({ offset, length }, i) =>
            Effect.gen(function* () {
              const how = readers[i % readers.length]!
              let data: Uint8Array
              if (how === "readAlloc") data = yield* engine.readAlloc(fd, length, offset)
              else if (how === "readMany") {
                const parts = 4
                const step = Math.floor(length / parts)
                const outs = yield* engine.readMany(
                  Array.from({ length: parts }, (_, k) => ({ fd, offset: offset + k * step, length: k === parts - 1 ? length - k * step : step }))
                )
                data = new Uint8Array(length)
                let at = 0
                for (const o of outs) {
                  data.set(o, at)
                  at += o.length
                }
              } else {
                data = new Uint8Array(length)
                if (how === "read") assert.strictEqual(yield* engine.read(fd, data, offset), length)
                else if (how === "readExactly") yield* engine.readExactly(fd, data, offset)
                else {
                  const cut = r.int(0, length)
                  assert.strictEqual(yield* engine.readv(fd, [data.subarray(0, cut), data.subarray(cut)], offset), length)
                }
              }
              assert.strictEqual(firstMismatch(data, offset, seed), -1, `${how} at ${offset}`)
              verified += length
            }),
          { concurrency: 8, discard: true }
        )
        assert.strictEqual(verified, SIZE)
        // The whole file once more as a stream and as readManyStream, hashed.
        const h = createHash("sha256")
        yield* Stream.runForEach(engine.stream(fd, { chunkSize: 1 << 20, readAhead: 8 }), (c) => Effect.sync(() => h.update(c)))
        assert.strictEqual(h.digest("hex"), want, "stream SHA-256")
        const reqs = Array.from({ length: Math.ceil(SIZE / (1 << 20)) }, (_, k) => ({ fd, offset: k * (1 << 20), length: Math.min(1 << 20, SIZE - k * (1 << 20)) }))
        let seen = 0
        yield* Stream.runForEach(engine.readManyStream(reqs, { concurrency: 16 }), ({ index, data }) =>
          Effect.sync(() => {
            assert.strictEqual(firstMismatch(data, reqs[index]!.offset, seed), -1, `readManyStream #${index}`)
            seen += data.length
          })
        )
        assert.strictEqual(seen, SIZE)
        const readSecs = (performance.now() - t1) / 1000
        yield* engine.close(fd)
        report("stress.integrity.core", { bytes: SIZE, extents: extents.length, ...written, writeSeconds: writeSecs.toFixed(1), readSeconds: readSecs.toFixed(1), readBackBytes: SIZE * 3, lost: 0 })
      }).pipe(Effect.provide(AuraEngine.layerWith({ aimd: false }))),
    30 * 60_000
  )
})
