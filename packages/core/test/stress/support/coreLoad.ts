// Mixed load through the Effect API: many fibers, each op an Effect, a share of them interrupted at a
// random point (before submission, while queued, in flight, or racing the completion). Files hold a
// position-derived pattern and writes write that same pattern, so every byte read can be checked no
// matter which writes an interruption suppressed. Shared by `npm test` (~20k ops) and `pnpm stress` (1M).
import { AuraEngine, AuraBufferPool } from "@auraio/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as fs from "node:fs"
import * as path from "node:path"
import { fillPattern, firstMismatch, rng } from "../../../../native/test/stress/support/pattern.js"

export interface CoreLoadOptions {
  readonly dir: string
  readonly ops: number
  readonly fibers: number
  readonly interruptRate?: number
  readonly files?: number
  readonly fileSize?: number
  readonly seed: number
}

export interface CoreLoadResult {
  readonly ops: number
  readonly interrupted: number
  readonly failures: Array<string>
  readonly bytesVerified: number
  readonly byKind: Record<string, number>
}

const KINDS = ["read", "pooledRead", "write", "writev", "readv", "fsync", "stat", "open/read/close", "readMany", "writeAndSync"] as const
type Kind = (typeof KINDS)[number]
const WEIGHTS: Record<Kind, number> = { read: 20, pooledRead: 12, write: 16, writev: 6, readv: 6, fsync: 5, stat: 10, "open/read/close": 12, readMany: 8, writeAndSync: 5 }

export const runCoreLoad = (o: CoreLoadOptions): Effect.Effect<CoreLoadResult, never, AuraEngine | AuraBufferPool> =>
  Effect.gen(function* () {
    const engine = yield* AuraEngine
    const pool = yield* AuraBufferPool
    const r = rng(o.seed)
    const fileCount = o.files ?? 4
    const fileSize = o.fileSize ?? 1 << 20
    const rate = o.interruptRate ?? 0.2
    const files = Array.from({ length: fileCount }, (_, i) => {
      const p = path.join(o.dir, `core-load-${i}.bin`)
      fs.writeFileSync(p, fillPattern(new Uint8Array(fileSize), 0, o.seed + i))
      return p
    })
    const fds = yield* Effect.forEach(files, (p) => Effect.orDie(engine.openFd(p, "r+")))
    const byKind: Record<string, number> = {}
    const failures: Array<string> = []
    let interrupted = 0
    let bytesVerified = 0
    let issued = 0
    let done = 0
    const totalWeight = KINDS.reduce((n, k) => n + WEIGHTS[k], 0)
    const pickKind = (): Kind => {
      let x = r.next() * totalWeight
      for (const k of KINDS) if ((x -= WEIGHTS[k]) < 0) return k
      return "read"
    }
    const check = (fi: number, buf: Uint8Array, pos: number, what: string) => {
      const bad = firstMismatch(buf, pos, o.seed + fi)
      if (bad >= 0) failures.push(`${what}: file ${fi} byte ${pos + bad} is not the pattern`)
      else bytesVerified += buf.length
    }

    const opOf = (kind: Kind): Effect.Effect<unknown, unknown> => {
      const fi = r.int(0, fileCount - 1)
      const fd = fds[fi]!
      const len = r.int(1, 16384)
      const pos = r.int(0, fileSize - len)
      switch (kind) {
        case "read": {
          const buf = new Uint8Array(len)
          return Effect.map(engine.read(fd, buf, pos), (n) => check(fi, buf.subarray(0, n), pos, "read"))
        }
        case "pooledRead":
          return Effect.scoped(
            Effect.flatMap(pool.acquire(len), (buf) =>
              Effect.map(engine.read(fd, buf.subarray(0, len), pos), (n) => check(fi, buf.subarray(0, n), pos, "pooledRead"))
            )
          )
        case "write":
          return engine.writeAll(fd, fillPattern(new Uint8Array(len), pos, o.seed + fi), pos)
        case "writev": {
          const whole = fillPattern(new Uint8Array(len), pos, o.seed + fi)
          const cut = r.int(0, len)
          return engine.writev(fd, [whole.subarray(0, cut), whole.subarray(cut)], pos)
        }
        case "readv": {
          const a = new Uint8Array(r.int(0, len))
          const b = new Uint8Array(len - a.length)
          return Effect.map(engine.readv(fd, [a, b], pos), (n) => {
            const joined = new Uint8Array(len)
            joined.set(a)
            joined.set(b, a.length)
            check(fi, joined.subarray(0, n), pos, "readv")
          })
        }
        case "fsync":
          return r.chance(0.5) ? engine.fsync(fd) : engine.fdatasync(fd)
        case "stat":
          return r.chance(0.5) ? engine.stat(files[fi]!) : engine.stat(fd)
        case "open/read/close":
          return Effect.scoped(
            Effect.flatMap(engine.open(files[fi]!, { flag: "r" }), (file) =>
              Effect.map(file.readAlloc(len, pos), (data) => check(fi, data, pos, "File.readAlloc"))
            )
          )
        case "readMany": {
          const reqs = Array.from({ length: r.int(1, 8) }, () => {
            const l = r.int(1, 8192)
            return { fd, offset: r.int(0, fileSize - l), length: l }
          })
          return Effect.map(engine.readMany(reqs), (outs) => outs.forEach((d, i) => check(fi, d, reqs[i]!.offset as number, "readMany")))
        }
        case "writeAndSync":
          return engine.writeAndSync(fd, fillPattern(new Uint8Array(len), pos, o.seed + fi), pos, { datasync: r.chance(0.5) })
      }
    }

    const pause = (): Effect.Effect<void> => {
      switch (r.int(0, 3)) {
        case 0:
          return Effect.void
        case 1:
          return Effect.yieldNow()
        case 2:
          return Effect.sleep(Duration.millis(0))
        default:
          return Effect.sleep(Duration.micros(BigInt(r.int(1, 800))))
      }
    }

    const one = Effect.suspend(() => {
      const kind = pickKind()
      byKind[kind] = (byKind[kind] ?? 0) + 1
      const op = opOf(kind)
      const run = r.chance(rate)
        ? Effect.flatMap(Effect.fork(op), (fiber) => Effect.zipRight(pause(), Fiber.interrupt(fiber)))
        : Effect.exit(op)
      return Effect.map(run, (exit) => {
        if (Exit.isInterrupted(exit)) interrupted++
        else if (Exit.isFailure(exit)) failures.push(`${kind}: ${String(exit.cause)}`.slice(0, 300))
        done++
      })
    })
    const loop: Effect.Effect<void> = Effect.suspend(() => (issued++ < o.ops ? Effect.zipRight(one, loop) : Effect.void))
    yield* Effect.forEach(Array.from({ length: o.fibers }), () => loop, { concurrency: "unbounded", discard: true })
    yield* Effect.forEach(fds, (fd) => Effect.orDie(engine.close(fd)), { discard: true })
    return { ops: done, interrupted, failures, bytesVerified, byKind }
  })
