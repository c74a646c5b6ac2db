/**
 * The documentation a newcomer reads is checked like code: the README shows exactly the example files
 * (which tsc type-checks through tsconfig.test.json, and which run here against the real engine), the
 * API reference generator documents every public export, and the benchmark suite's table regeneration
 * keeps docs/performance.md's hand-written sections intact.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Suite from "../scripts/bench/suite.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const readme = fs.readFileSync(path.join(root, "README.md"), "utf8")

const readmeExamples = (): ReadonlyArray<{ file: string; code: string }> =>
  [...readme.matchAll(/^<!-- example: (\S+) -->\n```ts\n([\s\S]*?)\n```$/gm)].map((m) => ({ file: m[1]!, code: m[2]! }))

describe("README", () => {
  it("opens with what AuraIO is, then the two commands", () => {
    const intro = readme.indexOf("Self-tuning io_uring file I/O")
    const start = readme.indexOf("npm start")
    const test = readme.indexOf("npm test")
    assert.isTrue(intro > 0 && intro < start && start < test, "intro, then npm start, then npm test")
    for (const section of ["## Swap a Layer", "## Batch reads", "## Scoped buffers", "## Low-level API", "## Requirements", "fallback", "## Troubleshooting"]) {
      assert.include(readme, section)
    }
  })

  it("shows every docs/examples/readme-*.ts file, byte for byte", () => {
    const shown = readmeExamples()
    const files = fs.readdirSync(path.join(root, "docs", "examples")).filter((f) => /^readme-.*\.ts$/.test(f))
    assert.sameMembers(shown.map((e) => path.basename(e.file)), files)
    for (const e of shown) {
      assert.strictEqual(e.code, fs.readFileSync(path.join(root, e.file), "utf8").trimEnd(), `${e.file} differs from the README`)
    }
  })

  it("README.md is what scripts/readme.mjs renders from docs/README.template.md", async () => {
    const { render } = await import("../scripts/readme.js")
    assert.strictEqual(render(fs.readFileSync(path.join(root, "docs", "README.template.md"), "utf8")), readme)
  })

  // The examples run against the real engine (the tsconfig's paths map @auraio/* to the sources).
  const expected: Record<string, RegExp> = {
    "readme-layer-swap.ts": /hello from io_uring/,
    "readme-batch-read.ts": /read 256 blocks, \d+ bytes/,
    "readme-scoped-buffer.ts": /read \d+ bytes with O_DIRECT/,
    "readme-low-level.ts": /read 4096 bytes; ELF magic: true[\s\S]*callback form: 4096 bytes at offset 4096[\s\S]*\d+ rings, \d+ ops completed/
  }
  for (const [file, output] of Object.entries(expected)) {
    it(`docs/examples/${file} runs`, () => {
      const r = spawnSync(
        path.join(root, "node_modules", ".bin", "tsx"),
        ["--tsconfig", path.join(root, "tsconfig.test.json"), path.join(root, "docs", "examples", file)],
        { cwd: root, encoding: "utf8", timeout: 60_000 }
      )
      assert.strictEqual(r.status, 0, r.stderr)
      assert.match(r.stdout + r.stderr, output)
    }, 90_000)
  }
})

describe("API reference (scripts/api-docs.ts)", () => {
  it("documents every export of every package's public facade", async () => {
    const { generate, PACKAGES } = await import("../scripts/api-docs.js")
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "api-docs-"))
    const files = generate(out)
    assert.sameMembers(files.map((f: string) => path.basename(f)), ["README.md", ...PACKAGES.map((p: string) => `${p}.md`)])
    const modules: Record<string, Record<string, unknown>> = {
      native: await import("@auraio/native") as Record<string, unknown>,
      core: await import("@auraio/core") as Record<string, unknown>,
      "platform-layer": await import("@auraio/platform-layer") as Record<string, unknown>
    }
    for (const pkg of PACKAGES as ReadonlyArray<string>) {
      const md = fs.readFileSync(path.join(out, `${pkg}.md`), "utf8")
      const headings = new Set([...md.matchAll(/^#{2,6} (\S+)$/gm)].map((m) => m[1]!))
      for (const [name, value] of Object.entries(modules[pkg]!)) {
        assert.isTrue(headings.has(name), `${pkg}: ${name} has a section`)
        // A namespace module (`export * as X`): each of its value exports too.
        if (value && typeof value === "object" && Object.prototype.toString.call(value) === "[object Module]") {
          for (const member of Object.keys(value)) assert.isTrue(headings.has(member), `${pkg}: ${name}.${member} has a section`)
        }
      }
    }
    // Each entry carries its JSDoc, not just a name: the engine's constructor and its since tag.
    const native = fs.readFileSync(path.join(out, "native.md"), "utf8")
    assert.match(native, /## openEngine\n\n```ts\nconst openEngine: \(options\?: \w+\) => Engine\n```\n\n\S/)
    assert.match(native, /category: constructors · since 0\.1\.0/)
    fs.rmSync(out, { recursive: true, force: true })
  }, 180_000)
})

describe("pnpm bench: results → docs/performance.md", () => {
  const script = Suite.scripts.find((s) => s.id === "platform-layer-fs")!

  it("reads a Markdown table a script printed", () => {
    const r = Suite.toResult(script, "cmd", {
      stdout: "round 1/1\n\n| workload | NodeFileSystem | AuraFileSystem | ratio |\n|---|---|---|---|\n| stream | 0.30 | 1.10 | 3.67× |\n",
      files: [],
      status: 0
    })
    assert.deepStrictEqual(r.columns, ["workload", "NodeFileSystem", "AuraFileSystem", "ratio"])
    assert.deepStrictEqual(r.rows, [["stream", "0.30", "1.10", "3.67×"]])
  })

  it("prefers the shared auraio-bench/1 file, then known JSON shapes", () => {
    const own = { format: "auraio-bench/1", id: "x", title: "t", command: "c", columns: ["a", "b"], rows: [["r", 1]] }
    assert.deepStrictEqual(Suite.toResult(script, "cmd", { stdout: "| a |\n| b |", files: [own], status: 0 }).rows, [["r", 1]])
    const native = { summary: { median: { "fio-qd32": { iops: 880000 }, "batch-qd32": { iops: 800000, entersPerOp: 0.03 } }, ratios: { batchQd32VsFio: 0.91 } } }
    const r = Suite.toResult(script, "cmd", { stdout: "", files: [native], status: 0 })
    assert.deepStrictEqual(r.columns, ["case", "iops", "entersPerOp"])
    assert.deepStrictEqual(r.rows, [["fio-qd32", 880000, null], ["batch-qd32", 800000, 0.03]])
    assert.deepStrictEqual(r.notes, ["batchQd32VsFio: 0.91"])
    const printed = Suite.toResult(script, "cmd", {
      stdout: 'round 1\n{"rounds":3,"median":{"fio":237545.2,"readMany":31745.7}}\n',
      files: [],
      status: 0
    })
    assert.deepStrictEqual(printed.columns, ["case", "IOPS"])
    assert.deepStrictEqual(printed.rows, [["fio", 237545], ["readMany", 31746]])
    assert.deepStrictEqual(printed.notes, ["medians over 3 round(s)"])
  })

  it("keeps the output's tail, and says so, when a script failed", () => {
    const r = Suite.toResult(script, "cmd", { stdout: "boom\n", files: [], status: 1 })
    assert.deepStrictEqual(r.notes, ["exited with status 1", "boom"])
  })

  it("replaces only the generated section of docs/performance.md", () => {
    const doc = "# Performance\n\nintro\n\n## Native (hand-written)\n\nfigures\n"
    const once = Suite.updatePerformanceDoc(doc, "## Generated\n\nv1")
    assert.isTrue(once.startsWith(doc.trimEnd()))
    const twice = Suite.updatePerformanceDoc(once.replace("figures", "figures, updated"), "## Generated\n\nv2")
    assert.include(twice, "figures, updated")
    assert.include(twice, "v2")
    assert.notInclude(twice, "v1")
    assert.strictEqual(twice.split(Suite.END).length, 2, "one generated section")
    const md = Suite.renderResult({ format: "auraio-bench/1", id: "x", title: "T", command: "run it", columns: ["case", "IOPS"], rows: [["a", 1234567], ["b|c", 1.23456]] })
    assert.include(md, "| case | IOPS |\n|---|---:|\n| a | 1,234,567 |\n| b\\|c | 1.235 |")
    assert.include(md, "```sh\nrun it\n```")
  })
})
