// Mixed-operation load on the native engine's raw face, shared by the `npm test` version (~20k ops)
// and the stress version (1M ops, and 4 worker_threads). Every file is pre-filled with a position-derived
// pattern and every write writes that same pattern, so whatever subset of writes a cancel suppressed,
// every byte any read returns can be checked — "nothing lost, nothing corrupted" under interruption.
import * as fs from "node:fs"
import * as path from "node:path"
import type { Engine } from "../../../src/index.js"
import { AT_FDCWD, STATX_ALL_MASK, STATX_SIZE } from "../../../src/index.js"
import { fillPattern, firstMismatch, rng } from "./pattern.js"

export interface LoadOptions {
  readonly dir: string
  readonly ops: number
  readonly concurrency: number
  /** probability that an op is cancelled at a random point (default 0.2) */
  readonly cancelRate?: number
  readonly files?: number
  readonly fileSize?: number
  readonly seed: number
}

export interface LoadResult {
  readonly ops: number
  readonly cancelRequested: number
  readonly cancelled: number
  readonly byKind: Record<string, number>
  readonly errors: Array<string>
  readonly bytesVerified: number
  readonly callbacksMissing: number
  readonly callbacksDuplicated: number
}

const ECANCELED = -125
const KINDS = ["read", "write", "readv", "writev", "fsync", "statx", "open/close", "writeFsync"] as const
type Kind = (typeof KINDS)[number]
const WEIGHTS: Record<Kind, number> = { read: 34, write: 18, readv: 8, writev: 8, fsync: 5, statx: 10, "open/close": 12, writeFsync: 5 }

export const prepareFiles = (dir: string, count: number, size: number, seed: number): Array<string> => {
  const files: Array<string> = []
  for (let i = 0; i < count; i++) {
    const p = path.join(dir, `load-${i}.bin`)
    fs.writeFileSync(p, fillPattern(new Uint8Array(size), 0, seed + i))
    files.push(p)
  }
  return files
}

/**
 * Runs `ops` raw operations from `concurrency` independent submit loops; `cancelRate` of them get a
 * cancel at a random point (synchronously after submit, in a microtask, after an I/O turn, or after a
 * timer). Resolves when every callback has fired exactly once.
 */
export const runMixedLoad = async (engine: Engine, o: LoadOptions): Promise<LoadResult> => {
  const r = rng(o.seed)
  const fileCount = o.files ?? 4
  const fileSize = o.fileSize ?? 1 << 20
  const files = prepareFiles(o.dir, fileCount, fileSize, o.seed)
  const fds = files.map((p) => fs.openSync(p, "r+"))
  const cancelRate = o.cancelRate ?? 0.2
  const byKind: Record<string, number> = {}
  const errors: Array<string> = []
  let cancelRequested = 0
  let cancelled = 0
  let bytesVerified = 0
  let duplicated = 0
  let issued = 0
  let finished = 0
  const totalWeight = KINDS.reduce((n, k) => n + WEIGHTS[k], 0)
  const pickKind = (): Kind => {
    let x = r.next() * totalWeight
    for (const k of KINDS) if ((x -= WEIGHTS[k]) < 0) return k
    return "read"
  }
  const statOut = new Uint8Array(STATX_SIZE)

  const verify = (fileIndex: number, buf: Uint8Array, pos: number, n: number, what: string) => {
    const bad = firstMismatch(buf.subarray(0, n), pos, o.seed + fileIndex)
    if (bad >= 0) errors.push(`${what}: file ${fileIndex} byte ${pos + bad} differs from the pattern`)
    else bytesVerified += n
  }

  const one = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const kind = pickKind()
      byKind[kind] = (byKind[kind] ?? 0) + 1
      const fi = r.int(0, fileCount - 1)
      const fd = fds[fi]!
      const len = r.int(1, 16384)
      const pos = r.int(0, fileSize - len)
      let calls = 0
      const settle = (res: number, check?: () => void) => {
        calls++
        if (calls > 1) {
          duplicated++
          return
        }
        if (res === ECANCELED) cancelled++
        else if (res < 0) errors.push(`${kind}: unexpected ${res}`)
        else if (check) check()
        resolve()
      }
      let id: number
      switch (kind) {
        case "read": {
          const buf = new Uint8Array(len)
          id = engine.raw.read(fd, buf, len, pos, (res) => settle(res, () => verify(fi, buf, pos, res, "read")))
          break
        }
        case "write": {
          const buf = fillPattern(new Uint8Array(len), pos, o.seed + fi)
          id = engine.raw.write(fd, buf, len, pos, (res) => settle(res, () => res !== len && errors.push(`short write ${res}/${len}`)))
          break
        }
        case "readv": {
          const a = new Uint8Array(Math.ceil(len / 2))
          const b = new Uint8Array(len - a.length + 1)
          id = engine.raw.readv(fd, [a, b], pos, (res) =>
            settle(res, () => {
              const joined = new Uint8Array(a.length + b.length)
              joined.set(a)
              joined.set(b, a.length)
              verify(fi, joined, pos, res, "readv")
            })
          )
          break
        }
        case "writev": {
          const whole = fillPattern(new Uint8Array(len), pos, o.seed + fi)
          const cut = r.int(0, len)
          id = engine.raw.writev(fd, [whole.subarray(0, cut), whole.subarray(cut)], pos, (res) => settle(res))
          break
        }
        case "writeFsync": {
          const buf = fillPattern(new Uint8Array(len), pos, o.seed + fi)
          id = engine.raw.writeFsync(fd, buf, len, pos, r.chance(0.5), (res) => settle(res))
          break
        }
        case "fsync":
          id = engine.raw.fsync(fd, r.chance(0.5), (res) => settle(res))
          break
        case "statx":
          id = engine.raw.statx(AT_FDCWD, files[fi]!, 0, STATX_ALL_MASK, statOut, (res) => settle(res))
          break
        case "open/close":
          id = engine.raw.openat(AT_FDCWD, files[fi]!, 0o2000000 /* O_CLOEXEC */, 0, (res) => {
            if (res >= 0) {
              // The open won (even if a cancel was requested): the fd is ours to close, through the ring.
              engine.raw.close(res, (c) => settle(c < 0 ? c : res))
            } else settle(res)
          })
          break
      }
      if (r.chance(cancelRate)) {
        cancelRequested++
        const when = r.int(0, 3)
        const cancel = () => engine.raw.cancel(id)
        if (when === 0) cancel()
        else if (when === 1) queueMicrotask(cancel)
        else if (when === 2) setImmediate(cancel)
        else setTimeout(cancel, 0)
      }
    })

  const loop = async () => {
    while (issued < o.ops) {
      issued++
      await one()
      finished++
    }
  }
  await Promise.all(Array.from({ length: o.concurrency }, loop))
  for (const fd of fds) fs.closeSync(fd)
  return {
    ops: finished,
    cancelRequested,
    cancelled,
    byKind,
    errors,
    bytesVerified,
    callbacksMissing: issued - finished,
    callbacksDuplicated: duplicated
  }
}
