/**
 * Generates the API reference (docs/api/*.md) from the JSDoc of each package's public facade
 * (`packages/<pkg>/src/index.ts` and the modules it re-exports), with the TypeScript compiler API.
 * Internal modules never appear: only what a user can import is documented.
 *
 *   node_modules/.bin/tsx scripts/api-docs.ts            # writes docs/api/
 *   node_modules/.bin/tsx scripts/api-docs.ts --out DIR  # elsewhere (the tests do this)
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

export const PACKAGES = ["native", "core", "platform-layer"] as const

interface Entry {
  readonly name: string
  readonly kind: string
  readonly signature: string
  readonly doc: string
  readonly since: string | undefined
  readonly category: string
  readonly examples: ReadonlyArray<string>
  readonly members: ReadonlyArray<Entry>
}

interface ModuleDoc {
  /** `undefined` for the package's top-level exports; the namespace name for `export * as X`. */
  readonly name: string | undefined
  readonly doc: string
  readonly entries: ReadonlyArray<Entry>
}

const printer = ts.createPrinter({ removeComments: true })

const tagText = (t: ts.JSDocTagInfo): string => ts.displayPartsToString(t.text ?? []).trim()

const kindOf = (d: ts.Declaration): string => {
  if (ts.isClassDeclaration(d)) return "class"
  if (ts.isInterfaceDeclaration(d)) return "interface"
  if (ts.isTypeAliasDeclaration(d)) return "type"
  if (ts.isFunctionDeclaration(d)) return "function"
  if (ts.isModuleDeclaration(d)) return "namespace"
  if (ts.isVariableDeclaration(d)) return "const"
  if (ts.isPropertyDeclaration(d) || ts.isPropertySignature(d)) return "property"
  if (ts.isMethodDeclaration(d) || ts.isMethodSignature(d)) return "method"
  if (ts.isEnumDeclaration(d)) return "enum"
  return ts.SyntaxKind[d.kind] ?? "unknown"
}

/** What the reader needs to call it: the declaration without bodies and comments. */
const signatureOf = (d: ts.Declaration, checker: ts.TypeChecker, name: string): string => {
  const sf = d.getSourceFile()
  if (ts.isVariableDeclaration(d)) {
    const type = d.type ? d.type.getText(sf) : checker.typeToString(checker.getTypeAtLocation(d), d, ts.TypeFormatFlags.NoTruncation)
    return `const ${name}: ${type}`
  }
  if (ts.isFunctionDeclaration(d)) {
    const copy = ts.factory.updateFunctionDeclaration(d, d.modifiers, d.asteriskToken, d.name, d.typeParameters, d.parameters, d.type, undefined)
    return printer.printNode(ts.EmitHint.Unspecified, copy, sf)
  }
  if (ts.isClassDeclaration(d)) {
    const heritage = d.heritageClauses?.map((h) => h.getText(sf)).join(" ") ?? ""
    return `class ${name}${d.typeParameters ? `<${d.typeParameters.map((p) => p.getText(sf)).join(", ")}>` : ""} ${heritage}`.trim()
  }
  const local = name.slice(name.lastIndexOf(".") + 1)
  const mods = ts.canHaveModifiers(d)
    ? (ts.getModifiers(d) ?? []).map((m) => m.getText(sf)).filter((m) => m !== "export" && m !== "declare").join(" ")
    : ""
  if (ts.isPropertyDeclaration(d) || ts.isPropertySignature(d)) {
    const type = d.type ? d.type.getText(sf) : checker.typeToString(checker.getTypeAtLocation(d))
    return `${mods ? mods + " " : ""}${local}${d.questionToken ? "?" : ""}: ${type}`
  }
  if (ts.isMethodDeclaration(d) || ts.isMethodSignature(d)) {
    const params = d.parameters.map((p) => p.getText(sf)).join(", ")
    const tps = d.typeParameters ? `<${d.typeParameters.map((p) => p.getText(sf)).join(", ")}>` : ""
    return `${mods ? mods + " " : ""}${local}${tps}(${params})${d.type ? `: ${d.type.getText(sf)}` : ""}`
  }
  if (ts.isModuleDeclaration(d)) return `namespace ${name}`
  return printer.printNode(ts.EmitHint.Unspecified, d, sf).replace(/^export (declare )?/, "")
}

const entryOf = (symbol: ts.Symbol, name: string, checker: ts.TypeChecker, exportSymbol: ts.Symbol): Entry | undefined => {
  const decls = symbol.getDeclarations() ?? []
  const main = decls.find((d) => !ts.isModuleDeclaration(d)) ?? decls[0]
  if (!main) return undefined
  // The export's own JSDoc wins (facades re-export with `export const x = internal.x` and document there).
  const ownDoc = ts.displayPartsToString(exportSymbol.getDocumentationComment(checker)).trim()
  const doc = ownDoc || ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim()
  const tags = [...exportSymbol.getJsDocTags(checker), ...(exportSymbol === symbol ? [] : symbol.getJsDocTags(checker))]
  const members: Array<Entry> = []
  if (ts.isClassDeclaration(main)) {
    for (const m of main.members) {
      const isStatic = ts.canHaveModifiers(m) && (ts.getModifiers(m) ?? []).some((x) => x.kind === ts.SyntaxKind.StaticKeyword)
      if (!isStatic || !m.name) continue
      const ms = checker.getSymbolAtLocation(m.name)
      const e = ms && entryOf(ms, `${name}.${m.name.getText()}`, checker, ms)
      if (e) members.push(e)
    }
  }
  // A namespace merged with a class or declared alone (`export declare namespace AuraEngine { … }`).
  for (const d of decls) {
    if (!ts.isModuleDeclaration(d) || !d.body || !ts.isModuleBlock(d.body)) continue
    for (const s of d.body.statements) {
      const n = (s as { name?: ts.Identifier }).name
      if (!n || !ts.isIdentifier(n)) continue
      const ms = checker.getSymbolAtLocation(n)
      const e = ms && entryOf(ms, `${name}.${n.text}`, checker, ms)
      if (e) members.push(e)
    }
  }
  return {
    name,
    kind: kindOf(main),
    signature: signatureOf(main, checker, name),
    doc,
    since: tags.find((t) => t.name === "since") ? tagText(tags.find((t) => t.name === "since")!) : undefined,
    category: tags.find((t) => t.name === "category") ? tagText(tags.find((t) => t.name === "category")!) : "other",
    examples: tags.filter((t) => t.name === "example").map(tagText),
    members
  }
}

const isModuleSymbol = (s: ts.Symbol) =>
  (s.flags & ts.SymbolFlags.ValueModule) !== 0 && (s.getDeclarations() ?? []).some(ts.isSourceFile)

const fileDoc = (sf: ts.SourceFile): string => {
  // The file's leading JSDoc block, without its tags.
  const m = /^\s*\/\*\*([\s\S]*?)\*\//.exec(sf.getFullText())
  if (!m) return ""
  return m[1]!.split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n").replace(/\n@[\s\S]*$/, "").trim()
}

const indexOf = (pkg: string) => path.join(root, "packages", pkg, "src", "index.ts")

let shared: ts.Program | undefined
// One program for every package: the type-checking cost (Effect's types) is paid once.
const program = (): ts.Program =>
  (shared ??= ts.createProgram(PACKAGES.map(indexOf), {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    paths: Object.fromEntries(PACKAGES.map((p) => [`@auraio/${p}`, [indexOf(p)]]))
  }))

/** Reads one package's public API. */
export const collect = (pkg: string): { readonly name: string; readonly modules: ReadonlyArray<ModuleDoc> } => {
  const checker = program().getTypeChecker()
  const sf = program().getSourceFile(indexOf(pkg))!
  const moduleSymbol = checker.getSymbolAtLocation(sf)
  const top: Array<Entry> = []
  const modules: Array<ModuleDoc> = []
  for (const exp of moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : []) {
    const resolved = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp
    if (isModuleSymbol(resolved)) {
      const msf = resolved.getDeclarations()!.find(ts.isSourceFile)!
      const entries = checker.getExportsOfModule(resolved).flatMap((e) => {
        const r = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e
        const entry = entryOf(r, e.name, checker, e)
        return entry ? [entry] : []
      })
      modules.push({ name: exp.name, doc: fileDoc(msf), entries })
    } else {
      const entry = entryOf(resolved, exp.name, checker, exp)
      if (entry) top.push(entry)
    }
  }
  return { name: `@auraio/${pkg}`, modules: [{ name: undefined, doc: fileDoc(sf), entries: top }, ...modules] }
}

const anchor = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")

const renderEntry = (e: Entry, level: number): Array<string> => {
  const out = [`${"#".repeat(level)} ${e.name}`, ""]
  out.push("```ts", e.signature, "```", "")
  if (e.doc) out.push(e.doc, "")
  for (const ex of e.examples) out.push(ex.includes("```") ? ex : "```ts\n" + ex + "\n```", "")
  const meta = [e.kind, e.category !== "other" ? `category: ${e.category}` : "", e.since ? `since ${e.since}` : ""].filter(Boolean)
  out.push(`<sub>${meta.join(" · ")}</sub>`, "")
  for (const m of e.members) out.push(...renderEntry(m, Math.min(level + 1, 6)))
  return out
}

/** Markdown for one package. */
export const render = (api: ReturnType<typeof collect>): string => {
  const out = [`# ${api.name}`, "", "<!-- generated by scripts/api-docs.ts from the JSDoc; do not edit -->", ""]
  const toc: Array<string> = []
  const body: Array<string> = []
  for (const m of api.modules) {
    if (m.entries.length === 0 && !m.doc) continue
    const level = m.name ? 3 : 2
    if (m.name) {
      body.push(`## ${m.name}`, "", `\`import { ${m.name} } from "${api.name}"\``, "")
      toc.push(`- [${m.name}](#${anchor(m.name)})`)
    } else if (m.doc) body.push(m.doc, "")
    if (m.name && m.doc) body.push(m.doc, "")
    const byCategory = new Map<string, Array<Entry>>()
    for (const e of m.entries) byCategory.set(e.category, [...(byCategory.get(e.category) ?? []), e])
    for (const cat of [...byCategory.keys()].sort()) {
      for (const e of byCategory.get(cat)!.sort((a, b) => a.name.localeCompare(b.name))) {
        if (!m.name) toc.push(`- [${e.name}](#${anchor(e.name)})`)
        body.push(...renderEntry(e, level))
      }
    }
  }
  return [...out, ...toc, "", ...body].join("\n").replace(/\n{3,}/g, "\n\n")
}

/** Writes docs for every package into `outDir`; returns the files written. */
export const generate = (outDir: string): ReadonlyArray<string> => {
  fs.mkdirSync(outDir, { recursive: true })
  const files: Array<string> = []
  const index = ["# API reference", "", "Generated from the JSDoc of each package's public modules by `node_modules/.bin/tsx scripts/api-docs.ts`.", ""]
  for (const pkg of PACKAGES) {
    const api = collect(pkg)
    const file = path.join(outDir, `${pkg}.md`)
    fs.writeFileSync(file, render(api))
    files.push(file)
    const names = api.modules.flatMap((m) => (m.name ? [m.name] : m.entries.map((e) => e.name)))
    index.push(`- [${api.name}](${pkg}.md): ${names.join(", ")}`)
  }
  const readme = path.join(outDir, "README.md")
  fs.writeFileSync(readme, index.join("\n") + "\n")
  return [readme, ...files]
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const i = process.argv.indexOf("--out")
  const out = i >= 0 ? path.resolve(process.argv[i + 1]!) : path.join(root, "docs", "api")
  for (const f of generate(out)) console.log(`wrote ${path.relative(process.cwd(), f)}`)
}
