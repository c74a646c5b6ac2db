/**
 * The Node peer: `node:fs/promises` `FileHandle`s, one per worker (what a careful Node program does),
 * and `fs.createReadStream` for the stream workload (Node's own streaming path).
 *
 * @internal
 */
import { constants, createReadStream } from "node:fs"
import * as fsp from "node:fs/promises"
import { performance } from "node:perf_hooks"
import type { Meter } from "../meter.js"
import { rng } from "../meter.js"
import type { Scratch } from "../scratch.js"
import type { Workload } from "../workloads.js"
import type { AllocAligned } from "./aligned.js"

const workers = async (m: Meter, n: number, body: (w: number) => Promise<void>): Promise<void> => {
  const all = []
  for (let w = 0; w < n; w++) {
    all.push(
      body(w).catch((e) => {
        m.stopped = true
        throw e
      })
    )
  }
  await Promise.all(all)
}

/** @internal */
export const run = async (w: Workload, s: Scratch, m: Meter, alloc: AllocAligned, signal: AbortSignal): Promise<void> => {
  signal.addEventListener("abort", () => (m.stopped = true), { once: true })
  switch (w.id) {
    case "randread-cached":
    case "randread-direct": {
      const flags = constants.O_RDONLY | (w.direct ? constants.O_DIRECT : 0)
      const blocks = Math.floor(s.size / w.blockSize)
      const fh = await fsp.open(s.file, flags)
      try {
        const bufs = await alloc(w.concurrency, w.blockSize, fh.fd)
        await workers(m, w.concurrency, async (i) => {
          const buf = bufs[i]!
          const next = rng(i + 1)
          while (!m.done()) {
            const t0 = performance.now()
            const { bytesRead } = await fh.read(buf, 0, w.blockSize, next(blocks) * w.blockSize)
            m.record(t0, bytesRead)
          }
        })
      } finally {
        await fh.close()
      }
      return
    }
    case "seqread": {
      const fh = await fsp.open(s.file, "r")
      try {
        const region = Math.floor(s.size / w.concurrency / w.blockSize) * w.blockSize
        await workers(m, w.concurrency, async (i) => {
          const buf = Buffer.allocUnsafe(w.blockSize)
          const start = i * region
          let off = 0
          while (!m.done()) {
            const t0 = performance.now()
            const { bytesRead } = await fh.read(buf, 0, w.blockSize, start + off)
            m.record(t0, bytesRead)
            off = off + w.blockSize >= region ? 0 : off + w.blockSize
          }
        })
      } finally {
        await fh.close()
      }
      return
    }
    case "randwrite-sync": {
      const fh = await fsp.open(s.file, "r+")
      try {
        const blocks = Math.floor(s.size / w.blockSize)
        await workers(m, w.concurrency, async (i) => {
          const buf = Buffer.alloc(w.blockSize, i)
          const next = rng(i + 101)
          while (!m.done()) {
            const t0 = performance.now()
            const { bytesWritten } = await fh.write(buf, 0, w.blockSize, next(blocks) * w.blockSize)
            await fh.datasync()
            m.record(t0, bytesWritten)
          }
        })
      } finally {
        await fh.close()
      }
      return
    }
    case "readfile": {
      while (!m.done()) {
        const t0 = performance.now()
        const data = await fsp.readFile(s.smallFile, { signal })
        m.record(t0, data.length)
      }
      return
    }
    case "stream": {
      while (!m.done()) {
        const stream = createReadStream(s.file, { highWaterMark: w.blockSize })
        let t0 = performance.now()
        try {
          for await (const chunk of stream) {
            m.record(t0, (chunk as Buffer).length)
            if (m.done()) break
            t0 = performance.now()
          }
        } finally {
          stream.destroy()
        }
      }
      return
    }
  }
}
