// The offline front end, like `istioctl kube-inject`: documents in, agentified documents out.
// Non-Job documents pass through unchanged; a labelled Job that cannot be agentified is an error
// naming the document.
import { parseAllDocuments, stringify } from "yaml";
import { agentify, AgentifyError, patchFor, type Config, type JsonObject, type JsonValue } from "../core/index.ts";
import { isJsonObject } from "../core/json.ts";

export type RenderFormat = "yaml" | "json" | "patch";

export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RenderError";
  }
}

/** Parses multi-document YAML (JSON is YAML too). */
export function parseDocuments(text: string, source: string): JsonValue[] {
  const docs = parseAllDocuments(text);
  const values: JsonValue[] = [];
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0) {
      throw new RenderError(`${source}: document ${i + 1}: invalid YAML: ${doc.errors[0]?.message.split("\n")[0]}`);
    }
    const value = doc.toJS({ maxAliasCount: 100 }) as JsonValue | undefined;
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

function isJob(doc: JsonValue): doc is JsonObject {
  return isJsonObject(doc) && doc.kind === "Job" && (doc.apiVersion === "batch/v1" || doc.apiVersion === undefined);
}

function describe(doc: JsonObject, index: number): string {
  const meta = isJsonObject(doc.metadata) ? doc.metadata : {};
  const name = typeof meta.name === "string" ? meta.name : typeof meta.generateName === "string" ? `${meta.generateName}*` : "(unnamed)";
  return `document ${index + 1} (Job ${name})`;
}

export function renderDocuments(text: string, source: string, config: Config, format: RenderFormat): string {
  const docs = parseDocuments(text, source);
  const outputs: { doc: JsonValue; patch?: JsonValue }[] = docs.map((doc, i) => {
    if (!isJob(doc)) return { doc };
    try {
      const agentified = agentify(doc, config);
      return { doc: agentified, patch: patchFor(doc, agentified) as unknown as JsonValue };
    } catch (err) {
      if (err instanceof AgentifyError) throw new RenderError(`${source}: ${describe(doc, i)}: ${err.message}`);
      throw err;
    }
  });
  if (format === "patch") {
    return outputs.filter((o) => o.patch !== undefined).map((o) => `${JSON.stringify(o.patch, null, 2)}\n`).join("");
  }
  if (format === "json") {
    const value = outputs.length === 1 ? outputs[0]?.doc : { apiVersion: "v1", kind: "List", items: outputs.map((o) => o.doc) };
    return `${JSON.stringify(value, null, 2)}\n`;
  }
  return outputs.map((o) => toYaml(o.doc)).join("---\n");
}

/** The one YAML style used for output and golden files. */
export function toYaml(value: JsonValue): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}
