// `agentify certs …` run in-process through commander: what each subcommand writes.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { servingCertNames } from "../../../certs/index.ts";
import { agentify, NAMESPACE, removeTempDirs, SERVICE, SVC_DNS, tempDir } from "./helpers.ts";

function read(dir: string, name: string): string {
  return readFileSync(join(dir, name), "utf8");
}

describe("certs: the agentify certs command", () => {
  after(removeTempDirs);

  it("generate writes a CA and a serving cert for the Service and the given IPs", async () => {
    const dir = join(tempDir(), "out");
    const run = await agentify("certs", "generate", "--service", SERVICE, "--namespace", NAMESPACE,
      "--ip", "127.0.0.1", "--ip", "10.0.0.7", "--dns", "webhook.local", "--days", "30", "--out-dir", dir);
    assert.equal(run.stderr, "");
    assert.equal(run.exitCode, 0);
    assert.match(run.stdout, new RegExp(`^wrote ca.crt, ca.key, tls.crt and tls.key to ${dir}; serial [0-9a-f]{32}, valid until \\S+Z\\n$`));
    assert.equal(statSync(join(dir, "tls.key")).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, "ca.key")).mode & 0o777, 0o600);
    const cert = new X509Certificate(read(dir, "tls.crt"));
    assert.ok(cert.checkIssued(new X509Certificate(read(dir, "ca.crt"))));
    assert.deepEqual(servingCertNames(read(dir, "tls.crt")), {
      commonName: SVC_DNS,
      dnsNames: [SERVICE, `${SERVICE}.${NAMESPACE}`, SVC_DNS, `${SVC_DNS}.cluster.local`, "webhook.local"],
      ips: ["127.0.0.1", "10.0.0.7"],
    });
    const days = (new Date(cert.validTo).getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `valid for ${days} days`);
  });

  it("rotate keeps the CA and the names, and changes the key and serial", async () => {
    const dir = tempDir();
    await agentify("certs", "generate", "--service", SERVICE, "--namespace", NAMESPACE, "--ip", "127.0.0.1", "--out-dir", dir);
    const before = { caCert: read(dir, "ca.crt"), caKey: read(dir, "ca.key"), cert: read(dir, "tls.crt"), key: read(dir, "tls.key") };
    const run = await agentify("certs", "rotate", "--out-dir", dir, "--days", "10");
    assert.equal(run.exitCode, 0);
    assert.equal(run.stderr, "");
    assert.match(run.stdout, new RegExp(`^rotated ${join(dir, "tls.crt")}; serial [0-9a-f]{32}, valid until \\S+Z\\n$`));
    assert.equal(read(dir, "ca.crt"), before.caCert);
    assert.equal(read(dir, "ca.key"), before.caKey);
    assert.notEqual(read(dir, "tls.key"), before.key);
    const oldCert = new X509Certificate(before.cert);
    const newCert = new X509Certificate(read(dir, "tls.crt"));
    assert.notEqual(newCert.serialNumber, oldCert.serialNumber);
    assert.equal(newCert.subjectAltName, oldCert.subjectAltName);
    assert.equal(newCert.subject, oldCert.subject);
    assert.ok(newCert.checkIssued(new X509Certificate(before.caCert)));
    assert.ok(newCert.verify(new X509Certificate(before.caCert).publicKey));
    assert.equal(statSync(join(dir, "tls.key")).mode & 0o777, 0o600);
  });

  it("ca-bundle prints one base64 line that decodes to ca.crt", async () => {
    const dir = tempDir();
    await agentify("certs", "generate", "--service", SERVICE, "--namespace", NAMESPACE, "--out-dir", dir);
    const run = await agentify("certs", "ca-bundle", "--out-dir", dir);
    assert.equal(run.exitCode, 0);
    assert.match(run.stdout, /^[A-Za-z0-9+/]+=*\n$/);
    assert.equal(Buffer.from(run.stdout.trim(), "base64").toString("utf8"), read(dir, "ca.crt"));
  });

  it("generate refuses to replace an existing CA unless --force", async () => {
    const dir = tempDir();
    const args = ["certs", "generate", "--service", SERVICE, "--namespace", NAMESPACE, "--out-dir", dir];
    await agentify(...args);
    const ca = read(dir, "ca.crt");
    const refused = await agentify(...args);
    assert.deepEqual(refused, {
      stdout: "",
      stderr: `error: ${dir} already holds a CA (ca.key); use \`agentify certs rotate\` to renew the serving cert, or --force to replace the CA\n`,
      exitCode: 1,
    });
    assert.equal(read(dir, "ca.crt"), ca);
    const forced = await agentify(...args, "--force");
    assert.equal(forced.exitCode, 0);
    assert.notEqual(read(dir, "ca.crt"), ca);
  });

  it("reports a missing directory, CA or serving cert without usage text", async () => {
    const dir = tempDir();
    const missing = join(dir, "missing");
    assert.deepEqual(await agentify("certs", "rotate", "--out-dir", missing),
      { stdout: "", stderr: `error: certificate directory ${missing} does not exist\n`, exitCode: 1 });
    assert.deepEqual(await agentify("certs", "ca-bundle", "--out-dir", missing),
      { stdout: "", stderr: `error: certificate directory ${missing} does not exist\n`, exitCode: 1 });
    assert.deepEqual(await agentify("certs", "rotate", "--out-dir", dir),
      { stdout: "", stderr: `error: ${dir} has no ca.crt and ca.key to sign with; run \`agentify certs generate\` first\n`, exitCode: 1 });
    assert.deepEqual(await agentify("certs", "ca-bundle", "--out-dir", dir),
      { stdout: "", stderr: `error: ${dir} has no ca.crt; run \`agentify certs generate\` first\n`, exitCode: 1 });
  });

  it("rejects bad flag values before doing anything, with the usage", async () => {
    const dir = join(tempDir(), "never");
    const cases: Array<[string[], string]> = [
      [["--namespace", NAMESPACE], "error: required option '--service <name>' not specified"],
      [["--service", SERVICE, "--namespace", NAMESPACE, "--days", "1.5"], "error: option '--days <n>' argument '1.5' is invalid. Expected a whole number of days, at least 1."],
      [["--service", SERVICE, "--namespace", NAMESPACE, "--ip", "localhost"], "error: option '--ip <address>' argument 'localhost' is invalid. Expected an IPv4 or IPv6 address."],
      [["--service", SERVICE, "--namespace", NAMESPACE, "--dns", "Bad_Name"], "error: option '--dns <name>' argument 'Bad_Name' is invalid. Expected a lower-case DNS name."],
      [["--service", SERVICE, "--namespace", NAMESPACE, "--nope"], "error: unknown option '--nope'"],
    ];
    for (const [flags, message] of cases) {
      const run = await agentify("certs", "generate", ...flags, "--out-dir", dir);
      assert.equal(run.exitCode, 1);
      assert.equal(run.stdout, "");
      assert.ok(run.stderr.startsWith(`${message}\n\nUsage: agentify certs generate [options]\n`), run.stderr);
    }
    assert.throws(() => statSync(dir), { code: "ENOENT" });
  });

  it("describes every flag in --help", async () => {
    const help = {
      generate: ["--service <name>", "--namespace <ns>", "--ip <address>", "--dns <name>", "--days <n>", "--ca-days <n>", "--out-dir <dir>", "--force"],
      rotate: ["--out-dir <dir>", "--days <n>"],
      "ca-bundle": ["--out-dir <dir>"],
    };
    for (const [command, flags] of Object.entries(help)) {
      const run = await agentify("certs", command, "--help");
      assert.equal(run.exitCode, 0);
      for (const flag of flags) assert.match(run.stdout, new RegExp(`^  ${flag.replace(/[<>]/g, "\\$&")} +\\S`, "m"), `${command} ${flag}`);
    }
  });
});
