import * as FileSystem from "@effect/platform/FileSystem"
import * as Option from "effect/Option"

/** `struct statx` is 256 bytes; native writes it into a caller buffer of at least that size. @internal */
export const STATX_SIZE = 256
/** STATX_BASIC_STATS | STATX_BTIME: what libuv asks for, so every field Node fills is filled. @internal */
export const STATX_MASK = 0x7ff | 0x800
/** @internal */
export const STATX_BTIME = 0x800
/** @internal */
export const AT_FDCWD = -100
/** @internal */
export const AT_SYMLINK_NOFOLLOW = 0x100
/** @internal */
export const AT_EMPTY_PATH = 0x1000
/** @internal */
export const AT_REMOVEDIR = 0x200

const S_IFMT = 0o170000

const typeOf = (mode: number): FileSystem.File.Type => {
  switch (mode & S_IFMT) {
    case 0o100000:
      return "File"
    case 0o040000:
      return "Directory"
    case 0o120000:
      return "SymbolicLink"
    case 0o060000:
      return "BlockDevice"
    case 0o020000:
      return "CharacterDevice"
    case 0o010000:
      return "FIFO"
    case 0o140000:
      return "Socket"
    default:
      return "Unknown"
  }
}

// u64 as a double: the same precision Node's number-valued Stats have.
const u64 = (v: DataView, off: number) => v.getUint32(off, true) + v.getUint32(off + 4, true) * 0x1_0000_0000

// statx_timestamp { i64 tv_sec; u32 tv_nsec } → Date with Node's millisecond rounding.
// Node computes the fractional milliseconds first, then rounds them (lib/internal/fs/utils.js dateFromMs);
// `new Date` alone would truncate and disagree in the last millisecond about half the time.
const time = (v: DataView, off: number) =>
  new Date(Math.round(Number(v.getBigInt64(off, true)) * 1000 + v.getUint32(off + 8, true) / 1e6))

// glibc makedev(), which libuv applies to stx_dev_{major,minor}; multiplications keep it exact past 2^32.
const makedev = (major: number, minor: number) =>
  (major & 0xfff) * 0x100 + (minor & 0xff) + (minor >>> 8) * 0x10_0000 + (major >>> 12) * 0x1000_0000_0000

/**
 * Decode a `struct statx` into `FileSystem.File.Info`, field for field what NodeFileSystem derives
 * from `fs.Stats` (libuv fills `Stats` from the same statx call).
 * @internal
 */
export const decodeStatx = (buf: Uint8Array): FileSystem.File.Info => {
  const v = new DataView(buf.buffer, buf.byteOffset, STATX_SIZE)
  const mode = v.getUint16(28, true)
  return {
    type: typeOf(mode),
    mtime: Option.some(time(v, 112)),
    atime: Option.some(time(v, 64)),
    birthtime: Option.some(time(v, 80)),
    dev: makedev(v.getUint32(136, true), v.getUint32(140, true)),
    rdev: Option.some(makedev(v.getUint32(128, true), v.getUint32(132, true))),
    ino: Option.some(u64(v, 32)),
    mode,
    nlink: Option.some(v.getUint32(16, true)),
    uid: Option.some(v.getUint32(20, true)),
    gid: Option.some(v.getUint32(24, true)),
    size: FileSystem.Size(u64(v, 40)),
    blksize: Option.some(FileSystem.Size(v.getUint32(4, true))),
    blocks: Option.some(u64(v, 48))
  }
}
