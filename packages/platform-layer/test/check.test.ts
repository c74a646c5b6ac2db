/**
 * The storage check end to end, in process: a tiny scratch file and a short budget, every workload,
 * every peer (AuraIO rows either measured or marked unavailable with the reason), the JSON shape and
 * numbers, the table, the HTML file, and the scratch directory gone afterwards. Bad options run the
 * real bin in a child process, for the exit status and what a user sees.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { runCli } from "../src/check/cli.js"
import type { Report } from "../src/check/report.js"

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const root = path.resolve(pkg, "..", "..")

const capture = () => {
  const out = { stdout: "", stderr: "" }
  return {
    out,
    sink: {
      stdout: { write: (s: string) => (out.stdout += s) },
      stderr: { write: (s: string) => (out.stderr += s) }
    }
  }
}

const WORKLOADS = ["randread-cached", "seqread", "readfile", "stream", "randread-direct", "randwrite-sync"]
const PEERS = ["node", "effect-node", "aura-engine", "aura-fs"]
const DURATION = 4

describe("auraio check", () => {
  it.live("--json --html: every workload and peer, numbers that add up, scratch removed", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "check-test-"))
      const html = path.join(dir, "report.html")
      const { out, sink } = capture()
      const code = yield* runCli(
        ["node", "auraio", "check", "--dir", dir, "--size", "8M", "--duration", String(DURATION), "--json", "--html", html],
        sink
      )
      assert.strictEqual(code, 0, out.stderr)
      const report = JSON.parse(out.stdout) as Report

      assert.strictEqual(report.version, 1)
      assert.strictEqual(report.options.size, 8 * 1024 * 1024)
      assert.strictEqual(report.options.dir, dir)
      // Bounded by the budget; the slack is for a loaded CI machine, where starting the engine and
      // opening files per run cost more than the plan assumed.
      assert.isAtMost(report.elapsedSeconds, DURATION * 1.5 + 2)
      assert.deepStrictEqual(report.workloads.map((w) => w.id), WORKLOADS)
      assert.isAtLeast(report.rounds, 1)
      for (const w of report.workloads) {
        assert.deepStrictEqual(w.peers.map((p) => p.peer), PEERS, w.id)
        const node = w.peers[0]!
        if (w.id === "randread-direct" && report.scratch.directUnsupported !== null) {
          // A temp directory on tmpfs: O_DIRECT is refused, and every row must say so.
          for (const p of w.peers) assert.strictEqual(p.status, "unavailable")
          continue
        }
        assert.strictEqual(node.status, "ok", `${w.id}: ${node.reason}`)
        assert.strictEqual(node.speedup, 1)
        for (const p of w.peers) {
          if (p.status !== "ok") {
            assert.isTrue(typeof p.reason === "string" && p.reason.length > 0, `${w.id}/${p.peer} says why`)
            continue
          }
          assert.isAbove(p.ops, 0, `${w.id}/${p.peer} ops`)
          assert.isAbove(p.iops, 0)
          assert.isAbove(p.mbps, 0)
          assert.isAbove(p.p50Us, 0)
          assert.isAtLeast(p.p99Us, p.p50Us)
          assert.isAtLeast(p.cpuPct, 0)
          assert.strictEqual(p.rounds.length, report.rounds)
          // MB/s is bytes over seconds: the medians must sit inside the rounds' range.
          const mbps = p.rounds.map((r) => r.mbps)
          assert.isAtLeast(p.mbps, Math.min(...mbps) - 0.01)
          assert.isAtMost(p.mbps, Math.max(...mbps) + 0.01)
          assert.isTrue(p.speedup !== null && Math.abs(p.speedup - p.mbps / node.mbps) < 0.02)
          if (w.blockSize > 0 && w.id !== "stream") {
            // Fixed-size blocks: bytes are ops × block size (reads from an 8 MiB file are never short).
            assert.strictEqual(p.bytes, p.ops * w.blockSize, `${w.id}/${p.peer} bytes`)
          }
          for (const s of p.timeline) {
            assert.isAtLeast(s.t, 0)
            assert.isAtLeast(s.iops, 0)
          }
        }
      }
      const direct = report.workloads.find((w) => w.id === "randread-direct")!
      assert.strictEqual(direct.peers[1]!.status, "unavailable")
      assert.match(direct.peers[1]!.reason!, /O_DIRECT/)
      if (report.aura.engine === "available") {
        // The engine's rows ran, and their timelines carry each ring's AIMD limit.
        const engineRows = report.workloads.flatMap((w) => w.peers.filter((p) => p.peer === "aura-engine" && p.status === "ok"))
        assert.isAbove(engineRows.length, 0)
        assert.isTrue(engineRows.every((p) => p.timeline.some((s) => (s.limits?.length ?? 0) === report.aura.rings)))
      }
      // The AuraIO rows either ran or said why not, consistently with the header.
      if (report.aura.engine === "unavailable") assert.isNotNull(report.aura.engineReason)
      if (report.aura.fileSystem === "unavailable") assert.isNotNull(report.aura.fileSystemReason)

      const page = fs.readFileSync(html, "utf8")
      assert.match(page, /^<!doctype html>/)
      assert.match(page, /<svg class="chart" data-kind="iops"/)
      assert.match(page, /<svg class="chart" data-kind="latency"/)
      assert.notMatch(page, /(src|href)=["']?(https?:)?\/\//, "no external assets")
      const embedded = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(page)
      assert.isNotNull(embedded)
      assert.strictEqual((JSON.parse(embedded![1]!) as Report).startedAt, report.startedAt)

      assert.deepStrictEqual(fs.readdirSync(dir).filter((f) => f.startsWith("auraio-check-")), [])
      fs.rmSync(dir, { recursive: true, force: true })
    }), 60_000)

  it.live("prints the table without --json, progress lines on a non-terminal stderr", () =>
    Effect.gen(function*() {
      const { out, sink } = capture()
      const code = yield* runCli(["node", "auraio", "check", "--size", "2M", "--duration", "1"], sink)
      assert.strictEqual(code, 0, out.stderr)
      assert.match(out.stdout, /^AuraIO storage check · /)
      for (const title of ["4 KiB random reads (page cache)", "4 KiB random reads (O_DIRECT)", "128 KiB sequential reads", "4 KiB random writes + fdatasync", "readFile", "stream"]) {
        assert.include(out.stdout, title)
      }
      assert.match(out.stdout, /IOPS +MB\/s +p50 +p99 +CPU +vs Node/)
      assert.match(out.stdout, /Node fs\/promises +[\d,.]+ +[\d.]+ /)
      assert.match(out.stdout, /scratch files removed/)
      assert.match(out.stderr, /\[ *[\d.]+ s\] 4 KiB random reads \(page cache\) · Node fs\/promises · round 1\/\d: [\d,.]+ IOPS/)
    }), 30_000)

  it.live("io_uring refused (forced EPERM): still runs, AuraIO rows say why, the layer row runs on its fallback", () =>
    Effect.gen(function*() {
      const { out, sink } = capture()
      process.env["AURAIO_FORCE_SETUP_ERROR"] = "EPERM"
      const code = yield* runCli(["node", "auraio", "check", "--size", "2M", "--duration", "1", "--json"], sink).pipe(
        Effect.ensuring(Effect.sync(() => delete process.env["AURAIO_FORCE_SETUP_ERROR"]))
      )
      assert.strictEqual(code, 0, out.stderr)
      // stdout is the JSON alone: the layer's fallback warning went to stderr.
      const report = JSON.parse(out.stdout) as Report
      assert.match(out.stderr, /auraio check: warn: AuraFileSystem: io_uring unavailable/)
      assert.strictEqual(report.aura.engine, "unavailable")
      assert.match(report.aura.engineReason!, /seccomp/)
      assert.strictEqual(report.aura.fileSystem, "fallback")
      assert.match(report.aura.fileSystemReason!, /EPERM/)
      for (const w of report.workloads) {
        const engine = w.peers.find((p) => p.peer === "aura-engine")!
        assert.strictEqual(engine.status, "unavailable")
        assert.match(engine.reason!, /seccomp/)
        const layer = w.peers.find((p) => p.peer === "aura-fs")!
        assert.strictEqual(layer.status, w.id === "randread-direct" ? "unavailable" : "ok", `${w.id}: ${layer.reason}`)
      }
    }), 30_000)

  it.live("--size larger than the disk allows: a clear error, status 1, nothing left behind", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "check-test-"))
      const { out, sink } = capture()
      const code = yield* runCli(["node", "auraio", "check", "--dir", dir, "--size", "1000T"], sink)
      assert.strictEqual(code, 1)
      assert.match(out.stderr, /does not fit in .* MiB free/)
      assert.deepStrictEqual(fs.readdirSync(dir), [])
      fs.rmSync(dir, { recursive: true, force: true })
    }))
})

// The bin as a user runs it: the built dist/bin/auraio.js when it is up to date, else the source via tsx.
const bin = (args: ReadonlyArray<string>) => {
  const dist = path.join(pkg, "dist", "bin", "auraio.js")
  const src = path.join(pkg, "src", "bin", "auraio.ts")
  const fresh = fs.existsSync(dist) && fs.statSync(dist).mtimeMs >= fs.statSync(src).mtimeMs
  const argv = fresh ? [dist, ...args] : ["--import", "tsx", src, ...args]
  return spawnSync(process.execPath, argv, { cwd: root, encoding: "utf8", timeout: 30_000 })
}

describe("auraio check: bad options", () => {
  const cases: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp]> = [
    [["--size", "banana"], /--size: 'banana' is not a size/],
    [["--size", "12parsecs"], /'parsecs' is not a size unit/],
    [["--size", "4K"], /below the 1 MiB minimum/],
    [["--duration", "0"], /outside 1 s … 1 h/],
    [["--duration", "soon"], /'soon' is not a duration/],
    [["--dir", "/nonexistent/auraio"], /nonexistent/],
    [["--frobnicate"], /frobnicate/]
  ]
  const USAGE_LINE = "usage: auraio check [--dir DIR] [--size SIZE] [--duration SECONDS] [--json] [--html FILE]"
  for (const [args, message] of cases) {
    it.effect(`check ${args.join(" ")} → message, usage, exit 2, nothing on stdout`, () =>
      Effect.gen(function*() {
        const { out, sink } = capture()
        const code = yield* runCli(["node", "auraio", "check", ...args], sink)
        assert.strictEqual(code, 2, out.stderr)
        assert.match(out.stderr, message)
        assert.include(out.stderr, USAGE_LINE)
        assert.strictEqual(out.stdout, "")
      }))
  }

  // The bin as a user runs it: the exit status reaches the shell.
  it("the auraio bin exits 2 on a bad option and 0 on --help", () => {
    const bad = bin(["check", "--size", "banana"])
    assert.strictEqual(bad.status, 2, bad.stderr)
    assert.include(bad.stderr, USAGE_LINE)
    const help = bin(["check", "--help"])
    assert.strictEqual(help.status, 0, help.stderr)
    assert.match(help.stdout, /--duration/)
    assert.match(help.stdout, /--html/)
  }, 60_000)
})
