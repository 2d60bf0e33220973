// What a fresh Node process loads when it imports some of the repository's modules: the URLs of
// the modules it loaded (ours and packages') and Node's own list of its internals. The start-up
// tests check a command loads nothing it does not need; the compile cache test, that nothing
// needed the TypeScript stripper.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface LoadedModules {
  urls: string[];
  /** process.moduleLoadList: "NativeModule internal/…", "Internal Binding …". */
  builtins: string[];
}

/** Imports `files` (repository paths), in order, in a new process with `env`. */
export async function modulesLoadedBy(files: string[], env: NodeJS.ProcessEnv = process.env): Promise<LoadedModules> {
  const child = `
    import { registerHooks } from "node:module";
    const urls = [];
    registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
    for (const file of ${JSON.stringify(files)}) await import(new URL(file, ${JSON.stringify(`file://${ROOT}`)}).href);
    console.log(JSON.stringify({ urls, builtins: process.moduleLoadList }));
  `;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", child], { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as LoadedModules;
}
