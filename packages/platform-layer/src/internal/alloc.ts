/**
 * Where whole-file results live. Fresh memory costs a page fault per 4 KiB on first touch (on this
 * kind of VM ~12 µs each: 190 ms for 64 MiB, more than the read itself); memory backed by
 * transparent huge pages takes one fault per 2 MiB.
 * @internal
 */
export type Allocator = (size: number) => Uint8Array

/** @internal */
export const heapAllocator: Allocator = (size) => Buffer.allocUnsafeSlow(size)
