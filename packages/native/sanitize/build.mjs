#!/usr/bin/env node
// Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer into sanitize/.build/, leaving
// the regular build/ untouched. The package's own binding.gyp is reused as is: the source tree is
// copied next to it and gyp's make backend appends $CFLAGS/$CXXFLAGS/$LDFLAGS from the environment
// after the gyp flags, so `-O1 -fsanitize=…` wins over the Release `-O3` without a second gyp file.
import { spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const nativeDir = resolve(here, "..")
const work = join(here, ".build")
const nodeGyp = join(nativeDir, "node_modules", ".bin", "node-gyp")

if (!existsSync(join(nativeDir, "binding.gyp"))) {
  console.error("sanitize: packages/native/binding.gyp does not exist yet")
  process.exit(1)
}

// Everything the gyp file may reference, minus outputs and the things that are not sources.
const skip = new Set(["node_modules", "build", "dist", "sanitize", "test", "bench"])
rmSync(work, { recursive: true, force: true })
mkdirSync(work, { recursive: true })
for (const entry of readdirSync(nativeDir)) {
  if (skip.has(entry)) continue
  cpSync(join(nativeDir, entry), join(work, entry), { recursive: true })
}

const san = "-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
const env = {
  ...process.env,
  CFLAGS: san,
  CXXFLAGS: san,
  LDFLAGS: "-fsanitize=address,undefined",
  // node-addon-api and friends resolve from the package, as in the regular build.
  NODE_PATH: join(nativeDir, "node_modules")
}
const r = spawnSync(nodeGyp, ["rebuild", "-j", "max", "--nodedir=/usr", "--loglevel=warn"], { cwd: work, env, stdio: "inherit" })
if (r.status !== 0) {
  console.error(`sanitize: node-gyp failed (exit ${r.status})`)
  process.exit(r.status ?? 1)
}
const built = readdirSync(join(work, "build", "Release")).filter((f) => f.endsWith(".node"))
// Prove the flags reached the compiler: an instrumented object references the ASan runtime.
const nm = spawnSync("sh", ["-c", `nm -D ${join(work, "build", "Release", built[0] ?? "missing")} | grep -c __asan_`], { encoding: "utf8" })
const asanSymbols = Number(nm.stdout.trim() || 0)
if (asanSymbols === 0) {
  console.error("sanitize: the built addon references no __asan_ symbols; the flags did not apply")
  process.exit(1)
}
console.log(`sanitize: built ${built.join(", ")} with ASan+UBSan (${asanSymbols} __asan_ imports)`)
