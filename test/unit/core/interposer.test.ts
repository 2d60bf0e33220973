import { expect } from "chai";
import { interpose } from "../../../webhook/core/interposer.ts";

describe("interposers", () => {
  const command = ["one", "two", "five six"];
  const args = ["nine", "eleven twelve"];
  it("buildkite: command items are script lines, args are quoted onto the last", () => {
    expect(interpose("buildkite", command, args)).to.equal("one\ntwo\nfive six nine 'eleven twelve'");
    expect(interpose(undefined, ["make", "test"])).to.equal("make\ntest");
    expect(interpose("", ["echo"], ["a b"])).to.equal("echo 'a b'");
    expect(interpose("buildkite", ["echo 'hello world'", "ls -halt", "touch"], ["example file.txt"])).to.equal(
      "echo 'hello world'\nls -halt\ntouch 'example file.txt'",
    );
  });
  it("vector: one shell-quoted command line (Kubernetes argv semantics)", () => {
    expect(interpose("vector", command, args)).to.equal("one two 'five six' nine 'eleven twelve'");
    expect(interpose("vector", ["make", "test"])).to.equal("make test");
    expect(interpose("vector", ["echo"], ["a b"])).to.equal("echo 'a b'");
    expect(interpose("vector", ["sh", "-c"], ["echo $HOME"])).to.equal("sh -c 'echo $HOME'");
  });
  it("legacy: a plain space join", () => {
    expect(interpose("legacy", command, args)).to.equal("one two five six nine eleven twelve");
    expect(interpose("legacy", ["echo"], ["a b"])).to.equal("echo a b");
  });
});
