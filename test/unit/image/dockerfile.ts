// A small Dockerfile reader for the drift test: stages, instructions (continuations joined,
// comments dropped), and the argument forms the test compares (JSON arrays, COPY, ENV, EXPOSE).

export interface Instruction {
  keyword: string;
  args: string;
  /** 1-based line of the instruction's first line, for messages. */
  line: number;
}

export interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1;
    let joined = (lines[i] ?? "").trim();
    if (joined === "" || joined.startsWith("#")) continue;
    while (joined.endsWith("\\") && i + 1 < lines.length) {
      joined = joined.slice(0, -1);
      i++;
      const next = (lines[i] ?? "").trim();
      if (next.startsWith("#")) { joined += "\\"; continue; } // comment lines inside a continuation
      joined += ` ${next}`;
    }
    const m = /^(\S+)\s*(.*)$/s.exec(joined);
    if (!m) continue;
    const keyword = (m[1] ?? "").toUpperCase();
    const args = (m[2] ?? "").replace(/\s+/g, " ").trim();
    if (keyword === "FROM") {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from?.[1]) throw new Error(`Dockerfile line ${first}: cannot read FROM ${args}`);
      stages.push({ image: from[1], name: from[2], instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile line ${first}: ${keyword} before the first FROM`);
    stage.instructions.push({ keyword, args, line: first });
  }
  return stages;
}

export function only(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** The exec form `["a", "b"]`; the shell form is refused, since the image has no shell. */
export function jsonArgs(i: Instruction): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(i.args);
  } catch {
    throw new Error(`Dockerfile line ${i.line}: ${i.keyword} is not in exec form (a JSON array): ${i.args}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) {
    throw new Error(`Dockerfile line ${i.line}: ${i.keyword} is not a JSON array of strings`);
  }
  return parsed;
}

export interface Copy {
  flags: Record<string, string>;
  sources: string[];
  dest: string;
}

export function copyArgs(i: Instruction): Copy {
  const words = i.args.split(" ");
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith("--")) {
    const [key, value = ""] = (words.shift() ?? "").slice(2).split("=");
    flags[key ?? ""] = value;
  }
  const dest = words.pop();
  if (dest === undefined || words.length === 0) throw new Error(`Dockerfile line ${i.line}: COPY needs a source and a destination`);
  return { flags, sources: words, dest };
}

/** `ENV A=1 B=2` (or the legacy `ENV A 1`) as "A=1" strings; values without quotes or spaces only. */
export function envEntries(i: Instruction): string[] {
  if (!i.args.includes("=")) {
    const [key, ...value] = i.args.split(" ");
    return [`${key ?? ""}=${value.join(" ")}`];
  }
  return i.args.split(" ");
}
