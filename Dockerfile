# syntax=docker/dockerfile:1
# One image for the worker (default command), the listener and the demo simulator; docker-compose.yml
# chooses the command. Debian (glibc), not Alpine: Temporal's native core bridge ships glibc builds.
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
# build: tsc --noEmit, then dist/workflow-bundle.js; build:js: dist/{src,workflows,activities}/**/*.js
RUN npm run build && npm run build:js

# ---- deps: production dependencies only (no tsx, typescript, vitest)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
# CA roots for TLS to Temporal Cloud (the SDK's core uses the system trust store).
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The image's own unprivileged user; files stay root-owned and read-only to it.
USER node
# worker: /healthz 8081, Prometheus 9464; listener: 8788; simulator (demo): 8787
EXPOSE 8081 9464 8788 8787
CMD ["node", "dist/src/bin/worker.js"]
