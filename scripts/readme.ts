/**
 * Rebuilds README.md from docs/README.template.md: each `<!-- example: FILE -->` line becomes that file
 * as a `ts` code block, so the README shows exactly the examples the tests type-check and run.
 *
 *   node_modules/.bin/tsx scripts/readme.ts
 */
import { readFileSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")

export const render = (template: string): string =>
  template.replace(/^<!-- example: (\S+) -->$/gm, (_, file: string) =>
    `<!-- example: ${file} -->\n\`\`\`ts\n${readFileSync(join(root, file), "utf8").trimEnd()}\n\`\`\``)

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  writeFileSync(join(root, "README.md"), render(readFileSync(join(root, "docs", "README.template.md"), "utf8")))
  console.log("wrote README.md")
}
