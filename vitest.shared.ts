import { fileURLToPath } from "node:url"

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

/** Tests import the workspace packages from their TypeScript sources, not from dist/. */
export const alias = {
  "@auraio/native": src("native"),
  "@auraio/core": src("core"),
  "@auraio/platform-layer": src("platform-layer")
}
