# syntax=docker/dockerfile:1
# Tessera's container image: @tessera/server installed from the workspace's own packed tarballs (what
# npm would publish), run as the unprivileged `node` user, with a read-only root filesystem in mind:
# the only place it writes is the data volume (SQLite, generated files, server.json).
# Not built on the CI machine (no docker daemon there): test/packaging/packaging.test.ts lays out
# /opt/tessera the same way from the tarballs and runs this entrypoint and health check.

# --- build: compile the workspace and pack the packages -------------------------------------------
FROM node:24-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary can be downloaded.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages ./packages
COPY bench/package.json ./bench/
RUN npm ci --no-audit --no-fund \
  && npx tsc -b \
  && mkdir /tarballs \
  && npm pack -w packages/protocol -w packages/server --pack-destination /tarballs

# --- install: only the server and its runtime dependencies, from the tarballs ---------------------
WORKDIR /opt/tessera
RUN echo '{"name":"tessera-image","private":true,"type":"module"}' > package.json \
  && npm install --omit=dev --no-audit --no-fund --no-package-lock /tarballs/*.tgz
COPY deploy/docker-entrypoint.sh deploy/healthcheck.mjs /opt/tessera/

# --- runtime ------------------------------------------------------------------------------------
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
  TESSERA_HOME=/opt/tessera \
  TESSERA_DATA_DIR=/var/lib/tessera \
  TESSERA_HOST=0.0.0.0 \
  TESSERA_PORT=4000
COPY --from=build /opt/tessera /opt/tessera
RUN mkdir -p /var/lib/tessera && chown node:node /var/lib/tessera
USER node
VOLUME ["/var/lib/tessera"]
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/opt/tessera/healthcheck.mjs"]
ENTRYPOINT ["/opt/tessera/docker-entrypoint.sh"]
CMD ["serve"]
