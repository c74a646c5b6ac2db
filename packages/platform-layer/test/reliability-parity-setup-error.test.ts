// The whole parity suite against AuraFileSystem.layer when io_uring setup *fails* (the automatic
// fallback, not forceFallback): the native engine's test hook makes ring setup fail with EPERM, as
// kernel.io_uring_disabled=2 or a seccomp profile would. The hook is read when the layer opens the
// engine, and vitest runs each file in its own process, so setting it here affects this file only.
import { AuraFileSystem } from "@auraio/platform-layer"
import { paritySuite } from "./parity/suite.js"

process.env["AURAIO_FORCE_SETUP_ERROR"] = "EPERM"

paritySuite("AuraFileSystem.layer (io_uring setup failed: EPERM → automatic fallback)", AuraFileSystem.layer)
