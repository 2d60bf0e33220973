// What every `agentify certs` subcommand shares: CertErrors printed as one line and exit 1,
// output through commander (so tests capture it), and day-count flags.
import { InvalidArgumentError, type Command } from "commander";
import { CertError } from "./errors.ts";

/** CertErrors are the user's to fix: print the message alone (no stack, no usage) and exit 1. */
export async function run(cmd: Command, action: () => void | Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (!(err instanceof CertError)) throw err;
    cmd.showHelpAfterError(false);
    cmd.error(`error: ${err.message}`, { exitCode: 1, code: "agentify.certs" });
  }
}

export function write(cmd: Command, text: string): void {
  const out = cmd.configureOutput();
  if (out.writeOut) out.writeOut(text);
  else process.stdout.write(text);
}

export function parseDays(value: string): number {
  if (!/^[1-9][0-9]{0,5}$/.test(value)) throw new InvalidArgumentError("Expected a whole number of days, at least 1.");
  return Number(value);
}
