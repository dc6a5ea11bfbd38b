# syntax=docker/dockerfile:1
# packit-probot: the web server, workers and maintenance cron in one process, on SQLite.
#   docker build -t packit-probot .
#   docker run --init -p 3000:3000 -v packit-data:/app/data --env-file .env packit-probot
ARG NODE_VERSION=20

# --- build: all dependencies, TypeScript → dist/, then drop the dev dependencies ----
FROM node:${NODE_VERSION}-bookworm-slim AS build
# better-sqlite3 compiles its addon when no prebuilt binary matches the platform;
# kerberos (Koji and OpenScanHub logins) builds against MIT krb5's headers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ libkrb5-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev

# --- runtime: compiled app and production dependencies, as a non-root user -----------
FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    HOST=0.0.0.0 \
    PORT=3000 \
    PACKIT__DATABASE__PATH=/app/data/packit-probot.sqlite
WORKDIR /app
# MIT GSSAPI at run time for the kerberos addon; mount the keytab and, when needed, a krb5.conf.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgssapi-krb5-2 \
 && rm -rf /var/lib/apt/lists/*
# package.json and app.yml are read by Probot's setup page (App registration from the manifest).
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json app.yml ./
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME /app/data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3000}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--max-semi-space-size=64", "dist/src/main.js"]
