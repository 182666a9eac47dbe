# syntax=docker/dockerfile:1.7
#
# ASEAGI Batch images (docs/worker.md explains building, pushing and WORKER_IMAGE):
#   docker build --target orchestrator -t aseagi:0.1.0 .
#   docker build --target gpu-worker   -t ghcr.io/<you>/aseagi-worker:0.1.0 .
#
# Node 24 LTS in both. The issue that asked for these images named node:20-slim, but Node 20 reached its end
# of life in April 2026 (no security fixes any more); our users run Node 24 LTS and CI tests on it.

ARG NODE_VERSION=24
# CUDA 12.8 matches the pinned vLLM's wheels (torch cu128); hosts need an NVIDIA driver >= 570.
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-runtime-ubuntu24.04
ARG VLLM_VERSION=0.11.0

# ---------- build: compile TypeScript, keep production dependencies only ----------
FROM node:${NODE_VERSION}-slim AS build
WORKDIR /app
# better-sqlite3 compiles itself when no prebuilt binary matches this Node; only this stage needs a compiler.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 esbuild
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# ---------- orchestrator: the bot, the HTTP API and the engine (`aseagi serve`) ----------
FROM node:${NODE_VERSION}-slim AS orchestrator
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8001 \
    DATA_DIR=/data \
    ASEAGI_DB=/data/aseagi.db \
    INBOX_DIR=/data/inbox \
    GOOGLE_TOKEN_PATH=/data/google-token.json
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# The database, the inbox and the Google token live on a volume owned by the unprivileged `node` user.
RUN mkdir -p /data/inbox && chown -R node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8001
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 8001) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["npm", "start"]

# ---------- vllm: a virtual environment with the pinned vLLM (the GPU OCR server) ----------
FROM ${CUDA_IMAGE} AS vllm
ARG VLLM_VERSION
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/vllm \
 && /opt/vllm/bin/pip install --no-cache-dir "vllm==${VLLM_VERSION}" \
 && find /opt/vllm -name __pycache__ -prune -exec rm -rf {} +

# ---------- gpu-worker: the document worker, tesseract, and vLLM serving OCR_VLM_MODEL on localhost ----------
FROM ${CUDA_IMAGE} AS gpu-worker
ARG BAKE_MODEL=0
ARG OCR_VLM_MODEL=allenai/olmOCR-2-7B-1025-FP8
ENV NODE_ENV=production \
    WORKER_HOST=0.0.0.0 \
    WORKER_PORT=8080 \
    OCR_ENGINE=auto \
    OCR_VLM_MODEL=${OCR_VLM_MODEL} \
    HF_HOME=/models \
    PATH=/opt/vllm/bin:${PATH}
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 tesseract-ocr tesseract-ocr-eng tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 worker \
 && mkdir -p /models && chown worker:worker /models
# Node 24 from the official image: one binary, built for glibc 2.28+, so it runs on Ubuntu 24.04 as it is.
COPY --from=build /usr/local/bin/node /usr/local/bin/node
COPY --from=vllm /opt/vllm /opt/vllm
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY --chmod=755 docker/gpu-worker-entrypoint.sh ./docker/gpu-worker-entrypoint.sh
USER worker
# Optional: bake the model's weights into the image (BAKE_MODEL=1, ~9 GB more) instead of downloading them at start.
RUN if [ "$BAKE_MODEL" = 1 ]; then /opt/vllm/bin/python -c "from huggingface_hub import snapshot_download; snapshot_download('${OCR_VLM_MODEL}')"; fi
EXPOSE 8080
# /livez needs no token. Model download and loading can take many minutes before the worker listens.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30m --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.WORKER_PORT || 8080) + '/livez').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "/app/docker/gpu-worker-entrypoint.sh"]
