/**
 * @auraio/core — the Effect API over io_uring: an engine service whose every operation is an
 * interruptible `Effect`, scoped files and buffers, batch reads, streams, the AIMD controller and
 * Effect Metrics.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Aimd from "./Aimd.js"

/**
 * @since 0.1.0
 */
export { AuraBufferPool } from "./AuraBufferPool.js"

/**
 * @since 0.1.0
 */
export { AuraEngine } from "./AuraEngine.js"

/**
 * @since 0.1.0
 */
export * as AuraError from "./AuraError.js"

/**
 * @since 0.1.0
 */
export { EngineSetupError } from "./AuraError.js"

/**
 * @since 0.1.0
 */
export * as AuraMetrics from "./AuraMetrics.js"
