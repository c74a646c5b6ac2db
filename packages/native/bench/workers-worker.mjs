// One worker of bench/workers.ts: 4 KiB random reads at depth 32 for `seconds`, through a shared engine,
// a private engine, or node:fs (libuv's thread pool), after the parent says go.
import * as fs from "node:fs"
import { parentPort, workerData } from "node:worker_threads"
import { openEngine } from "../dist/index.js"

const { mode, file, span, seconds, seed } = workerData
const BS = 4096
const DEPTH = 32
const pages = span / BS
const fd = fs.openSync(file, "r")
const engine = mode === "shared" ? openEngine({ shared: true }) : mode === "private" ? openEngine() : undefined
let x = seed
const page = () => {
  x = (x * 1103515245 + 12345) & 0x7fffffff
  return x % pages
}
parentPort.once("message", () => {
  let ops = 0
  let stop = false
  let lanes = DEPTH
  const t0 = performance.now()
  setTimeout(() => (stop = true), seconds * 1000)
  const finish = async () => {
    const secs = (performance.now() - t0) / 1000
    if (engine) await engine.close()
    fs.closeSync(fd)
    parentPort.postMessage({ ops, secs })
  }
  const lane = (buf) => {
    const again = (r) => {
      if (r !== BS) throw new Error(`read returned ${r}`)
      ops++
      if (stop) {
        if (--lanes === 0) void finish()
        return
      }
      if (engine) engine.raw.read(fd, buf, BS, page() * BS, again)
      else fs.read(fd, buf, 0, BS, page() * BS, (err, n) => (err ? again(-1) : again(n)))
    }
    if (engine) engine.raw.read(fd, buf, BS, page() * BS, again)
    else fs.read(fd, buf, 0, BS, page() * BS, (err, n) => (err ? again(-1) : again(n)))
  }
  for (let i = 0; i < DEPTH; i++) lane(new Uint8Array(BS))
})
parentPort.postMessage({ ready: true })
