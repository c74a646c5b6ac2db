// One worker of mixed-workers.stress.ts (its own engine on its own loop) or shared-workers.stress.ts
// (`shared: true`: an engine on the process-wide rings), the same mixed load.
import * as fs from "node:fs"
import { parentPort, workerData } from "node:worker_threads"
import { Counter, openEngine } from "../../../src/index.js"
import { runMixedLoad } from "./nativeLoad.js"

const { dir, ops, seed, shared } = workerData as { dir: string; ops: number; seed: number; shared?: boolean }
const under = () => fs.readdirSync("/proc/self/fd").filter((f) => {
  try {
    return fs.readlinkSync(`/proc/self/fd/${f}`).startsWith(dir)
  } catch {
    return false
  }
}).length
const e = shared === true ? openEngine({ shared: true }) : openEngine({ rings: 2 })
const res = await runMixedLoad(e, { dir, ops, concurrency: 64, seed })
let inFlight = 0
let queued = 0
for (let r = 0; r < e.ringCount; r++) {
  inFlight += e.counters[r * 16 + Counter.InFlight]!
  queued += e.counters[r * 16 + Counter.Queued]!
}
const ringFds = [...e.ringFds]
await e.close()
parentPort!.postMessage({
  ringFds: ringFds.join(","),
  shared: e.shared ? 1 : 0,
  ops: res.ops,
  cancelled: res.cancelled,
  cancelRequested: res.cancelRequested,
  errors: res.errors.length,
  firstError: res.errors[0] ?? "",
  duplicated: res.callbacksDuplicated,
  inFlight,
  queued,
  leakedFds: under()
})
