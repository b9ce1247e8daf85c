// Bounded input (issue 14): every file kedasim reads — scenario YAML, manifests, CSV arrivals and
// rates, Prometheus JSON exports, decision vectors — is bounded in size and structure BEFORE it is
// parsed, so that a hostile or broken file ends in one ScenarioError (exit 2) naming the file, the
// limit and what was found, never in a V8 stack overflow or an out-of-memory abort.
//
// Why a pre-scan: the `yaml` library parses nested collections recursively. 1 000 levels of
// `- - - …` abort the process with "RegExpCompiler Allocation failed - process out of memory", and
// 200 000 `[` do the same; no try/catch can catch that. So the nesting depth is measured by one
// linear pass over the text (yamlNestingDepth / jsonNestingDepth) and the parser never sees a
// document deeper than INPUT_LIMITS.depth. Widths (list length, keys per mapping, string length) are
// checked on the parsed value (checkShape); aliases by the yaml library's own maxAliasCount.
import { readFileSync, statSync } from "node:fs";
import { ScenarioError } from "./error.js";

const MiB = 1024 * 1024;

/** The limits, in one place. A real scenario or manifest is far inside every one of them. */
export const INPUT_LIMITS = {
  /** Bytes of a YAML or JSON file (scenario, manifest, Prometheus export, vectors). */
  documentBytes: 16 * MiB,
  /** Nested collections (a Kubernetes Deployment is about 10 deep). */
  depth: 64,
  /** Elements of one list. */
  listLength: 1_000_000,
  /** Keys of one mapping. */
  mappingKeys: 10_000,
  /** Characters of one string (key or value). */
  stringLength: 1 * MiB,
  /** yaml's toJS maxAliasCount: alias expansion budget against "billion laughs" documents. */
  yamlAliases: 100,
  /** Bytes of a CSV file (arrival times, rates). */
  csvBytes: 256 * MiB,
  /** Lines of a CSV file. */
  csvRows: 10_000_000,
} as const;

export type InputKind = "document" | "csv";

const mib = (n: number) => `${(n / MiB).toFixed(n % MiB === 0 ? 0 : 1)} MiB`;
const count = (n: number) => n.toLocaleString("en-US");

/**
 * Read a text file whose size is within the limit of its kind; a CSV is also checked for its number
 * of lines. Errors (missing, unreadable, too large) name `displayFile` and `path` (the field that
 * names the file), as the loaders' other errors do.
 */
export function readBoundedText(file: string, displayFile: string, path: string, kind: InputKind = "document"): string {
  const max = kind === "csv" ? INPUT_LIMITS.csvBytes : INPUT_LIMITS.documentBytes;
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > max) {
      const what = kind === "csv" ? "a CSV file" : "a YAML/JSON file";
      throw new ScenarioError(displayFile, path, `${file} is ${mib(size)}, more than the ${mib(max)} kedasim reads from ${what}; ${kind === "csv" ? "split the replay or thin it out (fewer rows)" : "a scenario or manifest is a few KiB: check that this is the file you meant"}`);
    }
    text = readFileSync(file, "utf8");
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScenarioError(displayFile, path, code === "ENOENT" ? `file not found: ${file}` : `cannot read ${file} (${code})`);
  }
  if (kind === "csv") {
    let lines = 1;
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) {
      if (++lines > INPUT_LIMITS.csvRows + 1) {
        throw new ScenarioError(displayFile, path, `${file} has more than ${count(INPUT_LIMITS.csvRows)} lines, the most kedasim reads from a CSV file; replay a shorter span or aggregate it (a rate-csv producer replays rates instead of single arrivals)`);
      }
    }
  }
  return text;
}

export interface DepthHit {
  depth: number;
  line: number;
  column: number;
}

/**
 * The first place where a YAML text nests deeper than `limit` collections, or null. One linear pass
 * that follows YAML's structure closely enough to bound what the parser will build: block
 * collections by indentation (a stack of open mappings and sequences, compact `- - -` entries one
 * level each), flow collections by `[`/`{` where a node starts (and anywhere inside a flow
 * collection), ignoring quoted scalars, comments and the content of block scalars (`|`, `>`).
 */
export function yamlNestingDepth(text: string, limit: number = INPUT_LIMITS.depth): DepthHit | null {
  // Open block collections: indentation column and whether it is a sequence.
  const stack: Array<{ indent: number; seq: boolean }> = [];
  let flow = 0; // open flow collections
  let quote: "'" | '"' | null = null; // a quoted scalar that continues on the next line
  let nodeStart = false; // inside flow: the next character may start a node
  let blockScalar = false; // skipping the content lines of a block scalar (indented more than its parent)
  let blockScalarParent = -1; // the parent node's indentation (-1 at the document's root)
  let blockScalarIndent = -1; // its content's indentation, set by its first non-blank line
  let lineNo = 0;
  let pos = 0;
  const n = text.length;
  const isBlank = (c: string | undefined) => c === undefined || c === " " || c === "\t" || c === "\r";
  while (pos <= n) {
    let end = text.indexOf("\n", pos);
    if (end === -1) end = n;
    const line = text.slice(pos, end);
    pos = end + 1;
    lineNo++;
    let indent = 0;
    while (line[indent] === " ") indent++;
    const blank = indent >= line.length || line[indent] === "\r" || (line[indent] === "#" && quote === null && flow === 0);
    if (blockScalar) {
      // Content lines: blank, or at least as indented as the first one (which must be deeper than
      // the parent). Anything else ends the scalar and is read as structure again.
      if (indent >= line.length || line[indent] === "\r") continue;
      if (blockScalarIndent < 0 && indent > blockScalarParent) blockScalarIndent = indent;
      if (blockScalarIndent >= 0 && indent >= blockScalarIndent) continue;
      blockScalar = false;
      blockScalarIndent = -1;
    }
    const hit = (depth: number, column: number): DepthHit | null => (depth > limit ? { depth, line: lineNo, column: column + 1 } : null);
    let c = 0;
    let keyColumn = -1; // block context: column of the node on this line that a `key:` would belong to
    let markerColumn = -1; // block context: column of the last `- ` / `? ` on this line
    let blockStart = false; // block context: a node may start at c (after indentation, `- `, `key: `)
    if (quote === null && flow === 0) {
      if (blank) continue;
      if (indent === 0 && (line.startsWith("---") || line.startsWith("...")) && isBlank(line[3])) {
        stack.length = 0;
        c = 3;
        keyColumn = 0;
        blockStart = true;
      } else if (indent === 0 && line[0] === "%") {
        continue; // a directive
      } else {
        c = indent;
        while (stack.length > 0 && stack[stack.length - 1].indent > indent) stack.pop();
        const isMarker = (k: number) => (line[k] === "-" || line[k] === "?") && isBlank(line[k + 1]);
        // A sequence at the same indentation as its parent mapping's key ends at the next key.
        if (!isMarker(c) && stack.length > 0 && stack[stack.length - 1].seq && stack[stack.length - 1].indent === c) stack.pop();
        while (isMarker(c)) {
          const top = stack[stack.length - 1];
          if (!(top && top.seq && top.indent === c)) {
            stack.push({ indent: c, seq: true });
            const h = hit(stack.length + flow, c);
            if (h) return h;
          }
          markerColumn = c;
          c++;
          while (line[c] === " " || line[c] === "\t") c++;
          // The next entry's own sequence (compact form) sits at this column.
          if (isMarker(c)) continue;
          break;
        }
        keyColumn = c;
        blockStart = true;
      }
    } else {
      nodeStart = flow > 0 ? nodeStart : false;
    }
    // Scan the rest of the line: quotes, comments, flow brackets, the mapping indicator.
    let sawKey = false;
    for (; c < line.length; c++) {
      const ch = line[c];
      if (quote === "'") {
        if (ch === "'") {
          if (line[c + 1] === "'") c++;
          else quote = null;
        }
        continue;
      }
      if (quote === '"') {
        if (ch === "\\") c++;
        else if (ch === '"') quote = null;
        continue;
      }
      if (ch === " " || ch === "\t" || ch === "\r") continue;
      if (ch === "#" && (c === 0 || line[c - 1] === " " || line[c - 1] === "\t")) break;
      const starts = flow > 0 ? nodeStart : blockStart;
      if (starts && (ch === "'" || ch === '"')) {
        quote = ch;
        nodeStart = blockStart = false;
        continue;
      }
      if (starts && (ch === "&" || ch === "!")) {
        while (c + 1 < line.length && !isBlank(line[c + 1]) && !(flow > 0 && ",[]{}".includes(line[c + 1]))) c++;
        continue; // an anchor or a tag: the node itself follows
      }
      if ((ch === "[" || ch === "{") && (flow > 0 || blockStart)) {
        flow++;
        const h = hit(stack.length + flow, c);
        if (h) return h;
        nodeStart = true;
        blockStart = false;
        continue;
      }
      if (flow > 0) {
        if (ch === "]" || ch === "}") {
          flow--;
          nodeStart = false;
        } else if (ch === ",") nodeStart = true;
        else if (ch === ":" && (isBlank(line[c + 1]) || ",[]{}".includes(line[c + 1]) || !nodeStart)) nodeStart = true;
        else nodeStart = false;
        continue;
      }
      if (ch === ":" && isBlank(line[c + 1]) && !sawKey) {
        // `key:` in block context opens (or continues) a mapping at the key's column.
        sawKey = true;
        const top = stack[stack.length - 1];
        if (!(top && !top.seq && top.indent === keyColumn)) {
          stack.push({ indent: keyColumn, seq: false });
          const h = hit(stack.length, keyColumn);
          if (h) return h;
        }
        blockStart = true;
        continue;
      }
      if (blockStart && (ch === "|" || ch === ">")) {
        // A block scalar: its content is every following line indented more than its parent node.
        blockScalar = true;
        blockScalarParent = sawKey ? keyColumn : markerColumn >= 0 ? markerColumn : stack.length > 0 ? stack[stack.length - 1].indent : -1;
        break;
      }
      blockStart = false;
    }
  }
  return null;
}

/** The first place where a JSON text nests deeper than `limit` arrays/objects, or null (strings skipped). */
export function jsonNestingDepth(text: string, limit: number = INPUT_LIMITS.depth): DepthHit | null {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) {
      // a string: skip to its closing quote
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > limit) return { depth, line, column: i - lineStart + 1 };
    } else if (ch === 0x5d || ch === 0x7d) depth--;
    else if (ch === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return null;
}

function depthError(displayFile: string, h: DepthHit, what: string): ScenarioError {
  return new ScenarioError(
    displayFile,
    `line ${h.line}, column ${h.column}`,
    `${what} nested more than ${INPUT_LIMITS.depth} levels deep (the most kedasim reads; a Kubernetes manifest needs about 10): look for unclosed brackets or a generated file`,
  );
}

/** Throw a ScenarioError if the YAML text nests deeper than INPUT_LIMITS.depth. Call before parsing. */
export function checkYamlDepth(text: string, displayFile: string): void {
  const h = yamlNestingDepth(text);
  if (h) throw depthError(displayFile, h, "YAML");
}

/**
 * JSON.parse within the limits: depth pre-scan, then the parse, then checkShape. Errors name
 * `displayFile`; invalid JSON is "not valid JSON (…)".
 */
export function parseBoundedJson(text: string, displayFile: string): unknown {
  const h = jsonNestingDepth(text);
  if (h) throw depthError(displayFile, h, "JSON");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(displayFile, "", `not valid JSON (${(e as Error).message})`);
  }
  checkShape(json, displayFile);
  return json;
}

/**
 * Widths of a parsed YAML/JSON value: list length, keys per mapping, string length. Iterative (an
 * alias can put a deep node inside another), so it cannot overflow the stack itself. The error names
 * the field path of the first offender.
 */
export function checkShape(value: unknown, displayFile: string): void {
  // Frames: the value, its parent frame and the key under which the parent holds it (for the path).
  const vals: unknown[] = [value];
  const parents: number[] = [-1];
  const keys: Array<string | number> = [""];
  const seen = new Set<object>();
  const pathOf = (i: number, last?: string | number): string => {
    const parts: Array<string | number> = last === undefined ? [] : [last];
    for (let k = i; k > 0; k = parents[k]) parts.push(keys[k]);
    parts.reverse();
    let out = "";
    for (const p of parts) out += typeof p === "number" ? `[${p}]` : out ? `.${p}` : p;
    return out;
  };
  const fail = (i: number, expected: string, last?: string | number): never => {
    throw new ScenarioError(displayFile, pathOf(i, last), expected);
  };
  const longString = (s: string) => `a string of at most ${count(INPUT_LIMITS.stringLength)} characters (the most kedasim reads), found ${count(s.length)}`;
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i];
    if (typeof v === "string") {
      if (v.length > INPUT_LIMITS.stringLength) fail(i, longString(v));
      continue;
    }
    if (typeof v !== "object" || v === null) continue;
    if (seen.has(v)) continue; // an alias: its node was checked where it is anchored
    seen.add(v);
    if (Array.isArray(v)) {
      if (v.length > INPUT_LIMITS.listLength) fail(i, `a list of at most ${count(INPUT_LIMITS.listLength)} entries (the most kedasim reads), found ${count(v.length)}; replay long traffic from a CSV or Prometheus file instead`);
      for (let j = 0; j < v.length; j++) {
        vals.push(v[j]);
        parents.push(i);
        keys.push(j);
      }
    } else {
      const ks = Object.keys(v);
      if (ks.length > INPUT_LIMITS.mappingKeys) fail(i, `a mapping of at most ${count(INPUT_LIMITS.mappingKeys)} keys (the most kedasim reads), found ${count(ks.length)}`);
      for (const k of ks) {
        if (k.length > INPUT_LIMITS.stringLength) fail(i, `a key of at most ${count(INPUT_LIMITS.stringLength)} characters, found ${count(k.length)}`);
        vals.push((v as Record<string, unknown>)[k]);
        parents.push(i);
        keys.push(k);
      }
    }
  }
}
