// The two ways to build the image put the same things into it: the Dockerfile (for Docker users)
// and image/build.sh, whose inputs are image/image.json. Files copied, npm flags, user, workdir,
// env, ports, entrypoint and the compile-cache steps are compared, so that neither can drift.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../../golden/load.ts";
import { copyArgs, envEntries, jsonArgs, only, parseDockerfile } from "./dockerfile.ts";
import type { Stage } from "./dockerfile.ts";

interface ImageSpec {
  debian: string;
  node: { package: string; path: string };
  app: { dir: string; copy: string[]; exclude: string[]; npmCi: string[]; pruneNodeModules: string[]; runtimeUserDirs: string[] };
  warm: string[][];
  warmNodeFlags: string[];
  config: { User: string; WorkingDir: string; Env: string[]; ExposedPorts: Record<string, object>; Entrypoint: string[]; Cmd: string[] };
}

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), "utf8");
const spec = JSON.parse(read("image/image.json")) as ImageSpec;
const stages = parseDockerfile(read("Dockerfile"));
const runtime = stages.at(-1) as Stage;
const deps = stages.find((s) => s.name === "deps") as Stage;
/** "bin/" and "bin" name the same directory. */
const bare = (p: string): string => p.replace(/^\.\//, "").replace(/\/$/, "");

describe("Dockerfile and image/build.sh build the same image", () => {
  it("has a deps stage and a runtime stage", () => {
    expect(stages.map((s) => s.name)).to.deep.equal(["deps", undefined]);
  });

  it("copies the same app files into the workdir, under their own names", () => {
    const copies = only(runtime, "COPY").map(copyArgs).filter((c) => c.flags["from"] === undefined);
    expect(copies.flatMap((c) => c.sources.map(bare)).sort()).to.deep.equal(spec.app.copy.map(bare).sort());
    for (const c of copies) {
      if (c.sources.length > 1 || c.dest === "./") expect(c.dest, c.sources.join(" ")).to.equal("./");
      else expect(bare(c.dest), c.sources.join(" ")).to.equal(bare(c.sources[0] ?? ""));
    }
  });

  it("lets into the build context only what is copied (and the lockfile npm ci needs), without tests", () => {
    const lines = read(".dockerignore").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
    expect(lines[0]).to.equal("*");
    const allowed = lines.filter((l) => l.startsWith("!")).map((l) => bare(l.slice(1)));
    expect(allowed.sort()).to.deep.equal([...spec.app.copy.map(bare), "package-lock.json"].sort());
    const excluded = lines.slice(1).filter((l) => !l.startsWith("!")).map((l) => l.replace(/^\*\*\//, ""));
    expect(excluded).to.deep.equal(spec.app.exclude);
  });

  it("installs the production dependencies with the same npm flags and prunes the same files", () => {
    const run = only(deps, "RUN").map((r) => r.args).join(" && ");
    const npm = /npm ci((?: --[a-z=-]+)*)/.exec(run);
    expect(npm, "npm ci in the deps stage").to.not.equal(null);
    expect((npm?.[1] ?? "").trim().split(" ")).to.deep.equal(spec.app.npmCi);
    const pruned = [...run.matchAll(/-name '([^']+)'/g)].map((m) => m[1]);
    expect(pruned).to.deep.equal(spec.app.pruneNodeModules);
    const copied = only(runtime, "COPY").map(copyArgs).find((c) => c.sources.includes("/app/node_modules"));
    expect(copied?.flags["from"]).to.equal("deps");
    expect(bare(copied?.dest ?? "")).to.equal("node_modules");
  });

  it("runs as the same user, in the same workdir, with the same env, ports, entrypoint and command", () => {
    const last = (k: string): string => only(runtime, k).at(-1)?.args ?? "";
    expect(last("USER")).to.equal(spec.config.User);
    expect(last("WORKDIR")).to.equal(spec.config.WorkingDir);
    expect(spec.config.WorkingDir).to.equal(spec.app.dir);
    expect(only(runtime, "ENV").flatMap(envEntries)).to.deep.equal(spec.config.Env);
    const ports = only(runtime, "EXPOSE").flatMap((e) => e.args.split(" ")).map((p) => (p.includes("/") ? p : `${p}/tcp`));
    expect(ports.sort()).to.deep.equal(Object.keys(spec.config.ExposedPorts).sort());
    expect(jsonArgs(only(runtime, "ENTRYPOINT").at(-1) ?? { keyword: "ENTRYPOINT", args: "", line: 0 })).to.deep.equal(spec.config.Entrypoint);
    expect(jsonArgs(only(runtime, "CMD").at(-1) ?? { keyword: "CMD", args: "", line: 0 })).to.deep.equal(spec.config.Cmd);
    expect(spec.config.Entrypoint[0]).to.equal(spec.node.path);
  });

  it("warms the compile cache with the same commands, as the runtime user, into the dir its env names", () => {
    const userAt = runtime.instructions.findIndex((i) => i.keyword === "USER");
    const runs = runtime.instructions.filter((i, n) => i.keyword === "RUN" && n > userAt).map(jsonArgs);
    expect(runs).to.deep.equal(spec.warm.map((argv) => [spec.node.path, ...spec.warmNodeFlags, ...argv]));
    expect(runtime.instructions.findIndex((i) => i.keyword === "RUN")).to.be.greaterThan(userAt);
    const cache = only(runtime, "COPY").map(copyArgs).find((c) => c.sources.includes("/app/.cache"));
    expect(cache?.flags["chown"]).to.equal(spec.config.User);
    const cacheEnv = spec.config.Env.find((e) => e.startsWith("NODE_COMPILE_CACHE="))?.split("=")[1];
    expect(spec.app.runtimeUserDirs.map((d) => `${spec.app.dir}/${d}`)).to.deep.equal([cacheEnv]);
    expect(run(deps)).to.include(`mkdir -p ${cacheEnv ?? "?"}`);
  });

  it("uses the same Node major and Debian release as the Dockerfile's base image", () => {
    const m = /^gcr\.io\/distroless\/nodejs(\d+)-debian(\d+):nonroot$/.exec(runtime.image);
    expect(m, runtime.image).to.not.equal(null);
    const pkg = JSON.parse(read("package.json")) as { optionalDependencies: Record<string, string> };
    const nodeVersion = pkg.optionalDependencies[spec.node.package] ?? "";
    expect(nodeVersion.split(".")[0], `${spec.node.package}@${nodeVersion}`).to.equal(m?.[1]);
    expect(spec.debian).to.equal(m?.[2]);
    expect(deps.image).to.equal(`node:${m?.[1] ?? "?"}-bookworm-slim`);
    // distroless keeps node at /nodejs/bin/node; the manifests' `command:` runs it there too.
    expect(spec.node.path).to.equal("/nodejs/bin/node");
  });

  it("the manifests' command overrides start the image's node on its entrypoint script", () => {
    const docs = ["manifests/base/webhook.yaml", "manifests/base/dispatcher.yaml"]
      .flatMap((f) => parseAllDocuments(read(f)).map((d) => d.toJS() as Record<string, unknown>));
    const containers = docs.filter((d) => d["kind"] === "Deployment")
      .flatMap((d) => ((d["spec"] as { template: { spec: { containers: { name: string; command?: string[] }[] } } }).template.spec.containers));
    expect(containers.length).to.be.greaterThan(0);
    for (const c of containers.filter((x) => x.command !== undefined)) {
      expect(c.command?.[0], c.name).to.equal(spec.node.path);
      expect(c.command?.at(-1), c.name).to.equal(spec.config.Entrypoint.at(-1));
    }
  });
});

function run(stage: Stage): string {
  return only(stage, "RUN").map((r) => r.args).join(" && ");
}
