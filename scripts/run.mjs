#!/usr/bin/env node
// The project's entry points after bootstrap: `test`, `start`, `bench`, `stress`.
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const bin = (name) => join(root, "node_modules", ".bin", name)
const [task, ...rest] = process.argv.slice(2)

const exec = (cmd, args, env = {}) => {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root, env: { ...process.env, ...env } })
  if (r.error) throw r.error
  return r.status ?? 1
}
const step = (cmd, args, env) => {
  const status = exec(cmd, args, env)
  if (status !== 0) process.exit(status)
}

switch (task) {
  case "test":
    step(bin("tsc"), ["-b", "tsconfig.json"])
    step(bin("vitest"), ["run", ...rest])
    break
  case "start": {
    const cli = join(root, "packages", "platform-layer", "dist", "bin", "auraio.js")
    // The storage check (`auraio check`); bootstrap has just compiled it.
    if (!existsSync(cli)) {
      console.error(`${cli} is missing: the TypeScript build did not produce the CLI (run: node scripts/bootstrap.mjs)`)
      process.exit(1)
    }
    step(process.execPath, [cli, "check", ...rest])
    break
  }
  case "bench":
    step(bin("tsx"), [join(root, "scripts", "bench", "index.ts"), ...rest])
    break
  case "stress":
    step(bin("vitest"), ["run", "--config", "vitest.stress.config.ts", ...rest])
    break
  default:
    console.error("usage: node scripts/run.mjs test|start|bench|stress [args]")
    process.exit(2)
}
