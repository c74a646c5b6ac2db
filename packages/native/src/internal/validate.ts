import { fileURLToPath } from "node:url"
import { ArgError } from "./errors.js"

// Everything here runs before any native call: the addon trusts its arguments.

const MAX_LEN = 0x7ffff000 // the kernel's MAX_RW_COUNT: larger transfers are short anyway

/** @internal */
export const fd = (v: unknown, name = "fd"): number => {
  if (typeof v !== "number") throw ArgError.type(name, "of type number", v)
  if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw ArgError.range(name, ">= 0 && <= 2147483647 and an integer", v)
  return v
}

/** dirfd: a descriptor or AT_FDCWD (-100). @internal */
export const dirfd = (v: unknown, name = "dirfd"): number => {
  if (v === -100) return v
  return fd(v, name)
}

/** @internal */
export const int = (v: unknown, name: string, min: number, max: number): number => {
  if (typeof v !== "number") throw ArgError.type(name, "of type number", v)
  if (!Number.isInteger(v) || v < min || v > max) throw ArgError.range(name, `>= ${min} && <= ${max} and an integer`, v)
  return v
}

/** @internal */
export const rangeError = (name: string, expected: string, actual: unknown): RangeError => ArgError.range(name, expected, actual)

/** @internal */
export const isDetached = (buf: ArrayBufferView): boolean => {
  const ab = buf.buffer as ArrayBuffer & { detached?: boolean }
  if (typeof ab.detached === "boolean") return ab.detached
  return ab.byteLength === 0 && buf.byteLength === 0 && buf.byteOffset === 0
}

/** A view as a Uint8Array over the same memory (no copy). @internal */
export const bytes = (v: unknown, name = "buffer"): Uint8Array => {
  if (!ArrayBuffer.isView(v)) throw ArgError.type(name, "an instance of Buffer, TypedArray, or DataView", v)
  if (isDetached(v)) throw ArgError.value(name, "is backed by a detached ArrayBuffer", v)
  if (v instanceof Uint8Array) return v
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
}

/** offset/length within buf, defaulting to the rest of the buffer. @internal */
export const span = (buf: Uint8Array, offset: unknown, length: unknown): readonly [number, number] => {
  const off = offset === undefined || offset === null ? 0 : int(offset, "offset", 0, buf.byteLength)
  const len =
    length === undefined || length === null ? buf.byteLength - off : int(length, "length", 0, Math.min(MAX_LEN, buf.byteLength - off))
  return [off, len]
}

/** null/undefined/-1 → -1 (current file position); otherwise a safe non-negative integer or bigint. @internal */
export const position = (v: unknown, name = "position"): number => {
  if (v === null || v === undefined || v === -1) return -1
  if (typeof v === "bigint") {
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw ArgError.range(name, ">= 0 && <= 2 ** 53 - 1", v)
    return Number(v)
  }
  if (typeof v !== "number") throw ArgError.type(name, "of type number or bigint", v)
  if (!Number.isSafeInteger(v) || v < 0) throw ArgError.range(name, ">= 0 && <= 2 ** 53 - 1 and an integer, or -1 / null for the current position", v)
  return v
}

/** A non-negative safe integer (offsets and lengths of fallocate, ftruncate, ...). @internal */
export const size = (v: unknown, name: string): number => {
  if (typeof v === "bigint") {
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw ArgError.range(name, ">= 0 && <= 2 ** 53 - 1", v)
    return Number(v)
  }
  if (typeof v !== "number") throw ArgError.type(name, "of type number or bigint", v)
  if (!Number.isSafeInteger(v) || v < 0) throw ArgError.range(name, ">= 0 && <= 2 ** 53 - 1 and an integer", v)
  return v
}

/** @internal */
export type PathLike = string | Uint8Array | URL

const decoder = new TextDecoder("utf-8", { fatal: false })

/** string | Uint8Array | file: URL → string without NUL bytes. @internal */
export const path = (v: unknown, name = "path"): string => {
  let s: string
  if (typeof v === "string") s = v
  else if (v instanceof URL) {
    if (v.protocol !== "file:") throw ArgError.value(name, "must be a file: URL", v.href)
    s = fileURLToPath(v)
  } else if (v instanceof Uint8Array) s = decoder.decode(v)
  else throw ArgError.type(name, "of type string or an instance of Buffer or URL", v)
  if (s.includes("\u0000")) throw ArgError.value(name, "must be a string, Uint8Array, or URL without null bytes", s)
  return s
}

/** @internal */
export const callback = <F>(v: F, name = "cb"): F => {
  if (typeof v !== "function") throw ArgError.type(name, "of type function", v)
  return v
}

/** @internal */
export const buffers = (v: unknown, name = "buffers"): Array<Uint8Array> => {
  if (!Array.isArray(v)) throw ArgError.type(name, "an Array of ArrayBufferView", v)
  if (v.length > 1024) throw ArgError.range(`${name}.length`, "<= 1024 (IOV_MAX)", v.length)
  return v.map((b, i) => bytes(b, `${name}[${i}]`))
}

const openFlags: Record<string, number> = {
  r: 0o0,
  rs: 0o4010000,
  sr: 0o4010000,
  "r+": 0o2,
  "rs+": 0o4010002,
  "sr+": 0o4010002,
  w: 0o1101,
  wx: 0o1301,
  xw: 0o1301,
  "w+": 0o1102,
  "wx+": 0o1302,
  "xw+": 0o1302,
  a: 0o2101,
  ax: 0o2301,
  xa: 0o2301,
  as: 0o4012101,
  sa: 0o4012101,
  "a+": 0o2102,
  "ax+": 0o2302,
  "xa+": 0o2302,
  "as+": 0o4012102,
  "sa+": 0o4012102
}

/** Node-style flags ("r", "w+", "a", ...) or a number; O_CLOEXEC is always added. @internal */
export const flags = (v: unknown): number => {
  const O_CLOEXEC = 0o2000000
  if (v === undefined || v === null) return O_CLOEXEC
  if (typeof v === "number") return int(v, "flags", -0x80000000, 0x7fffffff) | O_CLOEXEC
  if (typeof v === "string" && v in openFlags) return openFlags[v]! | O_CLOEXEC
  throw ArgError.value("flags", "is invalid", v)
}

/** @internal */
export const mode = (v: unknown, dflt: number): number => {
  if (v === undefined || v === null) return dflt
  if (typeof v === "string") {
    if (!/^[0-7]+$/.test(v)) throw ArgError.value("mode", "must be a 32-bit unsigned integer or an octal string", v)
    return parseInt(v, 8)
  }
  return int(v, "mode", 0, 0xffffffff)
}
