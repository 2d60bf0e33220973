// Agents registered through the Agent API. Register (with the cluster's agent token)
// hands out an access token; from then on the agent is found by that token. A
// disconnected agent's token no longer works, as on Buildkite.
import { randomBytes, randomUUID } from "node:crypto";

export interface RegisteredAgent {
  id: string;
  name: string;
  accessToken: string;
  hostname: string;
  version: string;
  /** As sent in `meta_data`: `k=v` strings. */
  tags: string[];
  features: string[];
  ignoreInDispatches: boolean;
  state: "registered" | "connected" | "disconnected";
  registeredAt: number;
  connectedAt: number | null;
  disconnectedAt: number | null;
  lastHeartbeatAt: number | null;
  heartbeats: number;
  pings: number;
}

/** What a test may see of an agent: everything but its access token. */
export type AgentSnapshot = Omit<RegisteredAgent, "accessToken">;

export interface AgentRegistration {
  name: string;
  hostname: string;
  version: string;
  tags: string[];
  features: string[];
  ignoreInDispatches: boolean;
}

export class AgentRegistry {
  readonly #byId = new Map<string, RegisteredAgent>();
  readonly #byToken = new Map<string, RegisteredAgent>();

  register(input: AgentRegistration, now: number): RegisteredAgent {
    const agent: RegisteredAgent = {
      id: randomUUID(),
      name: input.name === "" ? `standin-agent-${this.#byId.size + 1}` : input.name,
      accessToken: `bkua_${randomBytes(20).toString("hex")}`,
      hostname: input.hostname,
      version: input.version,
      tags: input.tags,
      features: input.features,
      ignoreInDispatches: input.ignoreInDispatches,
      state: "registered",
      registeredAt: now,
      connectedAt: null,
      disconnectedAt: null,
      lastHeartbeatAt: null,
      heartbeats: 0,
      pings: 0,
    };
    this.#byId.set(agent.id, agent);
    this.#byToken.set(agent.accessToken, agent);
    return agent;
  }

  /** The agent holding this access token, unless it has disconnected. */
  byToken(token: string): RegisteredAgent | undefined {
    const agent = this.#byToken.get(token);
    return agent && agent.state !== "disconnected" ? agent : undefined;
  }

  get(id: string): RegisteredAgent | undefined {
    return this.#byId.get(id);
  }

  snapshots(): AgentSnapshot[] {
    return [...this.#byId.values()].map(({ accessToken: _token, ...rest }) => structuredClone(rest));
  }
}
