# syntax=docker/dockerfile:1
# Two images from one build, both on Node 24 LTS:
#   docker build --target orchestrator -t ai-implement .        the GitHub App server
#   docker build --target runner -t ai-implement-runner .       the job image (runner CLI, git, the pinned agent CLIs)
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY custom ./custom
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

# The agent CLIs pinned in runner/agents, installed by the same script the tests
# run. A stage of its own that sees only the manifest and the installer, so a
# source change does not reinstall a gigabyte of CLIs. Cursor's tarball is
# checked against cursor.json's sha256; a mismatch fails the build.
FROM deps AS agents
COPY runner/agents ./runner/agents
COPY src/errors ./src/errors
COPY src/runner/agents ./src/runner/agents
COPY scripts/install-agents.ts ./scripts/
RUN npx tsx scripts/install-agents.ts /opt/ai-implement/agents --opencode-config /home/node/.config/opencode

FROM ${NODE_IMAGE} AS orchestrator
ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=3000
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json app.yml ./
COPY views ./views
COPY pipelines ./pipelines
COPY workflow-templates ./workflow-templates
COPY custom ./custom
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]

FROM ${NODE_IMAGE} AS runner
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
 && rm -rf /var/lib/apt/lists/*
# The pins are the versions: the CLIs' own updaters stay off in a job.
ENV PATH=/opt/ai-implement/agents/bin:$PATH \
    DISABLE_AUTOUPDATER=1 \
    OPENCODE_DISABLE_AUTOUPDATE=1
# Owned by root, so a job cannot change the agent binaries; OpenCode's config
# directory belongs to the job's user because OpenCode writes there.
COPY --from=agents /opt/ai-implement/agents /opt/ai-implement/agents
COPY --from=agents --chown=node:node /home/node/.config /home/node/.config
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY pipelines ./pipelines
COPY custom ./custom
# doctor compares the installed versions with these pins.
COPY runner/agents/package.json runner/agents/cursor.json ./runner/agents/
RUN printf '#!/bin/sh\nexec node /app/dist/src/runner/cli.js "$@"\n' > /usr/local/bin/ai-implement-runner \
 && chmod 755 /usr/local/bin/ai-implement-runner
USER node
# Fails the build unless every pinned agent CLI runs, at its pinned version, as the job user.
RUN ai-implement-runner doctor --require-pinned
WORKDIR /workspace
ENTRYPOINT ["node", "/app/dist/src/runner/cli.js"]
