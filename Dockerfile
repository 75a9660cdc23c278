# syntax=docker/dockerfile:1
# One image for every process of the stack: the API (default command), the worker
# (`node dist/worker/main.js`), the mesh lab and the demo of docker-compose.yml
# (`node dist/lab/compose/lab.js`, `node dist/lab/compose/demo.js`) and the `gameday` CLI.
# test/integration/compose.test.ts checks that what the runtime stage copies is all the compiled
# code reads at run time, and that it imports no devDependency.

# Build stage: compile TypeScript with the dev toolchain.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY api ./api
COPY worker ./worker
COPY lab ./lab
COPY cli ./cli
RUN npm run build

# Runtime stage: production dependencies and compiled code only, as a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Read at run time: the scenario catalogue (GAMEDAY_SCENARIOS_DIR), the dashboard the API
# serves, the alert rules the lab turns into its variant for Prometheus.
COPY scenarios ./scenarios
COPY dashboard ./dashboard
COPY deploy/rules ./deploy/rules
# `gameday` on the PATH runs the compiled CLI (bin/gameday.mjs needs tsx, a devDependency).
RUN printf '#!/bin/sh\nexec node /app/dist/cli/main.js "$@"\n' > /usr/local/bin/gameday \
  && chmod 0755 /usr/local/bin/gameday \
  && mkdir -p /var/lib/gameday/lab /var/lib/gameday/lab-rules \
  && chown -R node:node /var/lib/gameday
ARG GAMEDAY_REVISION=unknown
ENV GAMEDAY_REVISION=${GAMEDAY_REVISION}
USER node
EXPOSE 8080
# The API's liveness; docker-compose.yml gives the worker, lab and demo services their own.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.GAMEDAY_API_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/api/main.js"]
