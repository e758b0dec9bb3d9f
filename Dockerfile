# syntax=docker/dockerfile:1
# One image, three services. Cloud Run picks the service with `args` (terraform/modules/livestreamsell/main.tf):
#   ingress  → dist/services/ingress/main.js   (the default below)
#   worker   → dist/services/worker/main.js
#   notifier → dist/services/notifier/main.js
# Node runs as PID 1 directly — never under npm, which may not pass SIGTERM on to the shutdown handler.
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-slim AS build
WORKDIR /app
# Dependencies first, so the layer is reused while only source changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY shared ./shared
COPY services ./services
# tsc emits dist/ from services/ and shared/ only (tsconfig.build.json), including the BigQuery schema JSON files
# the code imports; then dev dependencies go. The context has nothing else (.dockerignore is an allow-list), so an
# import of tests/ or scripts/ fails here — scripts/ci/docker-build-check.ts runs these same steps in CI.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# package.json carries "type": "module", which the compiled ESM needs.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The official image's unprivileged user (uid 1000). The app writes nothing to disk.
USER node
EXPOSE 8080
ENTRYPOINT ["node"]
CMD ["dist/services/ingress/main.js"]
