// Runs a script in a fresh Node process (process-exit, memlock and forced-setup-error tests need a
// process of their own: the state they change is process-wide and must not leak into the runner).
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export interface ChildResult {
  readonly status: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  readonly timedOut: boolean
}

export const repoRoot = fileURLToPath(new URL("../../../../../", import.meta.url))
export const tsxBin = `${repoRoot}node_modules/.bin/tsx`

export const runChild = (
  command: string,
  args: ReadonlyArray<string>,
  options: { env?: Record<string, string | undefined>; timeoutMs?: number; cwd?: string } = {}
): Promise<ChildResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    let timedOut = false
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, options.timeoutMs ?? 30_000)
    child.on("error", (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on("close", (status, signal) => {
      clearTimeout(timer)
      resolve({ status, signal, stdout, stderr, timedOut })
    })
  })

/** Runs a TypeScript file with tsx (workspace aliases resolve through the packages' dist builds). */
export const runTs = (
  file: string,
  args: ReadonlyArray<string> = [],
  options: { env?: Record<string, string | undefined>; timeoutMs?: number; prefix?: ReadonlyArray<string> } = {}
): Promise<ChildResult> => {
  const prefix = options.prefix ?? []
  const [cmd, ...rest] = prefix.length > 0 ? [...prefix, tsxBin, file, ...args] : [tsxBin, file, ...args]
  return runChild(cmd!, rest, options)
}
