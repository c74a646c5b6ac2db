// Runs support/loadWorker.mts in `count` worker_threads and collects each one's final report.
import * as fs from "node:fs"
import * as path from "node:path"
import { Worker } from "node:worker_threads"

export type WorkerReport = Record<string, number | string>

export const runLoadWorkers = (
  options: { readonly dir: string; readonly count: number; readonly ops: number; readonly seed: number; readonly shared?: boolean }
): Promise<Array<WorkerReport>> => {
  const script = new URL("./loadWorker.mts", import.meta.url)
  const tsxApi = new URL("../../../../../node_modules/tsx/dist/esm/api/index.mjs", import.meta.url)
  // Workers get no vite transform and Node 20 does not pass --import hooks to them: register tsx inside
  // the worker, then load the TypeScript worker module.
  const boot = `import(${JSON.stringify(tsxApi.href)}).then((m) => { m.register(); return import(${JSON.stringify(script.href)}) })`
  return Promise.all(
    Array.from({ length: options.count }, (_, i) =>
      new Promise<WorkerReport>((resolve, reject) => {
        const w = new Worker(boot, {
          eval: true,
          workerData: {
            dir: fs.mkdtempSync(path.join(options.dir, `w${i}-`)),
            ops: options.ops,
            seed: options.seed + i,
            ...(options.shared ? { shared: true } : {})
          }
        })
        w.once("message", resolve)
        w.once("error", reject)
        w.once("exit", (code) => code !== 0 && reject(new Error(`worker ${i} exited with ${code}`)))
      }))
  )
}
