import { expect } from "chai";
import fc from "fast-check";
import { isDefaultQueue, matchJobTags, normaliseJobRules, queueKeyFor, stackTags } from "../../../dispatcher/loop/agent-tags.ts";

describe("dispatcher agent tags", () => {
  describe("stackTags", () => {
    it("takes the queue from config over the queue tag", () => {
      const st = stackTags({ queue: "k8s", tags: ["queue=other", "os=linux"] });
      expect(st.queue).to.equal("k8s");
      expect([...st.tags]).to.deep.equal([["queue", "k8s"], ["os", "linux"]]);
      expect(queueKeyFor(st)).to.equal("k8s");
    });

    it("falls back to the queue tag, then to the default queue", () => {
      expect(stackTags({ queue: "", tags: ["queue=gpu"] }).queue).to.equal("gpu");
      const def = stackTags({ queue: "", tags: ["os=linux"] });
      expect(def.queue).to.equal("");
      expect(def.tags.has("queue")).to.equal(false);
      expect(queueKeyFor(def)).to.equal("_default");
    });

    it("treats _default, __default__, ~ and - as the default queue", () => {
      for (const q of ["_default", "__default__", "~", "-", ""]) {
        expect(isDefaultQueue(q), q).to.equal(true);
        expect(stackTags({ queue: q, tags: [] }).queue).to.equal("");
      }
      expect(isDefaultQueue("default")).to.equal(false);
    });

    it("keeps everything after the first = as the value and rejects tags without one", () => {
      expect(stackTags({ queue: "", tags: ["a=b=c"] }).tags.get("a")).to.equal("b=c");
      expect(() => stackTags({ queue: "", tags: ["novalue"] })).to.throw(/expected key=value/);
    });
  });

  describe("normaliseJobRules", () => {
    it("sets queue= to ours on a named queue", () => {
      const st = stackTags({ queue: "k8s", tags: [] });
      expect(normaliseJobRules(["os=linux", "queue=k8s"], st)).to.deep.equal(["queue=k8s", "os=linux"]);
      expect(normaliseJobRules(["os=linux"], st)).to.deep.equal(["queue=k8s", "os=linux"]);
    });

    it("drops queue= on the default queue", () => {
      const st = stackTags({ queue: "", tags: [] });
      expect(normaliseJobRules(["queue=default", "os=linux"], st)).to.deep.equal(["os=linux"]);
    });
  });

  describe("matchJobTags", () => {
    const tags = new Map([["queue", "k8s"], ["os", "linux"], ["arch", "amd64"]]);

    it("matches a subset of our tags", () => {
      expect(matchJobTags(["queue=k8s", "os=linux"], tags)).to.deep.equal({ matched: true });
      expect(matchJobTags([], tags)).to.deep.equal({ matched: true });
    });

    it("matches * against any value we have, but not a tag we lack", () => {
      expect(matchJobTags(["os=*"], tags).matched).to.equal(true);
      const missing = matchJobTags(["gpu=*"], tags);
      expect(missing.matched).to.equal(false);
      if (!missing.matched) expect(missing.reason).to.match(/no gpu tag/);
    });

    it("refuses a different value and a malformed rule", () => {
      expect(matchJobTags(["os=windows"], tags).matched).to.equal(false);
      expect(matchJobTags(["bogus"], tags).matched).to.equal(false);
    });

    it("does not match resource_class (it selects a resource class instead)", () => {
      expect(matchJobTags(["resource_class=large"], tags).matched).to.equal(true);
    });

    it("is monotonic: a job matching some tags matches any superset of them", () => {
      const entry = fc.tuple(fc.constantFrom("a", "b", "c", "d"), fc.constantFrom("1", "2"));
      fc.assert(fc.property(fc.array(entry), fc.array(entry), (jobPairs, extra) => {
        const ours = new Map(jobPairs);
        const rules = [...ours].map(([k, v]) => `${k}=${v}`);
        const superset = new Map([...extra.filter(([k]) => !ours.has(k)), ...ours]);
        return matchJobTags(rules, ours).matched && matchJobTags(rules, superset).matched;
      }));
    });
  });
});
