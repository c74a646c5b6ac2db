import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Engine, RawCallback } from "@auraio/native"

export const tmpDir = (name: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `auraio-${name}-`))

/** Runs a raw op and resolves with its result (the raw form never throws on -errno). */
export const raw = (submit: (cb: RawCallback) => number): Promise<number> =>
  new Promise((resolve) => {
    submit(resolve)
  })

export const errno = (name: string): number => -(os.constants.errno as Record<string, number>)[name]!

export const fileWith = (dir: string, name: string, bytes: Uint8Array): string => {
  const p = path.join(dir, name)
  fs.writeFileSync(p, bytes)
  return p
}

export const pattern = (size: number, seed = 1): Uint8Array => {
  const b = new Uint8Array(size)
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff
  return b
}

export const counter = (e: Engine, ring: number, idx: number): number => e.counters[ring * 16 + idx]!

export const sum = (e: Engine, idx: number): number => {
  let s = 0
  for (let r = 0; r < e.ringCount; r++) s += e.counters[r * 16 + idx]!
  return s
}
