#!/usr/bin/env bash
# Shows lockstep on examples/ as a user would run it locally (CLI mode).
#
# Each run starts fresh: the work dir ($LOCKSTEP_DEMO_DIR, default
# .lockstep/demo, git-ignored) is wiped and gets a copy of examples/ committed
# into a throwaway git repository of its own. So the demo never touches the
# checkout (no .terraform/, state or plan files in examples/), Terraform state
# starts empty every time, and lockstep sees a real commit to derive versions
# from, not the lockstep repository around it. The work dir is left in place
# afterwards so its plan, binding record, state and ledger can be inspected.
#
# The demo is the list of steps in main(); add a step there to show more:
#   1. `lockstep run` on examples/infra for staging (not production-like: no
#      approval gate; --auto-approve anyway): validate, plan, apply, then deploy
#      the example app (examples/app, built once) as v1, smoke-check its
#      /healthz, and record app:v1-infra:<v> in the local ledger;
#   2. `lockstep history`;
#   3. deploy v2-broken, whose /healthz answers 503: its smoke checks fail and
#      lockstep rolls the app (never the infrastructure) back to v1, exit 1;
#   4. `lockstep history` again: the failed deployment and the rollback;
#   5. the metrics gate: a real Prometheus (Debian's package; installed when
#      missing and apt-get can run as root, else this step is skipped with a
#      note) scrapes the app's /metrics every second while a load loop calls
#      it; v3-flaky passes its smoke checks but answers half of its requests
#      with 500, so the canary's first step (10%) fails the error-ratio query
#      and lockstep rolls the app back to v1, exit 1.
# The app, Prometheus and the load loop run in the background on free local
# ports and are stopped when the demo exits.
#
# Environment:
#   LOCKSTEP            the lockstep binary (default .bin/lockstep; `make demo` builds it)
#   LOCKSTEP_DEMO_DIR   the work dir (default .lockstep/demo); it is deleted first
#   LOCKSTEP_PROMETHEUS the prometheus binary (default: prometheus on PATH)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCKSTEP="${LOCKSTEP:-$ROOT/.bin/lockstep}"
WORK="${LOCKSTEP_DEMO_DIR:-$ROOT/.lockstep/demo}"

INFRA_DIR=examples/infra
ENVIRONMENT=staging
# The app's binary, PID file, log and deploy command, inside the work dir.
APP_DIR_NAME=.demo-app
# Prometheus's config, storage and log, inside the work dir.
PROM_DIR_NAME=.demo-prometheus
# The metrics gate's query, as an alerting rule would say it: any version
# whose share of 5xx answers over the last 5 seconds is above 10%.
ERROR_RATIO='sum by (version) (rate(http_requests_total{code=~"5.."}[5s])) / sum by (version) (rate(http_requests_total[5s])) > 0.1'
BACKGROUND_PIDS=()

if [ -t 2 ]; then BOLD=$'\033[1m' RESET=$'\033[0m'; else BOLD='' RESET=''; fi
log() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$RESET" >&2; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

# prepare_workdir recreates $WORK as a one-commit git repository holding a
# copy of examples/, without anything a previous local run left there.
prepare_workdir() {
  case "$WORK" in
    "" | / | "$ROOT" | "$ROOT/" | "$HOME") die "refusing to use $WORK as the demo dir" ;;
  esac
  # A previous demo's app may still run if that demo was killed hard.
  stop_app
  rm -rf "$WORK"
  mkdir -p "$WORK"
  cp -R "$ROOT/examples" "$WORK/examples"
  find "$WORK/examples" \( -name .terraform -o -name '*.tfstate' -o -name '*.tfstate.*' \
    -o -name tfplan -o -name 'tfplan.lockstep.json' \) -prune -exec rm -rf {} +
  git -C "$WORK" init -q -b main
  git -C "$WORK" add -A
  git -C "$WORK" -c user.name='lockstep demo' -c user.email='demo@lockstep.invalid' \
    commit -q -m 'lockstep demo: examples'
}

# free_port prints a local TCP port that nothing listens on: bash's /dev/tcp
# fails to connect to it.
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "found no free local port"
}

# prepare_app builds examples/app once and writes the deploy command lockstep
# runs: it stops the running app and starts version $LOCKSTEP_APP_VERSION on
# port $1 in the background, its output in a log file (lockstep stops reading
# the deploy command's output once the command exits).
prepare_app() {
  local port="$1" dir="$WORK/$APP_DIR_NAME"
  mkdir -p "$dir"
  (cd "$ROOT" && go build -o "$dir/app" ./examples/app)
  # Unquoted delimiter: $dir and $port are written into the script, \$ stays.
  cat >"$dir/deploy.sh" <<DEPLOY
#!/bin/sh
# The demo's deploy-command: replace the running example app with version
# \$LOCKSTEP_APP_VERSION, listening on 127.0.0.1:$port.
set -eu
dir='$dir'
if [ -f "\$dir/app.pid" ]; then
  old=\$(cat "\$dir/app.pid")
  kill "\$old" 2>/dev/null || true
  i=0
  while kill -0 "\$old" 2>/dev/null && [ "\$i" -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
fi
# A "flaky" version passes its smoke checks but fails half of its users.
rate=0
case "\$LOCKSTEP_APP_VERSION" in *flaky*) rate=0.5 ;; esac
APP_VERSION="\$LOCKSTEP_APP_VERSION" APP_ERROR_RATE="\$rate" "\$dir/app" --addr 127.0.0.1:$port >>"\$dir/app.log" 2>&1 &
echo \$! >"\$dir/app.pid"
echo "started app \$LOCKSTEP_APP_VERSION (pid \$!) at \${LOCKSTEP_CANARY_WEIGHT:-100}% for \$DEPLOYMENT_VERSION on http://127.0.0.1:$port"
DEPLOY
  chmod +x "$dir/deploy.sh"
}

# stop_app stops the app the deploy command started, if it runs, and the
# demo's other background processes (Prometheus, the load loop).
stop_app() {
  local pidfile="$WORK/$APP_DIR_NAME/app.pid" pid
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
  for pid in "${BACKGROUND_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  BACKGROUND_PIDS=()
}

# http_get PORT PATH prints the body's first line of GET PATH on
# 127.0.0.1:PORT with bash's /dev/tcp (no curl needed); it fails when
# nothing listens.
http_get() {
  local line
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
  while IFS= read -r line <&3; do
    [ "$line" = $'\r' ] && break
  done
  IFS= read -r line <&3 || true
  exec 3>&-
  printf '%s\n' "$line"
}

# prometheus_binary prints the prometheus to run, installing Debian's
# package when it is missing and apt-get can run as root without asking;
# it prints nothing when there is none.
prometheus_binary() {
  local bin="${LOCKSTEP_PROMETHEUS:-prometheus}"
  if command -v "$bin" >/dev/null 2>&1; then
    command -v "$bin"
    return 0
  fi
  [ -z "${LOCKSTEP_PROMETHEUS:-}" ] || return 0
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; }; then
    "$ROOT/scripts/install-tools.sh" prometheus >&2 && command -v prometheus
  fi
}

# start_prometheus starts Prometheus on a free port, scraping the app's
# /metrics every second, and sets PROM_PORT; it leaves PROM_PORT empty when
# Prometheus is not installed.
start_prometheus() {
  local bin port dir="$WORK/$PROM_DIR_NAME"
  PROM_PORT=
  bin="$(prometheus_binary)" || true
  [ -n "$bin" ] || return 0
  port="$(free_port)"
  mkdir -p "$dir"
  cat >"$dir/prometheus.yml" <<PROM
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: demo-app
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
PROM
  "$bin" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$port" --log.level=warn >"$dir/prometheus.log" 2>&1 &
  BACKGROUND_PIDS+=($!)
  PROM_PORT="$port"
}

# wait_prometheus PORT waits until Prometheus has scraped the app once.
wait_prometheus() {
  local _
  for _ in $(seq 1 60); do
    if http_get "$1" '/api/v1/query?query=up%3D%3D1' 2>/dev/null | grep -q '"value"'; then
      return 0
    fi
    sleep 1
  done
  die "Prometheus on port $1 did not scrape the app within 60s; its log: $WORK/$PROM_DIR_NAME/prometheus.log"
}

# start_load calls the app's / every 50 ms in the background, as its users
# would, so that its error ratio means something.
start_load() {
  (while :; do http_get "$PORT" / >/dev/null 2>&1 || true; sleep 0.05; done) &
  BACKGROUND_PIDS+=($!)
}

# step TITLE COMMAND...: print a heading, then run COMMAND in the work dir.
step() {
  local title="$1"
  shift
  log "$title"
  printf '$ %s\n' "$*" >&2
  (cd "$WORK" && "$@")
}

# show_running prints the version the app answers, when curl is there.
show_running() {
  if command -v curl >/dev/null; then
    step "The app answering on port $PORT" curl -fsS "http://127.0.0.1:$PORT/version"
  fi
}

# metrics_gate deploys v3-flaky as a canary with the metrics gate on: the
# error ratio stops it at its first step and the app goes back to v1.
metrics_gate() {
  if [ -z "$PROM_PORT" ]; then
    log "Skipped: the metrics gate needs Prometheus (apt-get install prometheus, or set LOCKSTEP_PROMETHEUS; make tools installs it)"
    return 0
  fi
  wait_prometheus "$PROM_PORT"
  start_load
  local code=0
  step "Deploy v3-flaky as a canary behind the metrics gate: half its answers are 500, the canary stops at 10%, the app is rolled back" \
    "$LOCKSTEP" deploy "$@" --app-version v3-flaky --smoke-timeout 4s \
    --strategy canary --canary-steps 10,50,100 --canary-bake 30s \
    --prometheus-url "http://127.0.0.1:$PROM_PORT" --metrics-queries "$ERROR_RATIO" --metrics-interval 1s \
    --summary-file "$WORK/canary-summary.md" || code=$?
  [ "$code" -eq 1 ] || die "deploying the flaky version exited $code; want 1 (stopped by the metrics gate, app rolled back)"
  log "lockstep exited 1 as it should; the canary's summary (with the query's samples) is in $WORK/canary-summary.md"
  show_running
  step "The history: the canary stopped by the metrics gate and the rollback to v1" \
    "$LOCKSTEP" history --environment "$ENVIRONMENT"
}

main() {
  [ -x "$LOCKSTEP" ] || die "$LOCKSTEP is missing: run make build (or make demo)"
  # CLI mode: a GitHub Actions context in the caller's environment (when the
  # demo itself runs in a workflow) must not make lockstep post comments or
  # write the job's summary and outputs.
  unset "${!GITHUB_@}"
  # A TF_CLI_CONFIG_FILE naming a missing file makes every terraform command
  # print a warning; without it terraform uses its defaults.
  if [ -n "${TF_CLI_CONFIG_FILE:-}" ] && [ ! -e "$TF_CLI_CONFIG_FILE" ]; then
    unset TF_CLI_CONFIG_FILE
  fi

  trap stop_app EXIT
  prepare_workdir
  PORT="$(free_port)"
  prepare_app "$PORT"
  # Started now so that it is ready when step 5 needs it (it answers its
  # first query some seconds after it starts).
  start_prometheus
  log "lockstep demo in $WORK"

  local app=(--environment "$ENVIRONMENT" --working-directory "$INFRA_DIR"
    --deploy-command "$WORK/$APP_DIR_NAME/deploy.sh"
    --smoke-urls "http://127.0.0.1:$PORT/healthz")

  step "The pipeline for $ENVIRONMENT: validate, plan, apply, deploy app v1, verify" \
    "$LOCKSTEP" run "${app[@]}" --auto-approve --app-version v1 --smoke-timeout 10s \
    --summary-file "$WORK/run-summary.md"
  log "The summary a reviewer reads (the PR comment and job summary say the same), from $WORK/run-summary.md"
  cat "$WORK/run-summary.md"
  step "Which app version runs on which infra version" \
    "$LOCKSTEP" history --environment "$ENVIRONMENT"
  show_running

  # v2-broken's /healthz answers 503 (the example app breaks itself when its
  # version says so): the smoke checks fail, lockstep rolls the app back to v1
  # on the same infra version, and exits 1 so that a pipeline stops.
  local code=0
  step "Deploy a broken app version: its smoke checks fail, the app is rolled back" \
    "$LOCKSTEP" deploy "${app[@]}" --app-version v2-broken --smoke-timeout 4s \
    --summary-file "$WORK/deploy-summary.md" || code=$?
  [ "$code" -eq 1 ] || die "deploying the broken version exited $code; want 1 (failed, app rolled back)"
  log "lockstep exited 1 as it should; the deploy's summary is in $WORK/deploy-summary.md"
  show_running
  step "The history: the failed deployment and the rollback to v1" \
    "$LOCKSTEP" history --environment "$ENVIRONMENT"

  metrics_gate "${app[@]}"

  log "done: the plan, binding record and state are in $WORK/$INFRA_DIR, the ledger in $WORK/.lockstep"
}

main "$@"
