#!/usr/bin/env bash
# Entrypoint of the gpu-worker image. When OCR_ENGINE asks for the VLM (`vlm`, or `auto` on a machine with a
# GPU), it starts vLLM serving OCR_VLM_MODEL on 127.0.0.1, waits until vLLM is healthy, and points the worker at
# it (OCR_VLM_URL); then it starts the document worker on 0.0.0.0:$WORKER_PORT. Signals go to both; when the
# worker exits (stopped, or its dead man's switch fired), vLLM is stopped and the container exits with the
# worker's status.
#
# Settings (environment): OCR_ENGINE (auto|vlm|tesseract|tesseract-js|none), OCR_VLM_MODEL, WORKER_PORT,
# VLLM_PORT (8000), VLLM_START_TIMEOUT_S (1800: a first start downloads ~9 GB of weights),
# VLLM_GPU_MEMORY_UTILIZATION (0.90), VLLM_MAX_MODEL_LEN (16384), VLLM_EXTRA_ARGS. For tests and unusual
# layouts: VLLM_COMMAND (how to run vllm) and WORKER_COMMAND (how to run the worker).
set -euo pipefail

OCR_ENGINE="${OCR_ENGINE:-auto}"
OCR_VLM_MODEL="${OCR_VLM_MODEL:-allenai/olmOCR-2-7B-1025-FP8}"
VLLM_PORT="${VLLM_PORT:-8000}"
VLLM_START_TIMEOUT_S="${VLLM_START_TIMEOUT_S:-1800}"
VLLM_GPU_MEMORY_UTILIZATION="${VLLM_GPU_MEMORY_UTILIZATION:-0.90}"
VLLM_MAX_MODEL_LEN="${VLLM_MAX_MODEL_LEN:-16384}"
VLLM_COMMAND="${VLLM_COMMAND:-/opt/vllm/bin/vllm}"
WORKER_COMMAND="${WORKER_COMMAND:-node /app/dist/gpu-worker/main.js}"
export WORKER_HOST="${WORKER_HOST:-0.0.0.0}"
export WORKER_PORT="${WORKER_PORT:-8080}"
export OCR_ENGINE OCR_VLM_MODEL

vllm_pid=""
worker_pid=""

log() {
  printf '%s gpu-worker-entrypoint: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

has_gpu() {
  command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1
}

wants_vlm() {
  case "$OCR_ENGINE" in
    vlm) return 0 ;;
    auto) has_gpu ;;
    *) return 1 ;;
  esac
}

start_vllm() {
  log "starting vLLM with ${OCR_VLM_MODEL} on 127.0.0.1:${VLLM_PORT}"
  # shellcheck disable=SC2086 # VLLM_COMMAND and VLLM_EXTRA_ARGS are word lists on purpose
  $VLLM_COMMAND serve "$OCR_VLM_MODEL" \
    --host 127.0.0.1 --port "$VLLM_PORT" \
    --served-model-name "$OCR_VLM_MODEL" \
    --max-model-len "$VLLM_MAX_MODEL_LEN" \
    --gpu-memory-utilization "$VLLM_GPU_MEMORY_UTILIZATION" \
    ${VLLM_EXTRA_ARGS:-} &
  vllm_pid=$!
}

vllm_healthy() {
  node -e "fetch('http://127.0.0.1:${VLLM_PORT}/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
}

wait_for_vllm() {
  local deadline=$((SECONDS + VLLM_START_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$vllm_pid" 2>/dev/null; then
      log "vLLM exited before it was ready"
      return 1
    fi
    if vllm_healthy; then
      log "vLLM is ready after ${SECONDS}s"
      return 0
    fi
    sleep 2
  done
  log "vLLM was not ready within ${VLLM_START_TIMEOUT_S}s"
  return 1
}

stop_vllm() {
  if [[ -n "$vllm_pid" ]] && kill -0 "$vllm_pid" 2>/dev/null; then
    kill -TERM "$vllm_pid" 2>/dev/null || true
    wait "$vllm_pid" 2>/dev/null || true
  fi
  vllm_pid=""
}

forward_signal() {
  local signal="$1"
  log "received SIG${signal}; stopping"
  if [[ -n "$worker_pid" ]]; then kill "-${signal}" "$worker_pid" 2>/dev/null || true; fi
  if [[ -z "$worker_pid" ]]; then
    stop_vllm
    exit 143
  fi
}

trap 'forward_signal TERM' TERM
trap 'forward_signal INT' INT

if wants_vlm; then
  start_vllm
  if wait_for_vllm; then
    export OCR_VLM_URL="http://127.0.0.1:${VLLM_PORT}/v1"
  else
    stop_vllm
    if [[ "$OCR_ENGINE" == vlm ]]; then
      log "OCR_ENGINE=vlm needs vLLM; giving up"
      exit 1
    fi
    log "continuing without the VLM (OCR_ENGINE=auto falls back to tesseract)"
  fi
else
  log "OCR_ENGINE=${OCR_ENGINE}: not starting vLLM"
fi

log "starting the worker on ${WORKER_HOST}:${WORKER_PORT}"
# shellcheck disable=SC2086 # WORKER_COMMAND is a command line on purpose
$WORKER_COMMAND &
worker_pid=$!

# `wait` returns early when a trapped signal arrives; keep waiting until the worker itself has exited.
status=0
while :; do
  if wait "$worker_pid"; then status=0; else status=$?; fi
  kill -0 "$worker_pid" 2>/dev/null || break
done
log "the worker exited (status ${status}); stopping vLLM"
stop_vllm
exit "$status"
