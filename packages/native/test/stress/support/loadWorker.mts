// One worker of mixed-workers.stress.ts: its own engine on its own loop, the same mixed load.
import * as fs from "node:fs"
import { parentPort, workerData } from "node:worker_threads"
import { Counter, openEngine } from "../../../src/index.js"
import { runMixedLoad } from "./nativeLoad.js"

const { dir, ops, seed } = workerData as { dir: string; ops: number; seed: number }
const under = () => fs.readdirSync("/proc/self/fd").filter((f) => {
  try {
    return fs.readlinkSync(`/proc/self/fd/${f}`).startsWith(dir)
  } catch {
    return false
  }
}).length
const e = openEngine({ rings: 2 })
const res = await runMixedLoad(e, { dir, ops, concurrency: 64, seed })
let inFlight = 0
let queued = 0
for (let r = 0; r < e.ringCount; r++) {
  inFlight += e.counters[r * 16 + Counter.InFlight]!
  queued += e.counters[r * 16 + Counter.Queued]!
}
await e.close()
parentPort!.postMessage({
  ops: res.ops,
  cancelled: res.cancelled,
  errors: res.errors.length,
  firstError: res.errors[0] ?? "",
  duplicated: res.callbacksDuplicated,
  inFlight,
  queued,
  leakedFds: under()
})
