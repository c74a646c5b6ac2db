#!/usr/bin/env node
// Runs the native package's tests (and, with --with-core, the core package's, which drive the addon
// much harder) against the ASan+UBSan build, then a short workload under LeakSanitizer. Node itself is
// not instrumented: the gcc sanitizer runtime is preloaded so it interposes malloc before Node starts,
// and leak detection is off for the test run because Node deliberately leaks at exit.
//
//   node packages/native/sanitize/run.mjs [--no-build] [--with-core] [vitest file filters…]
//
// Exit status 0 only if every test passed, the sanitized addon was really loaded, and no sanitizer
// report (ASan, UBSan, or a leak whose stack is in the addon) was written.
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, "..", "..", "..")
const args = process.argv.slice(2)
const flag = (f) => {
  const i = args.indexOf(f)
  if (i >= 0) args.splice(i, 1)
  return i >= 0
}
const noBuild = flag("--no-build")
const withCore = flag("--with-core")
const reports = join(here, "reports")

const sh = (cmd) => spawnSync("sh", ["-c", cmd], { encoding: "utf8" }).stdout.trim()
const libasan = sh("gcc -print-file-name=libasan.so")
if (!libasan.startsWith("/")) {
  console.error("sanitize: gcc's libasan.so was not found (install gcc with libasan)")
  process.exit(1)
}

if (!noBuild) {
  const b = spawnSync(process.execPath, [join(here, "build.mjs")], { stdio: "inherit" })
  if (b.status !== 0) process.exit(b.status ?? 1)
}

rmSync(reports, { recursive: true, force: true })
mkdirSync(reports, { recursive: true })
const marker = join(reports, "loaded.txt")
writeFileSync(marker, "")

const baseEnv = {
  ...process.env,
  LD_PRELOAD: libasan,
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${join(here, "redirect.cjs")}`.trim(),
  AURAIO_SANITIZE_MARKER: marker,
  UBSAN_OPTIONS: `print_stacktrace=1:halt_on_error=1:log_path=${join(reports, "ubsan")}`
}

// 1. The test files, leak detection off.
const files = args.length > 0 ? args : ["packages/native/test", ...(withCore ? ["packages/core/test"] : [])]
const t0 = Date.now()
const tests = spawnSync(
  join(root, "node_modules", ".bin", "vitest"),
  ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${join(reports, "vitest.json")}`, ...files],
  {
    cwd: root,
    stdio: "inherit",
    env: {
      ...baseEnv,
      ASAN_OPTIONS: `detect_leaks=0:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=0:log_path=${join(reports, "asan")}`
    }
  }
)
const testSeconds = ((Date.now() - t0) / 1000).toFixed(1)
let counts = { passed: 0, failed: 0, skipped: 0, files: 0 }
try {
  const j = JSON.parse(readFileSync(join(reports, "vitest.json"), "utf8"))
  counts = { passed: j.numPassedTests, failed: j.numFailedTests, skipped: j.numPendingTests + j.numTodoTests, files: j.testResults.length }
} catch {
  // A crash under ASan can leave no JSON; the report files below say why.
}

// 2. A short workload under LeakSanitizer. Node's own exit-time allocations are reported too, so only
// leaks with a frame inside the sanitized addon count.
const workload = join(here, "workload.ts")
let leakReports = 0
let leakTotal = 0
const leakSites = []
let workloadStatus = "not run (no workload.ts)"
if (existsSync(workload)) {
  const w = spawnSync(join(root, "node_modules", ".bin", "tsx"), [workload], {
    cwd: root,
    stdio: "inherit",
    env: {
      ...baseEnv,
      // The module path on every frame lets leaks be attributed to the addon; Node must exit through
      // process.exit() (the workload does) or LSan's exit-time check never runs.
      ASAN_OPTIONS: `detect_leaks=1:halt_on_error=1:log_path=${join(reports, "lsan")}:stack_trace_format="    #%n %p %F %L in %m"`,
      LSAN_OPTIONS: "report_objects=0:max_leaks=0"
    }
  })
  workloadStatus = `exit ${w.status}`
  for (const f of readdirSync(reports).filter((f) => f.startsWith("lsan."))) {
    const text = readFileSync(join(reports, f), "utf8")
    for (const block of text.split(/\n(?=(?:Direct|Indirect) leak of )/)) {
      if (!/^(Direct|Indirect) leak of /.test(block)) continue
      leakTotal++
      // The addon's own leak: the allocating frame (the first one after the sanitizer's interceptor)
      // is in the addon. Stacks that merely pass through it (the pump calling into JS, which then
      // allocates in V8) are Node's.
      const frames = block.split("\n").filter((l) => /^\s+#\d+ /.test(l))
      const site = frames.find((l) => !l.includes("libasan.so"))
      if (site !== undefined && site.includes("/sanitize/.build/")) {
        leakReports++
        leakSites.push(`${block.split("\n")[0]} at ${site.trim().replace(/^#\d+ 0x[0-9a-f]+ in /, "").replace(/ in \/.*$/, "")}`)
      }
    }
  }
}

const isReport = (f) => /^(asan|ubsan)\.\d+$/.test(f)
const errorFiles = readdirSync(reports).filter(isReport)
const sanitizerReports = errorFiles.reduce((n, f) => n + (readFileSync(join(reports, f), "utf8").match(/^(==\d+==ERROR|.*runtime error:)/gm)?.length ?? 0), 0)
// lsan.* files from the workload also contain ASan errors if any happened there.
const workloadErrors = readdirSync(reports)
  .filter((f) => f.startsWith("lsan."))
  .reduce((n, f) => n + (readFileSync(join(reports, f), "utf8").match(/^==\d+==ERROR: AddressSanitizer/gm)?.length ?? 0), 0)
const loads = readFileSync(marker, "utf8").split("\n").filter(Boolean).length

const summary = {
  testFiles: counts.files,
  testsPassed: counts.passed,
  testsFailed: counts.failed,
  testsSkipped: counts.skipped,
  testSeconds,
  sanitizedAddonLoads: loads,
  asanUbsanReports: sanitizerReports + workloadErrors,
  workload: workloadStatus,
  leaksInAddon: leakReports,
  leakSites: [...new Set(leakSites)].join(" | "),
  leaksTotalIncludingNode: leakTotal
}
console.log(`[reliability] sanitizers ${Object.entries(summary).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")}`)
writeFileSync(join(reports, "summary.json"), JSON.stringify(summary, null, 2))

const ok = tests.status === 0 && loads > 0 && sanitizerReports + workloadErrors === 0 && leakReports === 0
if (loads === 0) console.error("sanitize: the sanitized addon was never loaded — the run proves nothing")
if (errorFiles.length > 0) console.error(`sanitize: reports in ${reports}: ${errorFiles.join(", ")}`)
process.exit(ok ? 0 : 1)
