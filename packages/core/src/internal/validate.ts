import type { BadArgument } from "@effect/platform/Error"
import { badArgument } from "./errno.js"

// Validation runs in TS so native code never sees a value it could crash on. Each returns the
// normalized value or a BadArgument; callers branch with `typeof x === "object"`.

const MAX_FD = 0x7fffffff

// Messages name the rejected value; rendering it must never throw (JSON.stringify throws on bigints,
// String() on null-prototype objects) and a multi-kilobyte path is cut short.
/** @internal */
export const show = (v: unknown): string => {
  try {
    if (typeof v === "string") return JSON.stringify(v.length > 120 ? `${v.slice(0, 120)}…` : v)
    if (typeof v === "bigint") return `${v}n`
    return String(v)
  } catch {
    return Object.prototype.toString.call(v)
  }
}

/** @internal */
export const checkFd = (method: string, fd: unknown): BadArgument | undefined =>
  typeof fd === "number" && Number.isInteger(fd) && fd >= 0 && fd <= MAX_FD
    ? undefined
    : badArgument(method, `fd must be a non-negative integer, got ${show(fd)}`)

/** `undefined` → -1 (the file cursor); bigints are accepted up to 2^53. @internal */
export const normPosition = (method: string, position: unknown): number | BadArgument => {
  if (position === undefined || position === null) return -1
  if (typeof position === "number") {
    if (Number.isSafeInteger(position) && position >= 0) return position
  } else if (typeof position === "bigint") {
    if (position >= 0n && position <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(position)
  }
  return badArgument(method, `position must be a non-negative safe integer, got ${show(position)}`)
}

/** @internal */
export const normLength = (method: string, what: string, value: unknown): number | BadArgument => {
  if (typeof value === "bigint" && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value)
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value
  return badArgument(method, `${what} must be a non-negative safe integer, got ${show(value)}`)
}

// Only a zero-length view can sit on a detached buffer, so the costly probe runs only then. Node 20
// lacks `ArrayBuffer.prototype.detached`; constructing a view over a detached buffer throws instead.
const isDetached = (buf: Uint8Array): boolean => {
  if (buf.byteLength !== 0) return false
  const ab = buf.buffer as ArrayBuffer & { detached?: boolean }
  if (typeof ab.detached === "boolean") return ab.detached
  try {
    new Uint8Array(ab)
    return false
  } catch {
    return true
  }
}

/** @internal */
export const checkBuffer = (method: string, buf: unknown): BadArgument | undefined => {
  if (!(buf instanceof Uint8Array)) return badArgument(method, "buffer must be a Uint8Array")
  if (isDetached(buf)) return badArgument(method, "buffer is detached")
  return undefined
}

/** @internal */
export const checkBuffers = (method: string, bufs: unknown): BadArgument | undefined => {
  if (!Array.isArray(bufs)) return badArgument(method, "buffers must be an array of Uint8Array")
  if (bufs.length > 1024) return badArgument(method, `at most 1024 buffers (IOV_MAX), got ${bufs.length}`)
  for (let i = 0; i < bufs.length; i++) {
    const bad = checkBuffer(method, bufs[i])
    if (bad !== undefined) return bad
  }
  return undefined
}

/** @internal */
export const checkPath = (method: string, path: unknown): BadArgument | undefined =>
  typeof path === "string" && path.length > 0 && !path.includes("\u0000")
    ? undefined
    : badArgument(method, `path must be a non-empty string without NUL bytes, got ${show(path)}`)

/** @internal */
export const checkMode = (method: string, mode: unknown): BadArgument | undefined =>
  typeof mode === "number" && Number.isInteger(mode) && mode >= 0 && mode <= 0o7777
    ? undefined
    : badArgument(method, `mode must be an integer in 0..0o7777, got ${show(mode)}`)
