#!/usr/bin/env node
// Brings a fresh clone to a runnable state: system library, pnpm, dependencies, the native addon and
// the TypeScript build. Every step is skipped when its output is already up to date, so `npm test`
// and `npm start` can call it unconditionally. Plain Node only: nothing is installed yet when it runs.
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const PNPM_VERSION = "10.34.8"
const quiet = process.env.AURAIO_BOOTSTRAP_QUIET === "1"

const log = (msg) => {
  if (!quiet) process.stderr.write(`[bootstrap] ${msg}\n`)
}
const fail = (msg) => {
  process.stderr.write(`\n[bootstrap] ${msg}\n\n`)
  process.exit(1)
}
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...opts })
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`)
  if (r.status !== 0) fail(`'${cmd} ${args.join(" ")}' failed with exit code ${r.status}`)
}

const newest = (path) => {
  if (!existsSync(path)) return 0
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let m = st.mtimeMs
  for (const entry of readdirSync(path)) {
    if (entry === "node_modules" || entry === "dist" || entry === "build") continue
    m = Math.max(m, newest(join(path, entry)))
  }
  return m
}
const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : 0)

// 1. Platform
if (process.platform !== "linux") fail(`AuraIO needs Linux (io_uring); this is ${process.platform}.`)
const [major] = process.versions.node.split(".").map(Number)
if (major < 20) fail(`AuraIO needs Node.js >= 20; this is ${process.version}.`)

// 2. liburing (headers and library) from the distribution
const hasLiburing = () =>
  ["/usr/include/liburing.h", "/usr/local/include/liburing.h"].some((p) => existsSync(p))
if (!hasLiburing()) {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0
  const hasApt = existsSync("/usr/bin/apt-get")
  if (isRoot && hasApt) {
    log("installing liburing-dev with apt-get")
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
    run("apt-get", ["update", "-qq"], { env })
    run("apt-get", ["install", "-y", "-qq", "liburing-dev"], { env })
  } else {
    fail(
      "liburing-dev is missing. Install it, then run the command again:\n\n" +
        (hasApt ? "    sudo apt-get install -y liburing-dev" : "    install liburing (headers and library) with your package manager")
    )
  }
  if (!hasLiburing()) fail("liburing-dev was installed but liburing.h is still missing")
}

// 2b. Debian packages that only one task needs, installed for that task (npm sets npm_lifecycle_event)
//     and only as root with apt-get; otherwise the command to run is printed and that task says what
//     is missing when it gets there.
const aptFor = (task, pkg, binary, why) => {
  if (process.env.npm_lifecycle_event !== task || existsSync(binary)) return
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0
  if (isRoot && existsSync("/usr/bin/apt-get")) {
    log(`installing ${pkg} with apt-get (${why})`)
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
    run("apt-get", ["update", "-qq"], { env })
    run("apt-get", ["install", "-y", "-qq", pkg], { env })
  } else {
    log(`${pkg} is missing (${why}). Install it with: sudo apt-get install -y ${pkg}`)
  }
}
// chromium: the test that opens the storage check's `--html` report in a real headless browser.
aptFor("test", "chromium", "/usr/bin/chromium", "for the HTML report test")
// fio: the hand-tuned peer every read benchmark compares against (`npm run bench` / `pnpm bench`).
aptFor("bench", "fio", "/usr/bin/fio", "the benchmarks' reference peer")

// 3. pnpm, without corepack (its signature check fails against some registries)
const which = (cmd) => {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" })
  return r.status === 0 ? r.stdout.trim() : undefined
}
const localPnpm = join(root, ".tools", "node_modules", ".bin", "pnpm")
let pnpm = existsSync(localPnpm) ? localPnpm : undefined
if (!pnpm) {
  const global = which("pnpm")
  if (global) {
    const v = spawnSync(global, ["--version"], { encoding: "utf8" }).stdout?.trim() ?? ""
    if (v.startsWith("10.")) pnpm = global
  }
}
if (!pnpm) {
  log(`installing pnpm@${PNPM_VERSION} into .tools/`)
  mkdirSync(join(root, ".tools"), { recursive: true })
  run("npm", ["install", "--prefix", join(root, ".tools"), "--no-save", "--no-audit", "--no-fund", `pnpm@${PNPM_VERSION}`])
  pnpm = localPnpm
}

// 4. Dependencies
const modulesMarker = join(root, "node_modules", ".modules.yaml")
const manifests = ["package.json", "pnpm-lock.yaml", "pnpm-workspace.yaml", ...["native", "core", "platform-layer"].map((p) => `packages/${p}/package.json`), "scratchpad/package.json"]
const depsStamp = Math.max(...manifests.map((m) => mtime(join(root, m))))
if (!existsSync(modulesMarker) || mtime(modulesMarker) < depsStamp) {
  log("installing dependencies with pnpm")
  const frozen = existsSync(join(root, "pnpm-lock.yaml")) && process.env.CI ? ["--frozen-lockfile"] : []
  run(pnpm, ["install", ...frozen], { env: { ...process.env, npm_config_update_notifier: "false" } })
}

// 5. Native addon. Build against the headers of the running Node (no download: machines here reach
//    only the package registries), which Debian-style installs keep under <prefix>/include/node.
const nativeDir = join(root, "packages", "native")
const addon = join(nativeDir, "build", "Release", "auraio.node")
const nativeStamp = Math.max(newest(join(nativeDir, "cpp")), mtime(join(nativeDir, "binding.gyp")))
if (existsSync(join(nativeDir, "binding.gyp")) && (!existsSync(addon) || mtime(addon) < nativeStamp || process.env.AURAIO_REBUILD === "1")) {
  log("building the native addon")
  const prefix = resolve(dirname(process.execPath), "..")
  const nodedir = existsSync(join(prefix, "include", "node", "node_api.h")) ? prefix : undefined
  const gyp = join(nativeDir, "node_modules", ".bin", "node-gyp")
  const args = ["rebuild", "-j", "max", ...(nodedir ? [`--nodedir=${nodedir}`] : [])]
  run(existsSync(gyp) ? gyp : "npx", existsSync(gyp) ? args : ["--yes", "node-gyp@11", ...args], { cwd: nativeDir })
}

// 6. TypeScript build (incremental): the dist/ that `npm start`, workers and the CLI load
log("compiling TypeScript")
run(join(root, "node_modules", ".bin", "tsc"), ["-b", "packages/native", "packages/core", "packages/platform-layer"])

