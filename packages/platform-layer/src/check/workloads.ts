/**
 * The fixed workloads of the storage check, in the order they run. The order matters: the page-cache
 * workloads run while the scratch file is warm, O_DIRECT reads (which evict the pages they touch) come
 * after them, and random writes come last so their dirty pages never sit under a read workload.
 *
 * @internal
 */

/** @internal */
export type WorkloadId = "randread-cached" | "seqread" | "readfile" | "stream" | "randread-direct" | "randwrite-sync"

/** @internal */
export interface Workload {
  readonly id: WorkloadId
  readonly title: string
  /** Bytes per operation (per chunk for streams; the whole file for readFile). */
  readonly blockSize: number
  /** Operations in flight: workers per peer. */
  readonly concurrency: number
  /** Whether the page cache must be warm before each run. */
  readonly warm: boolean
  readonly direct: boolean
}

/** @internal */
export const READFILE_MAX = 64 * 1024 * 1024

/** @internal */
export const workloads: ReadonlyArray<Workload> = [
  { id: "randread-cached", title: "4 KiB random reads (page cache)", blockSize: 4096, concurrency: 32, warm: true, direct: false },
  { id: "seqread", title: "128 KiB sequential reads", blockSize: 128 * 1024, concurrency: 4, warm: true, direct: false },
  { id: "readfile", title: "readFile", blockSize: 0, concurrency: 1, warm: true, direct: false },
  { id: "stream", title: "stream (sequential, whole file)", blockSize: 64 * 1024, concurrency: 1, warm: true, direct: false },
  { id: "randread-direct", title: "4 KiB random reads (O_DIRECT)", blockSize: 4096, concurrency: 64, warm: false, direct: true },
  { id: "randwrite-sync", title: "4 KiB random writes + fdatasync", blockSize: 4096, concurrency: 8, warm: false, direct: false }
]

/** @internal */
export type PeerId = "node" | "effect-node" | "aura-engine" | "aura-fs"

/** @internal */
export const peerLabels: Record<PeerId, string> = {
  node: "Node fs/promises",
  "effect-node": "NodeFileSystem",
  "aura-engine": "AuraIO Effect API",
  "aura-fs": "AuraFileSystem layer"
}

/** @internal */
export const peerIds: ReadonlyArray<PeerId> = ["node", "effect-node", "aura-engine", "aura-fs"]
