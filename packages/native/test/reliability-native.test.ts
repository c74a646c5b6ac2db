// Reliability of the native engine under load, faults and bad input (the `npm test` sizes; the heavy
// versions are in test/stress/*.stress.ts). Real files, the real kernel ring, no mocks.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { allocAligned, Counter, EngineSetupError, openEngine } from "@auraio/native"
import type { Engine } from "@auraio/native"
import { fdLeaks, fdSnapshot, fdsUnder, gc, report, ringFds } from "./stress/support/accounting.js"
import { runTs } from "./stress/support/child.js"
import { runMixedLoad } from "./stress/support/nativeLoad.js"
import { fillPattern, firstMismatch, pattern, randomExtents, rng, sha256 } from "./stress/support/pattern.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auraio-rel-native-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const ECANCELED = -os.constants.errno.ECANCELED
const raw = (submit: (cb: (r: number) => void) => number): Promise<number> => new Promise((resolve) => void submit(resolve))
const total = (e: Engine, idx: number) => {
  let s = 0
  for (let r = 0; r < e.ringCount; r++) s += e.counters[r * 16 + idx]!
  return s
}
const fifo = (name: string): number => {
  const p = path.join(dir, name)
  execFileSync("mkfifo", [p])
  return fs.openSync(p, fs.constants.O_RDWR)
}

describe("data integrity through every native write and read path", () => {
  it("random extents written by write/writev/writeFsync/promises.write read back by read/readv/readBatch/node:fs", async () => {
    const seed = 0x5eed01
    const r = rng(seed)
    const size = 8 << 20
    const file = path.join(dir, "integrity.bin")
    fs.writeFileSync(file, new Uint8Array(0))
    const e = openEngine({ rings: 2 })
    const fd = fs.openSync(file, "r+")
    try {
      const writers = ["write", "writev", "writeFsync", "promises.write"] as const
      const written: Record<string, number> = {}
      await Promise.all(
        randomExtents(size, 1, 256 * 1024, r).map(async ({ offset, length }, i) => {
          const data = pattern(length, offset, seed)
          const how = writers[i % writers.length]!
          written[how] = (written[how] ?? 0) + length
          let n: number
          if (how === "write") n = await raw((cb) => e.raw.write(fd, data, length, offset, cb))
          else if (how === "writeFsync") n = await raw((cb) => e.raw.writeFsync(fd, data, length, offset, true, cb))
          else if (how === "promises.write") n = await e.promises.write(fd, data, 0, length, offset)
          else {
            const cut = r.int(0, length)
            n = await raw((cb) => e.raw.writev(fd, [data.subarray(0, cut), data.subarray(cut)], offset, cb))
          }
          assert.strictEqual(n, length, `${how} at ${offset} wrote ${n} of ${length}`)
        })
      )
      // Whole-file checksum through plain node:fs, independent of the engine.
      assert.strictEqual(sha256(fs.readFileSync(file)), sha256(pattern(size, 0, seed)))

      const readers = ["read", "readv", "readBatch"] as const
      let verified = 0
      const extents = randomExtents(size, 1, 200_000, r)
      await Promise.all(
        extents.map(async ({ offset, length }, i) => {
          const how = readers[i % readers.length]!
          const buf = new Uint8Array(length)
          let n: number
          if (how === "read") n = await raw((cb) => e.raw.read(fd, buf, length, offset, cb))
          else if (how === "readv") {
            const cut = r.int(0, length)
            n = await raw((cb) => e.raw.readv(fd, [buf.subarray(0, cut), buf.subarray(cut)], offset, cb))
          } else {
            // readBatch: the extent as up to 4 reads into one buffer, one native call.
            const parts = Math.min(4, length)
            const offs = new Float64Array(parts)
            const lens = new Float64Array(parts)
            const poss = new Float64Array(parts)
            const step = Math.floor(length / parts)
            for (let k = 0; k < parts; k++) {
              offs[k] = k * step
              lens[k] = k === parts - 1 ? length - k * step : step
              poss[k] = offset + k * step
            }
            n = await new Promise<number>((resolve) => {
              let left = parts
              let sum = 0
              e.raw.readBatch(fd, buf, offs, lens, poss, parts, (_i, res) => {
                sum += res < 0 ? -1e9 : res
                if (--left === 0) resolve(sum)
              })
            })
          }
          assert.strictEqual(n, length, `${how} at ${offset} read ${n} of ${length}`)
          assert.strictEqual(firstMismatch(buf, offset, seed), -1, `${how} at ${offset} returned wrong bytes`)
          verified += length
        })
      )
      assert.strictEqual(verified, size)
      report("integrity.native", { bytes: size, extents: extents.length, ...written, lost: 0 })
    } finally {
      fs.closeSync(fd)
      await e.close()
    }
  })
})

describe("mixed load with 20% interrupted", () => {
  it("20k ops from 64 loops: callbacks fire once, nothing in flight or queued after, no fd leaked", async () => {
    const before = fdSnapshot()
    const ringsBefore = ringFds(before)
    const e = openEngine({ rings: 2 })
    const sub = fs.mkdtempSync(path.join(dir, "mixed-"))
    const t0 = performance.now()
    const res = await runMixedLoad(e, { dir: sub, ops: 20_000, concurrency: 64, seed: 42 })
    const ms = performance.now() - t0
    assert.deepStrictEqual(res.errors.slice(0, 5), [])
    assert.strictEqual(res.callbacksMissing, 0)
    assert.strictEqual(res.callbacksDuplicated, 0)
    assert.strictEqual(res.ops, 20_000)
    assert.isAbove(res.cancelRequested, 3000)
    assert.strictEqual(e.outstanding, 0)
    assert.strictEqual(total(e, Counter.InFlight), 0)
    assert.strictEqual(total(e, Counter.Queued), 0)
    assert.deepStrictEqual(fdsUnder(sub), [])
    await e.close()
    // close() may resolve from inside the last completion batch; the rings go right after it returns.
    for (let i = 0; i < 50 && ringFds() !== ringsBefore; i++) await new Promise((r) => setTimeout(r, 2))
    const after = fdSnapshot()
    assert.deepStrictEqual(fdLeaks(before, after), [])
    assert.strictEqual(ringFds(after), ringsBefore)
    report("mixed.native", { ops: res.ops, cancelRequested: res.cancelRequested, cancelled: res.cancelled, bytesVerified: res.bytesVerified, ms: ms.toFixed(0), lost: 0, leakedFds: 0 })
  })
})

describe("faults", () => {
  it("ring full and over-limit queueing: limit 2 with 5,000 ops; limit changes mid-flight", async () => {
    const e = openEngine({ rings: 1, entries: 8 })
    const file = path.join(dir, "limit.bin")
    fs.writeFileSync(file, pattern(1 << 20, 0, 7))
    const fd = fs.openSync(file, "r")
    try {
      e.setLimit(0, 2)
      let maxQueued = 0
      let maxInFlight = 0
      let ok = 0
      let completed = 0
      let overLimit = 0
      const all = Array.from({ length: 5000 }, (_, i) => {
        const pos = (i * 4096) % (1 << 20)
        const buf = new Uint8Array(4096)
        return raw((cb) =>
          e.raw.read(fd, buf, 4096, pos, (r) => {
            maxQueued = Math.max(maxQueued, e.counters[Counter.Queued]!)
            maxInFlight = Math.max(maxInFlight, e.counters[Counter.InFlight]!)
            if (completed < 1000 && e.counters[Counter.InFlight]! > 2) overLimit++
            if (r === 4096 && firstMismatch(buf, pos, 7) === -1) ok++
            // The limit moves while the FIFO is full: up, down to 1, then off.
            completed++
            if (completed === 1000) e.setLimit(0, 64)
            if (completed === 2000) e.setLimit(0, 1)
            if (completed === 3000) e.setLimit(0, 0)
            cb(r)
          })
        )
      })
      maxQueued = Math.max(maxQueued, e.counters[Counter.Queued]!)
      await Promise.all(all)
      assert.strictEqual(ok, 5000)
      assert.isAbove(maxQueued, 100)
      assert.strictEqual(overLimit, 0, "more than `limit` ops in flight while the limit was 2")
      assert.strictEqual(e.counters[Counter.InFlight], 0)
      assert.strictEqual(e.counters[Counter.Queued], 0)
      report("fault.limit-queue", { ops: 5000, maxQueued, maxInFlight })
    } finally {
      fs.closeSync(fd)
      await e.close()
    }
  })

  it("CQ overflow: a 4-entry ring (16 CQEs) given 20,000 reads at once loses no completion", async () => {
    const e = openEngine({ rings: 1, entries: 4, submitBatch: 4 })
    const file = path.join(dir, "cq.bin")
    fs.writeFileSync(file, pattern(1 << 20, 0, 11))
    const fd = fs.openSync(file, "r")
    try {
      let ok = 0
      await Promise.all(
        Array.from({ length: 20_000 }, (_, i) => {
          const pos = (i * 512) % ((1 << 20) - 512)
          const buf = new Uint8Array(512)
          return raw((cb) => e.raw.read(fd, buf, 512, pos, cb)).then((r) => {
            if (r === 512 && firstMismatch(buf, pos, 11) === -1) ok++
          })
        })
      )
      assert.strictEqual(ok, 20_000)
      assert.strictEqual(e.outstanding, 0)
      assert.strictEqual(e.counters[Counter.InFlight], 0)
      report("fault.cq-overflow", { ops: 20_000, entries: 4, lost: 0 })
    } finally {
      fs.closeSync(fd)
      await e.close()
    }
  })

  it("the fd closed while its ops are in flight: every callback fires once with a result or -EBADF", async () => {
    const e = openEngine({ rings: 1 })
    const file = path.join(dir, "closed.bin")
    fs.writeFileSync(file, pattern(256 * 1024, 0, 3))
    try {
      const results: Array<number> = []
      const fd = fs.openSync(file, "r")
      const pending = Array.from({ length: 500 }, (_, i) =>
        raw((cb) => e.raw.read(fd, new Uint8Array(4096), 4096, (i * 4096) % (256 * 1024), cb)).then((r) => void results.push(r))
      )
      fs.closeSync(fd) // before the loop turn that flushes the SQEs
      await Promise.all(pending)
      assert.strictEqual(results.length, 500)
      for (const r of results) assert.isTrue(r === 4096 || r === -os.constants.errno.EBADF, `unexpected ${r}`)

      // A blocking read on a FIFO whose fd is closed under it: io_uring holds its own file reference, so
      // the read stays pending until cancelled — and then its callback fires exactly once.
      const ffd = fifo("closed.fifo")
      let calls = 0
      const blocked = raw((cb) => {
        const id = e.raw.read(ffd, new Uint8Array(64), 64, -1, (r) => {
          calls++
          cb(r)
        })
        setTimeout(() => {
          fs.closeSync(ffd)
          setTimeout(() => e.raw.cancel(id), 10)
        }, 10)
        return id
      })
      assert.strictEqual(await blocked, ECANCELED)
      await new Promise((r) => setTimeout(r, 10))
      assert.strictEqual(calls, 1)
    } finally {
      await e.close()
    }
  })

  it("the file unlinked while writes and reads are in flight: they complete on the open inode", async () => {
    const e = openEngine({ rings: 1 })
    const file = path.join(dir, "unlinked.bin")
    fs.writeFileSync(file, new Uint8Array(0))
    const fd = fs.openSync(file, "r+")
    try {
      const writes = Array.from({ length: 256 }, (_, i) => raw((cb) => e.raw.write(fd, pattern(4096, i * 4096, 5), 4096, i * 4096, cb)))
      fs.unlinkSync(file)
      for (const n of await Promise.all(writes)) assert.strictEqual(n, 4096)
      const buf = new Uint8Array(256 * 4096)
      assert.strictEqual(await raw((cb) => e.raw.read(fd, buf, buf.length, 0, cb)), buf.length)
      assert.strictEqual(firstMismatch(buf, 0, 5), -1)
      assert.isFalse(fs.existsSync(file))
    } finally {
      fs.closeSync(fd)
      await e.close()
    }
  })

  it("close(bound) under load: blocked ops are cancelled after the bound, every callback fires", async () => {
    const before = fdSnapshot()
    const e = openEngine({ rings: 2 })
    const file = path.join(dir, "closing.bin")
    fs.writeFileSync(file, pattern(1 << 20, 0, 9))
    const fd = fs.openSync(file, "r")
    const fifos = [fifo("closing-1.fifo"), fifo("closing-2.fifo")]
    let fired = 0
    let cancelled = 0
    const n = 5000
    for (let i = 0; i < n; i++) e.raw.read(fd, new Uint8Array(4096), 4096, (i * 4096) % (1 << 20), () => void fired++)
    for (const f of fifos)
      for (let i = 0; i < 8; i++)
        e.raw.read(f, new Uint8Array(16), 16, -1, (r) => {
          fired++
          if (r === ECANCELED) cancelled++
        })
    const t0 = performance.now()
    await e.close(150)
    const ms = performance.now() - t0
    assert.strictEqual(fired, n + 16)
    assert.strictEqual(cancelled, 16)
    assert.isAtLeast(ms, 140)
    // 150 ms bound + cancel round trip; generous for a loaded 2-vCPU VM, but far from a hang.
    assert.isBelow(ms, 3000)
    assert.isTrue(e.closed)
    fs.closeSync(fd)
    for (const f of fifos) fs.closeSync(f)
    assert.deepStrictEqual(fdLeaks(before), [])
    report("fault.close-under-load", { ops: n + 16, boundMs: 150, tookMs: ms.toFixed(0), cancelled })
  })

  it("process exit with ops in flight: the child exits with its own status, no signal, no abort", async () => {
    const child = path.join(dir, "exit-child.mts")
    const src = path.resolve(__dirname, "../src/index.ts")
    fs.writeFileSync(
      child,
      `import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { openEngine } from ${JSON.stringify(src)}
const mode = process.argv[2]
const e = openEngine({ rings: 2 })
const f = ${JSON.stringify(path.join(dir, "exit-data.bin"))}
fs.writeFileSync(f, new Uint8Array(1 << 20))
const fd = fs.openSync(f, "r+")
const fifo = ${JSON.stringify(dir)} + "/exit-" + mode + ".fifo"
execFileSync("mkfifo", [fifo])
const ffd = fs.openSync(fifo, fs.constants.O_RDWR)
for (let i = 0; i < 4; i++) e.raw.read(ffd, new Uint8Array(64), 64, -1, () => {})
for (let i = 0; i < 3000; i++) e.raw.write(fd, new Uint8Array(4096), 4096, (i * 4096) % (1 << 20), () => {})
setImmediate(() => {
  if (mode === "exit") process.exit(7)
  if (mode === "throw") throw new Error("boom with ops in flight")
  // The FIFO reads never complete on their own: a natural exit needs the bounded close.
  if (mode === "natural") void e.close(50).then(() => console.log("closed"))
})
`
    )
    const results: Record<string, string> = {}
    const modes = [
      ["exit", 7],
      ["throw", 1],
      ["natural", 0]
    ] as const
    const runs = await Promise.all(modes.map(([mode]) => runTs(child, [mode], { timeoutMs: 30_000 })))
    modes.forEach(([mode, status], i) => {
      const r = runs[i]!
      results[mode] = `${r.status}/${r.signal}`
      assert.isFalse(r.timedOut, `${mode}: the child hung`)
      assert.strictEqual(r.signal, null, `${mode}: killed by ${r.signal}: ${r.stderr}`)
      assert.strictEqual(r.status, status, `${mode}: ${r.stderr}`)
      assert.notMatch(r.stderr, /Assertion|Segmentation|Aborted|core dumped|FATAL/)
    })
    report("fault.process-exit", results)
  })

  it("forced setup errors carry the code and a reason for each of ENOSYS, EPERM, ENOMEM", () => {
    const saved = process.env["AURAIO_FORCE_SETUP_ERROR"]
    try {
      for (const code of ["ENOSYS", "EPERM", "ENOMEM"]) {
        process.env["AURAIO_FORCE_SETUP_ERROR"] = code
        let err: unknown
        try {
          openEngine({ rings: 1 })
        } catch (e) {
          err = e
        }
        assert.instanceOf(err, EngineSetupError)
        const se = err as EngineSetupError
        assert.strictEqual(se.code, code)
        assert.isAbove(se.reason.length, 20)
        const expected = code === "ENOSYS" ? /not (supported|available)|kernel|gVisor|seccomp/i : code === "EPERM" ? /io_uring_disabled|seccomp|permi/i : /memlock|memory/i
        assert.match(se.reason, expected, `${code}: ${se.reason}`)
      }
    } finally {
      if (saved === undefined) delete process.env["AURAIO_FORCE_SETUP_ERROR"]
      else process.env["AURAIO_FORCE_SETUP_ERROR"] = saved
    }
  })

  it("memlock too low (prlimit, CAP_IPC_LOCK dropped): ENOMEM naming memlock for the rings, a refused registration with a reason for fixed buffers", async () => {
    const hasPrlimit = (() => {
      try {
        execFileSync("prlimit", ["--version"], { stdio: "ignore" })
        return true
      } catch {
        return false
      }
    })()
    if (!hasPrlimit) {
      console.log("skip: prlimit(1) is not installed")
      return
    }
    const child = path.join(dir, "memlock-child.mts")
    const src = path.resolve(__dirname, "../src/index.ts")
    fs.writeFileSync(
      child,
      `import { openEngine, allocAligned } from ${JSON.stringify(src)}
import * as fs from "node:fs"
try {
  const e = process.argv[2] === "small" ? openEngine({ rings: 1, entries: 64 }) : openEngine({ rings: 2, entries: 4096 })
  const fixed = allocAligned(1 << 20)
  // Registered (pinned) buffers are charged to RLIMIT_MEMLOCK: with a limit of 0 the kernel refuses,
  // and the engine must say why and keep serving plain ops.
  const reg = typeof (e as any).registerBuffers === "function" ? (e as any).registerBuffers([fixed]) : { registered: "unsupported" }
  const fd = fs.openSync("/proc/self/exe", "r")
  const n = await e.promises.read(fd, allocAligned(65536), 0, 65536, 0)
  fs.closeSync(fd)
  await e.close()
  console.log(JSON.stringify({ opened: true, read: n, registered: reg.registered, reason: reg.reason }))
} catch (err) {
  const x = err as { code?: string; reason?: string; message: string }
  console.log(JSON.stringify({ opened: false, code: x.code, reason: x.reason ?? x.message }))
}
`
    )
    // Root bypasses RLIMIT_MEMLOCK through CAP_IPC_LOCK: drop it from the bounding set when setpriv is
    // there, so the limit is really enforced on the child.
    const hasSetpriv = (() => {
      try {
        execFileSync("setpriv", ["--version"], { stdio: "ignore" })
        return true
      } catch {
        return false
      }
    })()
    const isRoot = process.getuid?.() === 0
    const dropCap = isRoot && hasSetpriv ? ["setpriv", "--bounding-set", "-ipc_lock", "--inh-caps", "-ipc_lock"] : []
    if (isRoot && !hasSetpriv) console.log("note: root without setpriv keeps CAP_IPC_LOCK; the memlock limit is not enforced on the child")
    type Out = { opened: boolean; read?: number; code?: string; reason?: string; registered?: boolean | "unsupported" }
    const run = async (limit: string, size: string): Promise<Out> => {
      const r = await runTs(child, [size], { prefix: [...dropCap, "prlimit", `--memlock=${limit}:${limit}`], timeoutMs: 30_000 })
      assert.strictEqual(r.signal, null, r.stderr)
      assert.strictEqual(r.status, 0, r.stderr)
      return JSON.parse(r.stdout.trim().split("\n").pop()!) as Out
    }
    const enforced = !isRoot || hasSetpriv
    // memlock 0: the rings themselves cannot be set up → EngineSetupError ENOMEM naming memlock.
    // memlock 256 KiB: a small ring fits, 1 MiB of registered buffers does not → refused with a reason,
    // plain I/O keeps working.
    const [zero, small] = await Promise.all([run("0", "large"), run(String(256 * 1024), "small")])
    for (const out of [zero, small]) {
      if (out.opened) assert.strictEqual(out.read, 65536)
      else {
        assert.strictEqual(out.code, "ENOMEM")
        assert.match(out.reason ?? "", /memlock/i)
      }
    }
    if (enforced) {
      assert.isTrue(small.opened, `a 64-entry ring fits in 256 KiB: ${small.reason}`)
      if (small.registered !== "unsupported") {
        assert.strictEqual(small.registered, false, "1 MiB pinned under a 256 KiB RLIMIT_MEMLOCK")
        assert.match(small.reason ?? "", /MEMLOCK/i)
      }
    }
    report("fault.memlock", {
      capIpcLockDropped: enforced,
      memlock0: zero.opened ? "engine opened" : `EngineSetupError ${zero.code}: ${JSON.stringify(zero.reason)}`,
      memlock256k: `engine ${small.opened ? "opened" : "failed"}, registerBuffers(1 MiB) registered=${String(small.registered)}: ${JSON.stringify(small.reason ?? "")}`
    })
  })
})

describe("bad input to every public function of @auraio/native", () => {
  const e = openEngine({ rings: 1 })
  afterAll(() => e.close())
  const file = path.join(dir, "bad.bin")
  fs.writeFileSync(file, pattern(8192, 0, 1))

  // A submission with bad arguments must throw TypeError/RangeError synchronously (callback form) or
  // reject with one (promise form), with a Node-style code and a message — or, for arguments that are
  // only invalid to the kernel (closed fd, O_DIRECT misalignment), report a Node-style errno error.
  const outcome = async (f: () => unknown): Promise<string> => {
    try {
      const v = f()
      if (v instanceof Promise) await v
      return "ok"
    } catch (err) {
      const x = err as { name?: string; code?: string; message?: string }
      assert.isString(x.message)
      assert.isAbove(x.message!.length, 5)
      return `${x.name}:${x.code}`
    }
  }
  // Node-style validation errors carry an ERR_* code; option-object errors are plain TypeErrors.
  const isArgError = (s: string) => /^(TypeError|RangeError):/.test(s)

  it("invalid, closed and negative fds; negative/NaN/huge offsets and lengths; wrong types", async () => {
    const buf = new Uint8Array(64)
    const cb = () => {}
    const badFds: Array<unknown> = [-1, -100, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, "3", null, undefined, {}, 3n]
    const badPositions: Array<unknown> = [-2, -1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -1n, 2n ** 64n, "0", {}]
    const badOffLen: Array<[unknown, unknown]> = [
      [-1, 1],
      [0, -1],
      [Number.NaN, 1],
      [0, Number.NaN],
      [0, 65],
      [60, 5],
      [65, 0],
      [0, 2 ** 40],
      ["0", 1],
      [0, "1"]
    ]
    const wrongBuffers: Array<unknown> = ["x", 42, null, {}, [1, 2, 3], new ArrayBuffer(8)]
    let tried = 0
    const p = e.promises
    for (const fd of badFds) {
      const calls: Array<() => unknown> = [
        () => e.read(fd as number, buf, 0, 1, 0, cb),
        () => e.write(fd as number, buf, 0, 1, 0, cb),
        () => e.readv(fd as number, [buf], 0, cb),
        () => e.writev(fd as number, [buf], 0, cb),
        () => e.writeFsync(fd as number, buf, 0, false, cb),
        () => e.fsync(fd as number, cb),
        () => e.fdatasync(fd as number, cb),
        () => e.closeFd(fd as number, cb),
        () => e.fstat(fd as number, cb),
        () => e.fallocate(fd as number, 0, 0, 1, cb),
        () => e.ftruncate(fd as number, 0, cb),
        () => e.syncFileRange(fd as number, 0, 1, 0, cb),
        () => p.read(fd as number, buf),
        () => p.write(fd as number, buf),
        () => p.fsync(fd as number),
        () => p.close(fd as number),
        () => p.fstat(fd as number),
        () => e.raw.cancel(fd as number) // raw: must not crash on any number
      ]
      for (const c of calls.slice(0, -1)) {
        tried++
        assert.isTrue(isArgError(await outcome(c)), `fd ${String(fd)}`)
      }
      tried++
      await outcome(calls[calls.length - 1]!)
    }
    for (const pos of badPositions) {
      for (const c of [
        () => e.read(0, buf, 0, 1, pos as number, cb),
        () => e.write(0, buf, 0, 1, pos as number, cb),
        () => e.readv(0, [buf], pos as number, cb),
        () => e.writev(0, [buf], pos as number, cb),
        () => e.writeFsync(0, buf, pos as number, false, cb),
        () => p.read(0, buf, 0, 1, pos as number)
      ]) {
        tried++
        assert.isTrue(isArgError(await outcome(c)), `position ${String(pos)}`)
      }
    }
    for (const [off, len] of badOffLen) {
      for (const c of [() => e.read(0, buf, off as number, len as number, 0, cb), () => e.write(0, buf, off as number, len as number, 0, cb), () => p.read(0, buf, off as number, len as number, 0)]) {
        tried++
        assert.isTrue(isArgError(await outcome(c)), `offset ${String(off)} length ${String(len)}`)
      }
    }
    for (const [o, l] of [
      [-1, 1],
      [0, -1],
      [Number.NaN, 0],
      [0, Number.POSITIVE_INFINITY],
      [2 ** 53, 0]
    ] as const) {
      for (const c of [() => e.fallocate(0, 0, o, l, cb), () => e.syncFileRange(0, o, l, 0, cb), () => e.ftruncate(0, o === 0 ? l : o, cb)]) {
        tried++
        assert.isTrue(isArgError(await outcome(c)), `range ${o} ${l}`)
      }
    }
    for (const b of wrongBuffers) {
      for (const c of [
        () => e.read(0, b as Uint8Array, 0, 1, 0, cb),
        () => e.write(0, b as Uint8Array, 0, 1, 0, cb),
        () => e.readv(0, [b as Uint8Array], 0, cb),
        () => e.writev(0, b as unknown as Array<Uint8Array>, 0, cb),
        () => e.writeFsync(0, b as Uint8Array, 0, false, cb)
      ]) {
        tried++
        assert.isTrue(isArgError(await outcome(c)), `buffer ${String(b)}`)
      }
    }
    for (const c of [
      () => e.read(0, buf, 0, 1, 0, undefined as unknown as () => void),
      () => e.read(0, buf, 0, 1, 0, "cb" as unknown as () => void),
      () => e.setLimit(-1, 0),
      () => e.setLimit(0, Number.NaN),
      () => e.getLimit(99),
      () => e.latencyBuckets(-1),
      () => e.close(-5),
      () => allocAligned(-1),
      () => allocAligned(Number.NaN),
      () => allocAligned(4096, 3),
      () => allocAligned(4096, 0),
      () => allocAligned(2 ** 40),
      () => openEngine({ rings: 0 }),
      () => openEngine({ entries: -1 }),
      () => openEngine({ rings: Number.NaN }),
      () => openEngine("x" as unknown as object),
      () => openEngine({ iowqMaxWorkers: "4" as unknown as number }),
      () => openEngine({ fallbackOps: ["nope" as "read"] }),
      () => e.readv(0, Array.from({ length: 1025 }, () => buf), 0, cb)
    ]) {
      tried++
      assert.isTrue(isArgError(await outcome(c)), String(c))
    }

    // A closed fd is valid to the validator and invalid to the kernel: a Node-style EBADF.
    const fd = fs.openSync(file, "r")
    fs.closeSync(fd)
    for (const c of [() => p.read(fd, buf, 0, 1, 0), () => p.write(fd, buf, 0, 1, 0), () => p.fsync(fd), () => p.fstat(fd), () => p.ftruncate(fd, 0), () => p.readv(fd, [buf], 0)]) {
      tried++
      assert.strictEqual(await outcome(c), "Error:EBADF")
    }
    report("badinput.native.numbers", { tried })
  })

  it("paths: NUL bytes, over-long paths and components, wrong types, non-file URLs", async () => {
    const p = e.promises
    const nul = "a\u0000b"
    const long = "/tmp/" + "x/".repeat(3000) // > PATH_MAX (4096)
    const longName = path.join(dir, "y".repeat(300)) // > NAME_MAX (255)
    let tried = 0
    for (const bad of [nul, Buffer.from(nul), new URL("http://example.com/x"), 42, null, {}]) {
      for (const c of [
        () => p.open(bad as string),
        () => p.stat(bad as string),
        () => p.lstat(bad as string),
        () => p.unlink(bad as string),
        () => p.rmdir(bad as string),
        () => p.mkdir(bad as string),
        () => p.rename(bad as string, "x"),
        () => p.rename("x", bad as string),
        () => p.symlink(bad as string, "x"),
        () => p.symlink("x", bad as string),
        () => p.link(bad as string, "x"),
        () => p.link("x", bad as string)
      ]) {
        tried++
        const o = await outcome(c)
        assert.isTrue(isArgError(o), `${String(bad)}: ${o}`)
      }
    }
    for (const c of [() => p.open(long), () => p.stat(long), () => p.mkdir(long), () => p.unlink(long), () => p.rename(long, long)]) {
      tried++
      assert.strictEqual(await outcome(c), "Error:ENAMETOOLONG")
    }
    for (const c of [() => p.open(longName, "w"), () => p.stat(longName), () => p.mkdir(longName)]) {
      tried++
      assert.strictEqual(await outcome(c), "Error:ENAMETOOLONG")
    }
    for (const c of [() => p.open(file, "bogus"), () => p.open(file, "r", "999"), () => p.open(file, "r", -1), () => p.mkdir(path.join(dir, "m"), "rwx")]) {
      tried++
      assert.isTrue(isArgError(await outcome(c)))
    }
    report("badinput.native.paths", { tried })
  })

  it("detached, transferred and shared buffers; a misaligned buffer with O_DIRECT", async () => {
    const p = e.promises
    let tried = 0
    const fd = fs.openSync(file, "r+")
    try {
      const ab = new ArrayBuffer(64)
      const view = new Uint8Array(ab)
      const moved = structuredClone(ab, { transfer: [ab] })
      assert.strictEqual(moved.byteLength, 64)
      const detachedU16 = new Uint16Array(32)
      structuredClone(detachedU16.buffer, { transfer: [detachedU16.buffer] })
      for (const c of [
        () => p.read(fd, view, 0, 1, 0),
        () => p.write(fd, view, 0, 1, 0),
        () => p.readv(fd, [new Uint8Array(4), view], 0),
        () => p.writev(fd, [view], 0),
        () => p.writeFsync(fd, view, 0),
        () => p.read(fd, detachedU16, 0, 1, 0)
      ]) {
        tried++
        assert.strictEqual(await outcome(c), "TypeError:ERR_INVALID_ARG_VALUE")
      }
      // SharedArrayBuffer memory is ordinary memory to the kernel: it works.
      const shared = new Uint8Array(new SharedArrayBuffer(4096))
      tried++
      assert.strictEqual(await p.read(fd, shared, 0, 4096, 0), 4096)
      assert.strictEqual(firstMismatch(shared, 0, 1), -1)
      tried++
      assert.strictEqual(await p.write(fd, shared, 0, 4096, 4096), 4096)

      // Other typed arrays are byte views of their memory.
      const f64 = new Float64Array(8)
      tried++
      assert.strictEqual(await p.read(fd, f64, 0, 64, 0), 64)
    } finally {
      fs.closeSync(fd)
    }

    // O_DIRECT: an aligned buffer works (when the filesystem supports O_DIRECT), a misaligned one is a
    // kernel EINVAL reported as a Node-style error.
    const direct = path.join(dir, "direct.bin")
    fs.writeFileSync(direct, pattern(1 << 16, 0, 2))
    let dfd: number
    try {
      dfd = fs.openSync(direct, fs.constants.O_RDWR | fs.constants.O_DIRECT)
    } catch (err) {
      console.log(`skip O_DIRECT part: ${(err as Error).message} (the filesystem of ${dir} has no O_DIRECT)`)
      report("badinput.native.buffers", { tried })
      return
    }
    try {
      const aligned = allocAligned(8192)
      tried++
      assert.strictEqual(await p.read(dfd, aligned, 0, 4096, 0), 4096)
      assert.strictEqual(firstMismatch(aligned.subarray(0, 4096), 0, 2), -1)
      for (const c of [
        () => p.read(dfd, aligned, 1, 4096, 0), // misaligned address
        () => p.read(dfd, aligned, 0, 1000, 0), // misaligned length
        () => p.read(dfd, aligned, 0, 4096, 100), // misaligned position
        () => p.write(dfd, aligned, 3, 4096, 0)
      ]) {
        tried++
        assert.strictEqual(await outcome(c), "Error:EINVAL")
      }
    } finally {
      fs.closeSync(dfd)
    }
    report("badinput.native.buffers", { tried })
  })
})

describe("an in-flight buffer stays alive", () => {
  it("a buffer whose ArrayBuffer is transferred away mid-read is not freed under the kernel", async () => {
    // The op keeps the view; transfer moves the backing store to the clone, which is then dropped and
    // collected. If the engine did not keep the memory alive, the kernel's write below would land in
    // freed (and re-used) memory: fresh allocations of the same size would see the marker bytes.
    const e = openEngine({ rings: 1 })
    const ffd = fifo("transfer.fifo")
    try {
      const size = 1 << 20
      const ab = new ArrayBuffer(size)
      const view = new Uint8Array(ab)
      const done = raw((cb) => e.raw.read(ffd, view, size, -1, cb))
      await new Promise((r) => setTimeout(r, 5))
      let clone: ArrayBuffer | undefined = structuredClone(ab, { transfer: [ab] })
      assert.strictEqual(clone.byteLength, size)
      clone = undefined
      for (let i = 0; i < 3; i++) gc()
      const fresh = Array.from({ length: 16 }, () => new Uint8Array(size).fill(0xaa))
      fs.writeSync(ffd, new Uint8Array(4096).fill(0x5a))
      const n = await done
      assert.isTrue(n === 4096 || n < 0)
      const corrupted = fresh.filter((b) => b.includes(0x5a)).length
      assert.strictEqual(corrupted, 0, "the kernel wrote into memory that was freed and reallocated")
    } finally {
      fs.closeSync(ffd)
      await e.close()
    }
  })
})

// Keeps the pattern helper honest: a one-byte shift of the pattern must be detected.
it("the position-derived pattern detects a misplaced block", () => {
  const a = pattern(4096, 8192, 1)
  const b = fillPattern(new Uint8Array(4096), 8193, 1)
  assert.notStrictEqual(firstMismatch(b, 8192, 1), -1)
  assert.strictEqual(firstMismatch(a, 8192, 1), -1)
})
