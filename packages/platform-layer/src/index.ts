/**
 * @since 0.1.0
 */
export * as AuraFileSystem from "./AuraFileSystem.js"
