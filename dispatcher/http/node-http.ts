// node:http as its CommonJS module, not as an ES module: importing "node:http" makes Node read
// every export for the ES module's namespace, and the WebSocket, CloseEvent and MessageEvent
// getters among them load Node's bundled undici (~8 MB of RSS, measured). The process never
// uses those, nor fetch. Types still come from `import type … from "node:http"`.
export const http = process.getBuiltinModule("node:http");
