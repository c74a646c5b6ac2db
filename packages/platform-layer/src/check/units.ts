/**
 * Parsing and formatting of sizes, durations and rates for the storage check's options and output.
 *
 * @internal
 */

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4
}

/** Binary units: `1G`, `512MiB`, `64m`, `1048576`. Returns a reason string when the text is not a size. */
export const parseSize = (text: string): number | string => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text)
  if (!m) return `'${text}' is not a size (examples: 1G, 256M, 64MiB)`
  const unit = SIZE_UNITS[m[2]!.toLowerCase()]
  if (unit === undefined) return `'${m[2]}' is not a size unit (use K, M, G or T; binary multiples)`
  const bytes = Math.floor(Number(m[1]) * unit)
  if (!Number.isSafeInteger(bytes)) return `'${text}' is too large`
  return bytes
}

const DURATION_UNITS: Record<string, number> = { "": 1, s: 1, sec: 1, ms: 0.001, m: 60, min: 60 }

/** Seconds: `60`, `60s`, `1.5s`, `500ms`, `2m`. Returns a reason string when the text is not a duration. */
export const parseDuration = (text: string): number | string => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text)
  if (!m) return `'${text}' is not a duration (examples: 60, 30s, 1500ms, 2m)`
  const unit = DURATION_UNITS[m[2]!.toLowerCase()]
  if (unit === undefined) return `'${m[2]}' is not a duration unit (use ms, s or m)`
  return Number(m[1]) * unit
}

export const formatBytes = (n: number): string => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"]
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`
}

export const formatCount = (n: number): string =>
  n === 0 ? "0" : n >= 100 ? Math.round(n).toLocaleString("en-US") : n >= 10 ? n.toFixed(1) : n.toFixed(2)

export const formatMicros = (us: number): string =>
  us === 0 ? "0" : us >= 1000 ? `${(us / 1000).toFixed(us >= 10_000 ? 0 : 2)} ms` : `${us.toFixed(us >= 100 ? 0 : 1)} µs`
