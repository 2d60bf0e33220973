import { expect } from "chai";
import jsonpatch from "fast-json-patch";
import { patchFor, type JsonValue } from "../../../webhook/core/index.ts";

function roundTrip(a: JsonValue, b: JsonValue): void {
  const ops = patchFor(a, b);
  const out = jsonpatch.applyPatch(structuredClone(a), ops as jsonpatch.Operation[], true, false).newDocument;
  expect(out).to.deep.equal(b);
}

describe("patchFor", () => {
  it("adds absent maps and arrays whole", () => {
    const a = { metadata: { name: "x" }, spec: {} };
    const b = { metadata: { name: "x", annotations: { "a/b": "1" } }, spec: { initContainers: [{ name: "copy-agent" }] } };
    expect(patchFor(a, b)).to.deep.equal([
      { op: "add", path: "/metadata/annotations", value: { "a/b": "1" } },
      { op: "add", path: "/spec/initContainers", value: [{ name: "copy-agent" }] },
    ]);
    roundTrip(a, b);
  });

  it("escapes ~ and / in pointer tokens", () => {
    const a = { labels: {} };
    const b = { labels: { "x.io/a~b": "v" } };
    expect(patchFor(a, b)).to.deep.equal([{ op: "add", path: "/labels/x.io~1a~0b", value: "v" }]);
    roundTrip(a, b);
  });

  it("inserts at the front with one add, not a cascade of replaces", () => {
    const a = { list: [{ name: "a" }, { name: "b" }] };
    const b = { list: [{ name: "new" }, { name: "a" }, { name: "b" }] };
    expect(patchFor(a, b)).to.deep.equal([{ op: "add", path: "/list/0", value: { name: "new" } }]);
    roundTrip(a, b);
  });

  it("appends with adds at the end and removes from the highest index down", () => {
    expect(patchFor({ l: [1, 2] }, { l: [1, 2, 3, 4] })).to.deep.equal([
      { op: "add", path: "/l/2", value: 3 },
      { op: "add", path: "/l/3", value: 4 },
    ]);
    expect(patchFor({ l: [1, 2, 3, 4] }, { l: [1, 4] })).to.deep.equal([
      { op: "remove", path: "/l/2" },
      { op: "remove", path: "/l/1" },
    ]);
    roundTrip({ l: [1, 2, 3, 4] }, { l: [1, 4] });
  });

  it("gives no ops for equal documents and replaces changed scalars", () => {
    expect(patchFor({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).to.deep.equal([]);
    expect(patchFor({ a: true }, { a: false })).to.deep.equal([{ op: "replace", path: "/a", value: false }]);
    expect(patchFor({ a: 1 }, {})).to.deep.equal([{ op: "remove", path: "/a" }]);
  });

  it("round-trips mixed array edits", () => {
    roundTrip({ l: [1, 2, 3, 4, 5] }, { l: [9, 2, 8, 7, 6, 5] });
    roundTrip({ l: [{ x: 1 }, { y: 2 }] }, { l: [{ x: 2 }] });
    roundTrip([1, 2], { now: "an object" });
  });
});
