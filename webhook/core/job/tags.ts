// The job's agent tags: its agent query rules (from the dispatcher's annotation) or, for Jobs
// made by other tools, the configured queue and tags. They become BUILDKITE_AGENT_TAGS (the
// agent must match the job to acquire it) and `tag.buildkite.com/<k>` labels.
import type { Config } from "../config/index.ts";
import { AgentifyError } from "../errors.ts";
import { AGENT_QUERY_RULES_ANNOTATION, TAG_LABEL_PREFIX } from "../names.ts";

export interface JobTags {
  /** `k=v` strings, in rule order. */
  rules: string[];
  map: Map<string, string>;
}

export function jobTags(annotation: string | undefined, config: Config): JobTags {
  const rules = annotation === undefined ? configRules(config) : parseRules(annotation);
  const map = new Map<string, string>();
  for (const rule of rules) {
    const at = rule.indexOf("=");
    map.set(rule.slice(0, at), rule.slice(at + 1));
  }
  return { rules, map };
}

function configRules(config: Config): string[] {
  const rules = config.tags.filter((t) => !t.startsWith("queue="));
  const queue = config.queue || config.tags.find((t) => t.startsWith("queue="))?.slice("queue=".length);
  return queue ? [`queue=${queue}`, ...rules] : rules;
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
