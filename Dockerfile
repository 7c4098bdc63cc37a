# One image for every Nexus service; the service is chosen by the command:
#   docker run IMAGE                                    Multi-Agent Coordinator (8070, the default)
#   docker run IMAGE node packages/suite/dist/main.js   every service in one process
# Storage comes from the environment (DATABASE_URL / REDIS_URL, see README "Configuration").
#
# Adding a service (e.g. services/learning): add its package.json to the "manifests" stage
# and its dist folder to the "runtime" stage (the two lines marked "per service").

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- workspace manifests: everything npm ci needs, nothing that changes with the code ----
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/suite/package.json packages/suite/
# per service: its package.json
COPY services/coordinator/package.json services/coordinator/

# ---- build: full install, compile the services (not the tests) ----
FROM manifests AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.base.json ./
COPY packages packages
COPY services services
RUN npm run build:services

# ---- production dependencies only ----
FROM manifests AS prod-deps
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# node_modules (with the workspace links) and every package.json
COPY --from=prod-deps /app ./
COPY --from=build /app/packages/core/dist packages/core/dist
COPY --from=build /app/packages/suite/dist packages/suite/dist
# per service: its dist folder
COPY --from=build /app/services/coordinator/dist services/coordinator/dist
COPY config config
COPY migrations migrations
# Only used by the embedded default (no DATABASE_URL): PGlite under /app/data.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8070
# No curl in the slim image: probe with node's fetch. Other services set PORT (8071, 8072).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:${PORT:-8070}/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "services/coordinator/dist/main.js"]
