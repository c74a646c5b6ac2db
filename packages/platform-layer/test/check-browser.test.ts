/**
 * The `--html` report in a real browser: Debian's headless Chromium loads the page from disk (no network:
 * the page must be self-contained), runs its script, and dumps the DOM. The script records what the
 * browser laid out (`body[data-rendered]`: charts, polylines with a non-empty bounding box, points), so
 * this checks rendering, not just markup. Chromium is installed by `npm test`'s bootstrap when running
 * as root; otherwise this fails with the command to run.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { runCli } from "../src/check/cli.js"
import type { Report } from "../src/check/report.js"

const CHROMIUM = process.env["AURAIO_CHROMIUM"] ?? "/usr/bin/chromium"

const dumpDom = (file: string): string => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the HTML report test needs Debian's chromium. Install it with\n\n` +
        "    sudo apt-get install -y chromium\n\n(`npm test` does this itself when run as root.)"
    )
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "auraio-chromium-"))
  try {
    const r = spawnSync(CHROMIUM, [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--user-data-dir=${profile}`,
      "--window-size=1400,1000",
      "--dump-dom",
      `file://${file}`
    ], { encoding: "utf8", timeout: 90_000, maxBuffer: 64 * 1024 * 1024 })
    if (r.error) throw r.error
    assert.strictEqual(r.status, 0, r.stderr)
    return r.stdout
  } finally {
    fs.rmSync(profile, { recursive: true, force: true })
  }
}

const unescape = (s: string) =>
  s.replace(/&quot;/g, "\"").replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&")

describe("auraio check --html in headless Chromium", () => {
  it.live("renders every workload's charts, and the charts hold the run's data", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "check-html-"))
      const html = path.join(dir, "report.html")
      let stdout = ""
      const code = yield* runCli(
        ["node", "auraio", "check", "--dir", dir, "--size", "4M", "--duration", "3", "--json", "--html", html],
        { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true } }
      )
      assert.strictEqual(code, 0)
      const report = JSON.parse(stdout) as Report

      const dom = dumpDom(html)
      const attr = /<body[^>]*data-rendered="([^"]*)"/.exec(dom)
      assert.isNotNull(attr, "the page's script ran and recorded its layout")
      const rendered = JSON.parse(unescape(attr![1]!)) as {
        charts: number
        lines: number
        drawn: number
        points: number
        kinds: Array<string>
      }
      // Every workload has an IOPS and a latency chart (the O_DIRECT one has at least Node's line).
      assert.strictEqual(rendered.kinds.filter((k) => k === "iops").length, report.workloads.length)
      assert.strictEqual(rendered.kinds.filter((k) => k === "latency").length, report.workloads.length)
      if (report.aura.engine === "available") {
        assert.isAtLeast(rendered.kinds.filter((k) => k === "limit").length, 1, "AIMD limit chart")
      }
      // One polyline per (peer, round) that sampled, each laid out with a non-empty box.
      const expectedLines = report.workloads.reduce(
        (n, w) =>
          n + w.peers.reduce((m, p) => m + new Set(p.timeline.map((s) => s.round)).size, 0) * 2 +
          w.peers.reduce((m, p) => {
            const rings = Math.max(0, ...p.timeline.map((s) => s.limits?.length ?? 0))
            return m + rings * new Set(p.timeline.filter((s) => s.limits).map((s) => s.round)).size
          }, 0),
        0
      )
      assert.isAbove(rendered.lines, 0)
      assert.strictEqual(rendered.lines, expectedLines)
      assert.strictEqual(rendered.drawn, rendered.lines)
      const samples = report.workloads.reduce((n, w) => n + w.peers.reduce((m, p) => m + p.timeline.length, 0), 0)
      assert.isAtLeast(rendered.points, samples * 2, "IOPS and latency points for every sample")

      // The tables rendered with the measured figures.
      const node = report.workloads[0]!.peers[0]!
      assert.include(dom, "4 KiB random reads (page cache)")
      assert.include(dom, Math.round(node.iops).toLocaleString("en-US"))
      fs.rmSync(dir, { recursive: true, force: true })
    }), 120_000)
})
