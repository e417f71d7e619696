# The image ops ship to ECS Fargate. Three stages so the runtime image holds only production dependencies and
# compiled JavaScript: no compiler, no test tools, no sources.
# Official Node image, current LTS (24, inside package.json's engines range, as .nvmrc), Debian bookworm slim;
# pinned by tag (for byte-for-byte reproducible builds pin the digest as well: node:24-bookworm-slim@sha256:…).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY app ./app
RUN npx tsc -p tsconfig.json

FROM node:24-bookworm-slim AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and only readable by the server: it cannot change its own code, and nothing here needs to be
# written, so the container runs with a read-only root filesystem.
COPY package.json ./
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist/app ./dist/app
# Fargate gives a read-only root a writable /tmp only as a task bind mount, root-owned 0755 when empty. ECS copies
# the image's VOLUME path into the bind mount of the same containerPath (ECS Developer Guide, "Use bind mounts with
# Amazon ECS"), so /tmp keeps the image's mode 1777 and uid 1000 can write there (infra/container.ts mounts it).
VOLUME ["/tmp"]
USER node
# MCP clients (PORT) and relayed requests from the service's other tasks (MCP_PEER_PORT).
EXPOSE 3000 3001
# Node itself (the slim image has no curl); honours PORT and MCP_BASE_PATH as the server does.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3000}${process.env.MCP_BASE_PATH || ''}/health`, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1's exec target (the entrypoint script execs it), so SIGTERM reaches the server's drain handler.
CMD ["node", "dist/app/main.js"]
