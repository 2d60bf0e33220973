// What a container sees of its env, command and args: the kubelet's rules, re-stated so tests can
// check that text reaches the container as written. From k8s.io/kubernetes
// third_party/forked/golang/expansion and the kubelet's makeEnvironmentVariables:
//   - `$$` is an escaped `$`; `$(NAME)` is replaced when NAME is defined, else kept as written;
//     `$(` without a closing `)` and `$` before any other character are kept as written;
//   - an env `value` sees envFrom entries, the env entries declared before it (a later entry of
//     the same name replaces an earlier one) and the service link variables;
//   - command and args see the container's final env.
import type { Container } from "../../webhook/core/k8s.ts";

type Mapping = (name: string) => string;

function mappingFor(...contexts: ReadonlyMap<string, string>[]): Mapping {
  return (name) => {
    for (const context of contexts) {
      const value = context.get(name);
      if (value !== undefined) return value;
    }
    return `$(${name})`;
  };
}

/** One string as the kubelet expands it. */
export function kubeletExpand(input: string, mapping: Mapping): string {
  let out = "";
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== "$" || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === "$") {
      out += "$";
    } else if (rest[0] === "(") {
      const close = rest.indexOf(")", 1);
      if (close === -1) out += "$(";
      else {
        out += mapping(rest.slice(1, close));
        advance = close + 1;
      }
    } else {
      out += `$${rest[0] ?? ""}`;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

export interface ContainerSources {
  /** Values of envFrom sources, already resolved. */
  envFrom?: ReadonlyMap<string, string>;
  /** Service link variables (KUBERNETES_SERVICE_HOST, …). */
  service?: ReadonlyMap<string, string>;
  /** The value of a `valueFrom` entry; default: `<valueFrom NAME>`. */
  valueFrom?: (name: string) => string;
}

/** The container's env as its process sees it. */
export function containerEnv(container: Container, sources: ContainerSources = {}): Map<string, string> {
  const env = new Map<string, string>(sources.envFrom ?? []);
  const service = sources.service ?? new Map<string, string>();
  const valueFrom = sources.valueFrom ?? ((name: string) => `<valueFrom ${name}>`);
  for (const entry of container.env ?? []) {
    // The mapping reads `env` as it is now: only what was declared before this entry.
    const value = typeof entry.value === "string" && entry.value !== ""
      ? kubeletExpand(entry.value, mappingFor(env, service))
      : entry.valueFrom ? valueFrom(entry.name) : "";
    env.set(entry.name, value);
  }
  return env;
}

/** The container's command and args as its process gets them. */
export function containerArgv(container: Container, sources: ContainerSources = {}): { command: string[]; args: string[] } {
  const mapping = mappingFor(containerEnv(container, sources), sources.service ?? new Map<string, string>());
  return {
    command: (container.command ?? []).map((c) => kubeletExpand(c, mapping)),
    args: (container.args ?? []).map((a) => kubeletExpand(a, mapping)),
  };
}
