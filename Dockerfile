# syntax=docker/dockerfile:1
# Two images. `runtime` (the default, last stage) ships the product only: src/, workflows/ and
# activities/ compiled, for the worker (default command) and the listener; docker-compose.yml
# chooses the command. `simulator` is the demo TDG simulator from tooling/, for `--profile demo`.
# Debian (glibc), not Alpine: Temporal's native core bridge ships glibc builds.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- build: every dependency; type-check, prebuilt workflow bundle, compiled JavaScript
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY deploy/tsconfig.build.json ./deploy/
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY tooling/simulator ./tooling/simulator
COPY tooling/bin/simulator.ts ./tooling/bin/
# build: tsc --noEmit, then dist/workflow-bundle.js; build:js: dist/{src,workflows,activities,tooling}/**/*.js
RUN npm run build && npm run build:js

# ---- deps: production dependencies only (no tsx, typescript, vitest)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- simulator: the demo TDG simulator (development tooling, never in the runtime image)
FROM ${NODE_IMAGE} AS simulator
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/tooling ./dist/tooling
USER node
EXPOSE 8787
CMD ["node", "dist/tooling/bin/simulator.js"]

# ---- runtime: the worker and the listener
FROM ${NODE_IMAGE} AS runtime
# CA roots for TLS to Temporal Cloud (the SDK's core uses the system trust store).
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/workflow-bundle.js ./dist/
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/workflows ./dist/workflows
COPY --from=build /app/dist/activities ./dist/activities
# The mount points of compose's certificate volumes, owned by the unprivileged user so that a new
# named volume takes that ownership and tls-certificates (running as it) can write there.
RUN mkdir -p /tls /tls-ca && chown node:node /tls /tls-ca && chmod 0700 /tls-ca
# The image's own unprivileged user; files stay root-owned and read-only to it.
USER node
# worker: /healthz 8081, Prometheus 9464; listener: 8788
EXPOSE 8081 9464 8788
CMD ["node", "dist/src/bin/worker.js"]
