// How a container's command/args become the BUILDKITE_COMMAND script that the agent runs
// as `$BUILDKITE_SHELL "<script>"` (agent-stack-k8s's three interposer modes).
import { quote } from "shell-quote";
import type { Interposer } from "./config/params.ts";

export function interpose(mode: Interposer | undefined, command: readonly string[], args: readonly string[] = []): string {
  switch (mode) {
    case "vector":
      // Kubernetes argv semantics: one shell-quoted command line.
      return quote([...command, ...args]);
    case "legacy":
      return [...command, ...args].join(" ");
    default: {
      // "buildkite": each command item is a script line; args are quoted onto the last one.
      const script = command.join("\n");
      return args.length > 0 ? `${script} ${quote([...args])}` : script;
    }
  }
}
