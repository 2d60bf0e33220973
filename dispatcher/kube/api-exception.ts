// A non-2xx answer from the apiserver: its status, body text (usually a metav1.Status) and
// headers, as client-node's ApiException has them, so that the same classification reads both
// (job/create-errors.ts). Our own class: the image ships without @kubernetes/client-node, which
// only tests and tools use.

/** The Status message of a body, else the body cropped; for the error's message. */
function describe(body: unknown): string {
  const text = typeof body === "string" ? body : JSON.stringify(body) ?? "";
  try {
    const status = JSON.parse(text) as { message?: unknown };
    if (typeof status.message === "string" && status.message !== "") return status.message;
  } catch {
    // Not JSON: the text itself.
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

export class ApiException<T = string> extends Error {
  /** The HTTP status. */
  readonly code: number;
  readonly body: T;
  readonly headers: Record<string, string>;

  /** `what` names the call, e.g. "POST /apis/batch/v1/namespaces/ns/jobs". */
  constructor(code: number, what: string, body: T, headers: Record<string, string> = {}) {
    super(`${what}: HTTP ${code}: ${describe(body)}`);
    this.name = "ApiException";
    this.code = code;
    this.body = body;
    this.headers = headers;
  }
}
