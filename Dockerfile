# berth: one image for both halves (`berth extender`, `berth agent`); the manifests choose with the first argument.
# Build:  docker build -t <registry>/berth:<tag> .   then set the tag in manifests/kustomization.yaml (images:).

# --- build: compile TypeScript to dist/ (tsc -p tsconfig.build.json) with the dev dependencies.
FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY lib ./lib
COPY server ./server
RUN npm run build

# --- runtime: production dependencies and the compiled code only; no compiler, no sources, no dev tools.
FROM node:24-slim
# The agent's collectors shell out: systeminformation's blockDevices() runs lsblk (util-linux) through /bin/sh,
# and pools of kind lvm run `vgs` (lvm2). The extender needs neither, but one image keeps the versions in step.
RUN apt-get update \
 && apt-get install -y --no-install-recommends util-linux lvm2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
# A numeric non-root user, so the kubelet can check runAsNonRoot; the manifests set the same ids.
USER 65532:65532
ENTRYPOINT ["node", "--enable-source-maps", "dist/server/main.js"]
CMD ["--help"]
