import * as fs from "node:fs"
import { afterAll, describe, expect, it } from "vitest"
import { openEngine } from "@auraio/native"
import { fileWith, pattern, tmpDir } from "./helpers.js"

const dir = tmpDir("turn")
const engine = openEngine()
afterAll(async () => {
  await engine.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

describe("event-loop turns", () => {
  // Callbacks that submit again keep every round of the pump busy. The pump ends a turn after ~1 ms
  // so timers and immediates still run; before that bound it delivered up to 8 passes x 64 rounds
  // (16384 reads at depth 32, ~100 ms) before the loop saw anything else.
  it("an immediate runs while callbacks keep resubmitting, within a bounded number of completions", async () => {
    const size = 1 << 20
    const data = pattern(size, 3)
    const fd = fs.openSync(fileWith(dir, "loop.bin", data), "r")
    try {
      let completions = 0
      let atImmediate = -1
      let bad = 0
      await new Promise<void>((done) => {
        let live = 32
        for (let i = 0; i < 32; i++) {
          const buf = new Uint8Array(4096)
          let pos = (i * 4096) % size
          const cb = (res: number) => {
            // Armed from inside the pump: the immediate can only run once the pump gives the turn back.
            if (completions++ === 0) {
              setImmediate(() => {
                atImmediate = completions
              })
            }
            if (res !== 4096 || buf[0] !== data[pos]) bad++
            if (atImmediate < 0) {
              pos = (pos + 32 * 4096) % size
              engine.raw.read(fd, buf, 4096, pos, cb)
            } else if (--live === 0) done()
          }
          engine.raw.read(fd, buf, 4096, pos, cb)
        }
      })
      expect(bad).toBe(0)
      expect(atImmediate).toBeGreaterThan(0)
      // The turn is bounded in time (1 ms); 8192 reads take several ms even on a fast idle machine.
      expect(atImmediate).toBeLessThan(8192)
    } finally {
      fs.closeSync(fd)
    }
  })
})
