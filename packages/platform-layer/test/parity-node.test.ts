// The reference run: the parity suite against NodeFileSystem itself. If this fails, the suite
// (not the layer) is wrong about NodeFileSystem.
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { paritySuite } from "./parity/suite.js"

paritySuite("NodeFileSystem.layer", NodeFileSystem.layer)
