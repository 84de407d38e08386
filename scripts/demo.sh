#!/usr/bin/env bash
# Shows lockstep on examples/ as a user would run it locally (CLI mode).
#
# Each run starts fresh: the work dir ($LOCKSTEP_DEMO_DIR, default
# .lockstep/demo, git-ignored) is wiped and gets a copy of examples/ committed
# into a throwaway git repository of its own. So the demo never touches the
# checkout (no .terraform/, state or plan files in examples/), Terraform state
# starts empty every time, and lockstep sees a real commit to derive versions
# from, not the lockstep repository around it. The work dir is left in place
# afterwards so its plan, binding record and state can be inspected.
#
# The demo is the list of steps in main(); add a step there to show more.
#
# Environment:
#   LOCKSTEP            the lockstep binary (default .bin/lockstep; `make demo` builds it)
#   LOCKSTEP_DEMO_DIR   the work dir (default .lockstep/demo); it is deleted first
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCKSTEP="${LOCKSTEP:-$ROOT/.bin/lockstep}"
WORK="${LOCKSTEP_DEMO_DIR:-$ROOT/.lockstep/demo}"

INFRA_DIR=examples/infra
ENVIRONMENT=staging

if [ -t 2 ]; then BOLD=$'\033[1m' RESET=$'\033[0m'; else BOLD='' RESET=''; fi
log() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$RESET" >&2; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

# prepare_workdir recreates $WORK as a one-commit git repository holding a
# copy of examples/, without anything a previous local run left there.
prepare_workdir() {
  case "$WORK" in
    "" | / | "$ROOT" | "$ROOT/" | "$HOME") die "refusing to use $WORK as the demo dir" ;;
  esac
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

# step TITLE COMMAND...: print a heading, then run COMMAND in the work dir.
step() {
  local title="$1"
  shift
  log "$title"
  printf '$ %s\n' "$*" >&2
  (cd "$WORK" && "$@")
}

main() {
  [ -x "$LOCKSTEP" ] || die "$LOCKSTEP is missing: run make build (or make demo)"
  # CLI mode: a GitHub Actions context in the caller's environment (when the
  # demo itself runs in a workflow) must not make lockstep post comments or
  # write the job's summary and outputs.
  unset "${!GITHUB_@}"

  prepare_workdir
  log "lockstep demo in $WORK"

  step "Validate $INFRA_DIR" \
    "$LOCKSTEP" validate --working-directory "$INFRA_DIR"
  step "Plan $INFRA_DIR for $ENVIRONMENT" \
    "$LOCKSTEP" plan --working-directory "$INFRA_DIR" --environment "$ENVIRONMENT"

  log "done: the plan and its binding record are in $WORK/$INFRA_DIR"
}

main "$@"
