// The io_uring FileSystem's own logic (cursor, copy, read-ahead, write-behind, error relabelling)
// run through the parity suite over a node:fs stand-in for the engine.
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { heapAllocator } from "../src/internal/alloc.js"
import * as Uring from "../src/internal/uringFileSystem.js"
import { paritySuite } from "./parity/suite.js"
import { nodeEngine } from "./support/nodeEngine.js"

const logicLayer = Layer.effect(
  FileSystem.FileSystem,
  Effect.map(Effect.provide(FileSystem.FileSystem, NodeFileSystem.layer), (node) =>
    Uring.make(nodeEngine as any, node, {
      readAhead: 4,
      writeBehind: 4,
      copyChunkSize: 64 * 1024,
      copyLanes: 2,
      alloc: heapAllocator
    }))
)

paritySuite("io_uring FileSystem logic over a node:fs engine stand-in", logicLayer)
