/**
 * The storage check's result: what `--json` prints and what the table and the HTML page are drawn from.
 * Plain JSON values only, versioned, so scripts can rely on it.
 *
 * @internal
 */
import type { PeerId, WorkloadId } from "./workloads.js"

/** One timeline point of a run: throughput and latency over the last interval, and the rings' limits. @internal */
export interface Sample {
  /** Seconds since the workload started (all peers of a workload share the axis). */
  readonly t: number
  /** Which round of the workload the sample belongs to (a chart draws each round as its own line). */
  readonly round: number
  readonly iops: number
  readonly mbps: number
  readonly p99Us: number
  /** In-flight limit per ring (AuraIO runs only): what the AIMD controller chose. */
  readonly limits?: ReadonlyArray<number>
  readonly ringP99Us?: ReadonlyArray<number>
}

/** @internal */
export interface RoundResult {
  readonly iops: number
  readonly mbps: number
  readonly cpuPct: number
  readonly seconds: number
}

/** @internal */
export interface PeerResult {
  readonly peer: PeerId
  readonly label: string
  readonly status: "ok" | "unavailable" | "error"
  readonly reason?: string
  /** Medians over the rounds. */
  readonly iops: number
  readonly mbps: number
  /** Over every operation of every round. */
  readonly p50Us: number
  readonly p99Us: number
  /** Process CPU time over wall time, in % of one core (median over rounds). */
  readonly cpuPct: number
  readonly ops: number
  readonly bytes: number
  readonly seconds: number
  /** MB/s over Node fs/promises' MB/s on the same workload. */
  readonly speedup: number | null
  readonly rounds: ReadonlyArray<RoundResult>
  readonly timeline: ReadonlyArray<Sample>
}

/** @internal */
export interface WorkloadResult {
  readonly id: WorkloadId
  readonly title: string
  readonly blockSize: number
  readonly concurrency: number
  readonly peers: ReadonlyArray<PeerResult>
}

/** @internal */
export interface Report {
  readonly version: 1
  readonly tool: "auraio check"
  readonly startedAt: string
  readonly elapsedSeconds: number
  readonly host: {
    readonly platform: string
    readonly kernel: string
    readonly cpus: number
    readonly node: string
  }
  readonly options: { readonly dir: string; readonly size: number; readonly duration: number }
  readonly scratch: {
    readonly fsType: string
    readonly size: number
    readonly readFileSize: number
    readonly createSeconds: number
    readonly directUnsupported: string | null
    readonly sizeNote: string | null
  }
  readonly aura: {
    readonly engine: "available" | "unavailable"
    readonly engineReason: string | null
    readonly fileSystem: "available" | "unavailable" | "fallback"
    readonly fileSystemReason: string | null
    readonly rings: number
  }
  readonly rounds: number
  readonly workloads: ReadonlyArray<WorkloadResult>
  readonly interrupted: boolean
}
