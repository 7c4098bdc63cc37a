#!/usr/bin/env bash
# Deploys the Nexus Autonomy Suite, waits until it is ready, then smoke-tests it with the
# documented requests (README "Deployment").
#
#   ./deploy-phase6.sh [local|k8s|helm] [--no-smoke]
#
#   local  docker compose up -d --build (docker-compose when the plugin is missing);
#          the coordinator on http://localhost:8070
#   k8s    kubectl apply -f k8s/, rollout status, smoke test through a port-forward
#   helm   helm upgrade --install ./helm-chart, rollout status, smoke test through a port-forward
#
# Environment (all optional):
#   NEXUS_IMAGE    k8s/helm: image to run, <registry>/nexus-autonomy-suite:<tag> (built and
#                  pushed beforehand); default: the one in k8s/ or helm-chart/values.yaml
#   NEXUS_API_KEY  key the smoke test sends; default: the first admin (else operator) key of
#                  API_KEYS (local: from this environment; k8s/helm: from the Secret)
#   NAMESPACE      k8s/helm namespace (default nexus-architect)
#   RELEASE        helm release name (default nexus-architect)
#   HELM_ARGS      extra helm arguments, e.g. "-f my-values.yaml --set postgresql.password=..."
#   LOCAL_PORT     local end of the port-forward (default 18070)
#   TIMEOUT        seconds to wait for readiness / rollouts (default 300)
set -euo pipefail
cd "$(dirname "$0")"

NAMESPACE="${NAMESPACE:-nexus-architect}"
RELEASE="${RELEASE:-nexus-architect}"
LOCAL_PORT="${LOCAL_PORT:-18070}"
TIMEOUT="${TIMEOUT:-300}"
CHART_NAME=nexus-architect

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }
log() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required for this mode"; }

MODE=local
SMOKE=1
for arg in "$@"; do
  case "$arg" in
    local | k8s | helm) MODE=$arg ;;
    --no-smoke) SMOKE=0 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $arg" ;;
  esac
done

# ---------------------------------------------------------------------------------------
# helpers

PF_PID=""
BODY_FILE="$(mktemp)"
cleanup() {
  if [ -n "$PF_PID" ] && kill -0 "$PF_PID" 2>/dev/null; then kill "$PF_PID" 2>/dev/null || true; fi
  rm -f "$BODY_FILE"
}
trap cleanup EXIT

# first admin key of "key:role,key:role", else the first operator key
pick_api_key() {
  local keys=$1 entry role entries
  for role in admin operator; do
    IFS=',' read -r -a entries <<<"$keys"
    for entry in "${entries[@]}"; do
      entry="${entry// /}"
      if [ "${entry##*:}" = "$role" ]; then printf '%s' "${entry%:*}"; return 0; fi
    done
  done
  return 0
}

# wait_ready <base-url>
wait_ready() {
  local url=$1 deadline=$((SECONDS + TIMEOUT))
  printf 'waiting for %s/ready ' "$url"
  until curl -fsS -o /dev/null --max-time 5 "$url/ready" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo; return 1; fi
    printf '.'
    sleep 2
  done
  echo ' ready'
}

# port_forward <service> <service-port>: forwards LOCAL_PORT to the service in the background
port_forward() {
  kubectl -n "$NAMESPACE" port-forward "service/$1" "$LOCAL_PORT:$2" >/dev/null 2>&1 &
  PF_PID=$!
  sleep 2
  kill -0 "$PF_PID" 2>/dev/null || die "kubectl port-forward service/$1 $LOCAL_PORT:$2 failed (is port $LOCAL_PORT free?)"
}

# secret_api_keys <secret-name>: API_KEYS stored in the Secret (empty when absent)
secret_api_keys() {
  kubectl -n "$NAMESPACE" get secret "$1" -o jsonpath='{.data.API_KEYS}' 2>/dev/null | base64 -d 2>/dev/null || true
}

# warn_placeholders <api-keys> <where-to-set-them>
warn_placeholders() {
  if [ "$1" != "${1#*CHANGE-ME}" ]; then
    echo "WARNING: API_KEYS still holds the CHANGE-ME placeholders: set real secrets ($2)." >&2
  fi
}

# ---------------------------------------------------------------------------------------
# smoke test of the coordinator (README "Multi-Agent Coordinator"); each request must be 200

FAILED=0
# check <method> <url> [json-body]
check() {
  local method=$1 url=$2 body=${3:-} code
  local args=(-sS -o "$BODY_FILE" -w '%{http_code}' --max-time 10 -X "$method" "$url")
  if [ -n "${API_KEY:-}" ]; then args+=(-H "X-API-Key: $API_KEY"); fi
  if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' -d "$body"); fi
  code=$(curl "${args[@]}" 2>/dev/null) || code="${code:-000}"
  if [ "$code" = "200" ]; then
    echo "ok   $method ${url#"$BASE"} -> $code"
  else
    echo "FAIL $method ${url#"$BASE"} -> $code: $(head -c 300 "$BODY_FILE" 2>/dev/null)"
    FAILED=1
  fi
}

smoke_coordinator() {
  BASE=$1
  local agent task_id
  agent="smoke_agent_$(date +%s)_$$"
  log "smoke test: $BASE"
  check GET "$BASE/health"
  check POST "$BASE/agents" '{"id": "'"$agent"'", "agent_type": "decision_engine", "name": "Primary Decision Agent",
    "capabilities": ["analysis", "decision_making", "risk_assessment"],
    "max_capacity": 100.0, "specializations": ["financial_analysis", "risk_management"],
    "resources": {"cpu": 4, "memory": 8}}'
  check POST "$BASE/tasks" '{"task_type": "analysis", "priority": 3, "description": "Analyze system performance trends",
    "requirements": {"complexity": "high", "resources": {"cpu": 2.0, "memory": 4.0}},
    "dependencies": ["task_001", "task_002"], "deadline": "2024-01-15T10:00:00Z",
    "estimated_duration": 1800.0}'
  task_id=$(sed -n 's/.*"task_id":"\([^"]*\)".*/\1/p' "$BODY_FILE")
  check GET "$BASE/coordination/status"
  # leave nothing behind: cancel the task (it waits for task_001/task_002) and remove the
  # agent (removing needs an admin key; with an operator key the agent stays registered)
  local headers=()
  if [ -n "${API_KEY:-}" ]; then headers=(-H "X-API-Key: $API_KEY"); fi
  if [ -n "$task_id" ]; then
    curl -sS -o /dev/null --max-time 10 -X PUT "$BASE/tasks/$task_id/status" ${headers[@]+"${headers[@]}"} \
      -H 'Content-Type: application/json' -d '{"status":"cancelled"}' 2>/dev/null || true
  fi
  curl -sS -o /dev/null --max-time 10 -X DELETE "$BASE/agents/$agent" ${headers[@]+"${headers[@]}"} 2>/dev/null || true
  if [ "$FAILED" -ne 0 ]; then die "smoke test failed"; fi
  echo "smoke test passed"
}

# ---------------------------------------------------------------------------------------
# modes

deploy_local() {
  need docker
  need curl
  local compose
  if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
  else
    die "neither 'docker compose' nor docker-compose is installed"
  fi
  log "${compose[*]} up -d --build"
  "${compose[@]}" -f docker-compose.yml up -d --build
  if ! wait_ready "http://localhost:8070"; then
    "${compose[@]}" -f docker-compose.yml ps || true
    "${compose[@]}" -f docker-compose.yml logs --tail=100 multi-agent-coordinator || true
    die "the coordinator did not become ready within ${TIMEOUT}s"
  fi
  API_KEY="${NEXUS_API_KEY:-$(pick_api_key "${API_KEYS:-}")}"
  if [ "$SMOKE" -eq 1 ]; then smoke_coordinator "http://localhost:8070"; fi
}

deploy_k8s() {
  need kubectl
  need curl
  log "kubectl apply -f k8s/"
  kubectl apply -f k8s/
  if [ -n "${NEXUS_IMAGE:-}" ]; then
    kubectl -n "$NAMESPACE" set image deployment/multi-agent-coordinator \
      "wait-for-postgres=$NEXUS_IMAGE" "coordinator=$NEXUS_IMAGE"
  fi
  log "waiting for the rollouts"
  kubectl -n "$NAMESPACE" rollout status statefulset/postgres --timeout="${TIMEOUT}s"
  kubectl -n "$NAMESPACE" rollout status deployment/redis --timeout="${TIMEOUT}s"
  kubectl -n "$NAMESPACE" rollout status deployment/multi-agent-coordinator --timeout="${TIMEOUT}s"
  local keys
  keys="$(secret_api_keys nexus-secrets)"
  warn_placeholders "$keys" "k8s/11-secret.yaml"
  if [ "$SMOKE" -eq 1 ]; then
    API_KEY="${NEXUS_API_KEY:-$(pick_api_key "$keys")}"
    port_forward multi-agent-coordinator 8070
    wait_ready "http://localhost:$LOCAL_PORT" || die "the coordinator is not ready through the port-forward"
    smoke_coordinator "http://localhost:$LOCAL_PORT"
  fi
}

deploy_helm() {
  need helm
  need kubectl
  need curl
  # the chart's fullname: the release name when it contains the chart name
  local fullname="$RELEASE-$CHART_NAME"
  if [ "$RELEASE" != "${RELEASE#*"$CHART_NAME"}" ]; then fullname="$RELEASE"; fi
  fullname="${NEXUS_FULLNAME:-$fullname}"
  local args=(upgrade --install "$RELEASE" ./helm-chart --namespace "$NAMESPACE" --create-namespace
    --wait --timeout "${TIMEOUT}s")
  if [ -n "${NEXUS_IMAGE:-}" ]; then
    local last="${NEXUS_IMAGE##*/}"
    if [ "$last" != "${last#*:}" ]; then
      args+=(--set "image.repository=${NEXUS_IMAGE%:*}" --set "image.tag=${NEXUS_IMAGE##*:}")
    else
      args+=(--set "image.repository=$NEXUS_IMAGE")
    fi
  fi
  local extra=()
  if [ -n "${HELM_ARGS:-}" ]; then read -r -a extra <<<"$HELM_ARGS"; fi
  log "helm ${args[*]} ${extra[*]+${extra[*]}}"
  helm "${args[@]}" ${extra[@]+"${extra[@]}"}
  kubectl -n "$NAMESPACE" rollout status "deployment/$fullname-coordinator" --timeout="${TIMEOUT}s"
  local keys
  keys="$(secret_api_keys "$fullname-secrets")"
  warn_placeholders "$keys" "helm values apiKeys and postgresql.password"
  if [ "$SMOKE" -eq 1 ]; then
    API_KEY="${NEXUS_API_KEY:-$(pick_api_key "$keys")}"
    port_forward "$fullname-coordinator" 8070
    wait_ready "http://localhost:$LOCAL_PORT" || die "the coordinator is not ready through the port-forward"
    smoke_coordinator "http://localhost:$LOCAL_PORT"
  fi
}

case "$MODE" in
  local) deploy_local ;;
  k8s) deploy_k8s ;;
  helm) deploy_helm ;;
esac
log "deployed ($MODE)"
