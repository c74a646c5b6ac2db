/** struct statx decoding (include/uapi/linux/stat.h). @internal */

/** @internal */
export const STATX_SIZE = 256
/** STATX_BASIC_STATS | STATX_BTIME @internal */
export const STATX_ALL_MASK = 0x7ff | 0x800
/** @internal */
export const AT_FDCWD = -100
/** @internal */
export const AT_EMPTY_PATH = 0x1000
/** @internal */
export const AT_SYMLINK_NOFOLLOW = 0x100
/** @internal */
export const AT_REMOVEDIR = 0x200

/** The fields of `fs.Stats` (numbers and milliseconds), decoded from a struct statx. @internal */
export interface Statx {
  readonly dev: number
  readonly ino: number
  readonly mode: number
  readonly nlink: number
  readonly uid: number
  readonly gid: number
  readonly rdev: number
  readonly size: number
  readonly blksize: number
  readonly blocks: number
  readonly atimeMs: number
  readonly mtimeMs: number
  readonly ctimeMs: number
  readonly birthtimeMs: number
  isFile(): boolean
  isDirectory(): boolean
  isSymbolicLink(): boolean
}

const makedev = (major: number, minor: number): number =>
  // glibc's makedev, kept within 2^53 for realistic majors
  (minor & 0xff) + (major & 0xfff) * 0x100 + (minor & ~0xff) * 0x1000 + Math.floor(major / 0x1000) * 0x100000000000

const S_IFMT = 0o170000

class StatxImpl implements Statx {
  constructor(
    readonly dev: number,
    readonly ino: number,
    readonly mode: number,
    readonly nlink: number,
    readonly uid: number,
    readonly gid: number,
    readonly rdev: number,
    readonly size: number,
    readonly blksize: number,
    readonly blocks: number,
    readonly atimeMs: number,
    readonly mtimeMs: number,
    readonly ctimeMs: number,
    readonly birthtimeMs: number
  ) {}
  isFile() {
    return (this.mode & S_IFMT) === 0o100000
  }
  isDirectory() {
    return (this.mode & S_IFMT) === 0o040000
  }
  isSymbolicLink() {
    return (this.mode & S_IFMT) === 0o120000
  }
}

/** @internal */
export const parseStatx = (buf: Uint8Array): Statx => {
  const v = new DataView(buf.buffer, buf.byteOffset, STATX_SIZE)
  const u64 = (o: number) => Number(v.getBigUint64(o, true))
  const ts = (o: number) => Number(v.getBigInt64(o, true)) * 1000 + v.getUint32(o + 8, true) / 1e6
  return new StatxImpl(
    makedev(v.getUint32(136, true), v.getUint32(140, true)),
    u64(32),
    v.getUint16(28, true),
    v.getUint32(16, true),
    v.getUint32(20, true),
    v.getUint32(24, true),
    makedev(v.getUint32(128, true), v.getUint32(132, true)),
    u64(40),
    v.getUint32(4, true),
    u64(48),
    ts(64),
    ts(112),
    ts(96),
    ts(80)
  )
}
