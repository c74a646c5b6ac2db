// Position-derived test patterns: the byte at file offset `o` is a hash of (seed, o), so any read at
// any offset can be verified without a model, and a write that lands at the wrong offset, is lost or
// is torn shows up as a mismatch (the pattern has no period a misplaced block could hide in).
import { createHash } from "node:crypto"

const fmix32 = (h: number): number => {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

const word = (seed: number, w: number): number =>
  // Offsets beyond 2^32 words fold their high part in, so huge sparse offsets stay distinct.
  fmix32((Math.imul(seed, 0x9e3779b1) ^ (w >>> 0) ^ Math.imul(Math.floor(w / 0x1_0000_0000), 0x27d4eb2f)) >>> 0)

/** Fills `buf` with the pattern of `seed` as it would appear at file offset `offset`. */
export const fillPattern = (buf: Uint8Array, offset: number, seed: number): Uint8Array => {
  let i = 0
  let o = offset
  const n = buf.length
  while (i < n) {
    const w = Math.floor(o / 4)
    const h = word(seed, w)
    for (let b = o % 4; b < 4 && i < n; b++, i++, o++) buf[i] = (h >>> (b * 8)) & 0xff
  }
  return buf
}

export const pattern = (length: number, offset: number, seed: number): Uint8Array =>
  fillPattern(new Uint8Array(length), offset, seed)

/** Index of the first byte of `buf` that is not the pattern at `offset`, or -1. */
export const firstMismatch = (buf: Uint8Array, offset: number, seed: number): number => {
  const expected = pattern(buf.length, offset, seed)
  for (let i = 0; i < buf.length; i++) if (buf[i] !== expected[i]) return i
  return -1
}

export const sha256 = (...chunks: ReadonlyArray<Uint8Array>): string => {
  const h = createHash("sha256")
  for (const c of chunks) h.update(c)
  return h.digest("hex")
}

/** Deterministic PRNG (mulberry32) so a failing run can be replayed from its printed seed. */
export const rng = (seed: number) => {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number): boolean => next() < p
  }
}

/** Splits [0, total) into consecutive extents of random size in [min, max], then shuffles them. */
export const randomExtents = (
  total: number,
  min: number,
  max: number,
  r: ReturnType<typeof rng>
): Array<{ offset: number; length: number }> => {
  const out: Array<{ offset: number; length: number }> = []
  let off = 0
  while (off < total) {
    const length = Math.min(total - off, r.int(min, max))
    out.push({ offset: off, length })
    off += length
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = r.int(0, i)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}
