/**
 * Aligned buffers for O_DIRECT. `@auraio/native`'s `allocAligned` when it is there; otherwise a slab from
 * the V8 heap whose aligned offset is found by probing (an O_DIRECT read from a misaligned address fails
 * with EINVAL at once), since JavaScript cannot see a buffer's address.
 *
 * @internal
 */
import * as fs from "node:fs"

/** `count` buffers of `size` bytes, each aligned for O_DIRECT on `fd`. @internal */
export type AllocAligned = (count: number, size: number, fd: number) => Promise<ReadonlyArray<Uint8Array>>

const PAGE = 4096

/** @internal */
export const fromNative = (allocAligned: (size: number, alignment?: number) => Uint8Array): AllocAligned =>
  (count, size) => Promise.resolve(Array.from({ length: count }, () => allocAligned(size, PAGE)))

/** @internal */
export const probing: AllocAligned = (count, size, fd) =>
  new Promise((resolve, reject) => {
    const slab = new Uint8Array(new ArrayBuffer(count * size + PAGE))
    const tryAt = (off: number) => {
      if (off >= PAGE) return reject(new Error("no aligned offset found for O_DIRECT buffers"))
      fs.read(fd, slab, off, PAGE, 0, (err) => {
        if (err) return (err as NodeJS.ErrnoException).code === "EINVAL" ? tryAt(off + 16) : reject(err)
        resolve(Array.from({ length: count }, (_, i) => slab.subarray(off + i * size, off + (i + 1) * size)))
      })
    }
    tryAt(0)
  })
