// The parity suite against AuraFileSystem forced into its NodeFileSystem fallback.
import { AuraFileSystem } from "@auraio/platform-layer"
import { paritySuite } from "./parity/suite.js"

paritySuite("AuraFileSystem.layer (forced fallback)", AuraFileSystem.layerWith({ forceFallback: true }))
