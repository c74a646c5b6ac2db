import { allocAligned } from "@auraio/native"

/**
 * Where whole-file results live. Fresh memory costs a page fault per 4 KiB on first touch (on the
 * VMs we measured ~12 µs each: ~190 ms for 64 MiB, far more than reading the data); memory backed by
 * transparent huge pages takes one fault per 2 MiB.
 * @internal
 */
export type Allocator = (size: number) => Uint8Array

/** @internal */
export const heapAllocator: Allocator = (size) => Buffer.allocUnsafeSlow(size)

const HUGE_PAGE = 2 * 1024 * 1024

/**
 * Buffers of 2 MiB and more come from the native allocator aligned to 2 MiB, which asks the kernel
 * for transparent huge pages; smaller ones from the heap. The result is a Buffer (as Node's readFile
 * returns) over exactly `size` bytes. If the native allocator cannot serve, the heap does.
 * @internal
 */
export const hugePageAllocator: Allocator = (size) => {
  if (size < HUGE_PAGE) return Buffer.allocUnsafeSlow(size)
  try {
    const rounded = Math.ceil(size / HUGE_PAGE) * HUGE_PAGE
    const mem = allocAligned(rounded, HUGE_PAGE)
    return Buffer.from(mem.buffer, mem.byteOffset, size)
  } catch {
    return Buffer.allocUnsafeSlow(size)
  }
}
