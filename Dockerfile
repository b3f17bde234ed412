# The `aifi` command as a container image: collector, orchestrator (a hospital's gateway),
# analytics, migrations and the built-in view all run from it (`docker run aifi <command>`).
#   docker build -t aifi-observe .
# Debian's Node 20 base, like the machines the project is developed and tested on.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only (tsx runs the TypeScript sources: there is no build step).
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    AIFI_DATA_DIR=/var/lib/aifi \
    AIFI_HOST=0.0.0.0 \
    KAFKAJS_NO_PARTITIONER_WARNING=1
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY alerts ./alerts
COPY analytics ./analytics
COPY cli ./cli
COPY collector ./collector
COPY config ./config
COPY dashboards ./dashboards
COPY events ./events
COPY orchestrator ./orchestrator
COPY simulator ./simulator
COPY store ./store
COPY vendors ./vendors
COPY tsconfig.json ./
# The data folder (embedded engine, secrets, tokens) belongs to the unprivileged user alone.
RUN mkdir -p /var/lib/aifi && chown node:node /var/lib/aifi && chmod 700 /var/lib/aifi
USER node
VOLUME /var/lib/aifi
# HTTP(S) for events, STOW-RS, the view and /metrics; DICOM C-STORE for a gateway.
EXPOSE 8080 11112
# No HEALTHCHECK here: a collector with mutual TLS admits no probe without a certificate; the
# compose file and the Helm chart say how each service is checked.
ENTRYPOINT ["node", "bin/aifi.mjs"]
CMD ["--help"]
