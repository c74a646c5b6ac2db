import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Worker } from "node:worker_threads"
import { afterAll, describe, expect, it } from "vitest"
import { fileWith, pattern, tmpDir } from "./helpers.js"

const dir = tmpDir("worker")
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const script = new URL("./fixtures/worker.mjs", import.meta.url)

const run = (workerData: unknown) => {
  const w = new Worker(script, { workerData })
  const messages: Array<Record<string, unknown>> = []
  const first = new Promise<Record<string, unknown>>((resolve, reject) => {
    w.once("message", resolve)
    w.once("error", reject)
  })
  w.on("message", (m) => messages.push(m))
  const exit = new Promise<number>((resolve) => w.once("exit", resolve))
  return { w, first, exit, messages }
}

const hashOf = (b: Uint8Array) => {
  let h = 0
  for (let i = 0; i < b.length; i++) h = (h * 31 + b[i]!) >>> 0
  return h
}

describe("worker_threads", () => {
  it("engines in several workers submit and complete on their own threads", async () => {
    const data = pattern(256 * 1024, 9)
    const file = fileWith(dir, "w.bin", data)
    const runs = [run({ mode: "read", file }), run({ mode: "read", file }), run({ mode: "read", file })]
    const results = await Promise.all(runs.map((r) => r.first))
    for (const r of results) {
      expect(r["sum"]).toBe(data.length)
      expect(r["hash"]).toBe(hashOf(data))
      expect(r["completed"]).toBe(64)
    }
    expect(new Set(results.map((r) => r["threadId"])).size).toBe(3)
    expect(await Promise.all(runs.map((r) => r.exit))).toEqual([0, 0, 0])
  })

  it("terminating a worker with an op in flight tears its rings down cleanly", async () => {
    const fifo = path.join(dir, "hang.fifo")
    execFileSync("mkfifo", [fifo])
    const r = run({ mode: "hang", fifo })
    expect((await r.first)["ready"]).toBe(true)
    await r.w.terminate()
    expect(await r.exit).toBe(1)
  })

  it("terminating a worker with thread-pool fallbacks in flight waits for them and exits cleanly", async () => {
    const file = fileWith(dir, "fb.bin", pattern(65536))
    for (let i = 0; i < 3; i++) {
      const r = run({ mode: "fallback-burst", file })
      expect((await r.first)["ready"]).toBe(true)
      await r.w.terminate()
      expect(await r.exit).toBe(1)
    }
  })

  it("an idle engine that was never closed does not keep its worker alive", async () => {
    const r = run({ mode: "idle" })
    expect((await r.first)["ready"]).toBe(true)
    expect(await r.exit).toBe(0)
  })
})
