// Turns validation issues into one line per problem, naming the offending key's path,
// e.g. `agent-config.hooks-path: expected string, received number`.
import type { Issue } from "../validation/index.ts";

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out.length === 0 ? String(part) : `.${String(part)}`;
  }
  return out;
}

export function formatIssues(issues: readonly Issue[], prefix = ""): string {
  return issues
    .map((issue) => {
      if (issue.code === "unrecognized_keys") {
        return (issue.keys ?? [])
          .map((key) => `${joinPath(prefix, formatPath([...issue.path, key]))}: unknown key`)
          .join("; ");
      }
      const where = joinPath(prefix, formatPath(issue.path));
      return `${where || "(root)"}: ${issue.message}`;
    })
    .join("; ");
}

function joinPath(prefix: string, path: string): string {
  if (!prefix) return path;
  if (!path) return prefix;
  return path.startsWith("[") ? `${prefix}${path}` : `${prefix}.${path}`;
}
