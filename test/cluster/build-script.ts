// Runs one of the cached build scripts (build.sh, build-node.sh, images/build.sh): its chatter goes
// to our stderr, and its last stdout line (the folder it built or found) is the result.
import { spawn } from "node:child_process";

export function runBuildScript(script: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn("bash", [script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const last = out.trim().split("\n").pop() ?? "";
      if (code === 0 && last !== "") resolve(last);
      else reject(new Error(`${script} failed (exit ${String(code)})`));
    });
  });
}
