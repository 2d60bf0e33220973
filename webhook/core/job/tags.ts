// The job's agent tags: its agent query rules (from the dispatcher's annotation) or, for Jobs
// made by other tools, the stack's queue and tags (stackTagMap, shared with the dispatcher).
// They become BUILDKITE_AGENT_TAGS (the agent must match the job to acquire it) and
// `tag.buildkite.com/<k>` labels.
import type { Config } from "../config/index.ts";
import { AgentifyError } from "../errors.ts";
import { AGENT_QUERY_RULES_ANNOTATION, TAG_LABEL_PREFIX } from "../names.ts";

export interface JobTags {
  /** `k=v` strings, in rule order. */
  rules: string[];
  map: Map<string, string>;
}

export function jobTags(annotation: string | undefined, config: Config): JobTags {
  const rules = annotation === undefined ? [...stackTagMap(config)].map(([k, v]) => `${k}=${v}`) : parseRules(annotation);
  const map = new Map<string, string>();
  for (const rule of rules) {
    const at = rule.indexOf("=");
    map.set(rule.slice(0, at), rule.slice(at + 1));
  }
  return { rules, map };
}

/** How the cluster's default queue may be named: a job or agent on it carries no `queue` tag. */
const DEFAULT_QUEUE_ALIASES = new Set(["", "_default", "__default__", "~", "-"]);

export function isDefaultQueue(queue: string): boolean {
  return DEFAULT_QUEUE_ALIASES.has(queue);
}

/** `k=v` → [k, v]; `a=b=c` keeps `b=c` as the value. */
export function splitTag(tag: string): [string, string] | undefined {
  const at = tag.indexOf("=");
  if (at <= 0) return undefined;
  return [tag.slice(0, at), tag.slice(at + 1)];
}

/**
 * The stack's agent tags, which the dispatcher matches jobs against and the agent of a Job
 * without rules carries: `queue` first (config `queue`, else the `queue=` tag; none for the
 * default queue), then the config's tags, the last value of a key winning.
 */
export function stackTagMap(config: { queue: string; tags: readonly string[] }): Map<string, string> {
  const tags = new Map<string, string>();
  for (const tag of config.tags) {
    const pair = splitTag(tag);
    if (!pair) throw new Error(`invalid tag ${JSON.stringify(tag)}: expected key=value`);
    tags.set(pair[0], pair[1]);
  }
  const queue = config.queue || tags.get("queue") || "";
  tags.delete("queue");
  return isDefaultQueue(queue) ? tags : new Map([["queue", queue], ...tags]);
}

function parseRules(text: string): string[] {
  const fail = (why: string): never => {
    throw new AgentifyError("invalid-annotation", `annotation ${AGENT_QUERY_RULES_ANNOTATION}: ${why}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return fail(`invalid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw)) return fail("expected a JSON array of \"key=value\" strings");
  return raw.map((rule, i) => {
    if (typeof rule !== "string" || !/^[^=]+=/.test(rule)) return fail(`[${i}]: expected a "key=value" string, got ${JSON.stringify(rule)}`);
    return rule;
  });
}

const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** Labels for the tags that are valid label keys and values; others are skipped, as upstream does. */
export function tagLabels(tags: JobTags): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, value] of tags.map) {
    if (QUALIFIED_NAME.test(key) && LABEL_VALUE.test(value) && value.length <= 63) labels[`${TAG_LABEL_PREFIX}${key}`] = value;
  }
  return labels;
}
