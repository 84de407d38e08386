#!/usr/bin/env bash
# Mutation testing with gremlins: breaks the code on purpose, one small change
# (a mutant) at a time, runs the package's tests against each and counts the
# mutants the tests catch (killed) and miss (lived). Efficacy is
# killed / (killed + lived); mutants on lines no test runs are "not covered".
#
# Usage: scripts/mutate.sh [PACKAGE...]
#   PACKAGE is a directory such as pkg/policy ("gate" is pkg/gate, the
#   approval gate), or DIR:PART for a package measured in parts (see scope
#   below: pkg/engine/install:download, pkg/engine/pulumi:cli). With no
#   PACKAGE it runs the list in DEFAULT_PACKAGES below.
#
# Environment:
#   MUTATE_WORKERS  mutants tested at once (default 1: the machines are small)
#   MUTATE_TIMEOUT_COEFFICIENT  a mutant's tests may take this many times the
#                   first, unmutated run (default 10; gremlins' own 3 turns a
#                   busy machine's slow compiles into "timed out")
#   MUTATE_OUT      where the JSON results and logs go (default .lockstep/mutate)
#
# It prints a Markdown table (the one test/README.md keeps) and exits 1 when a
# package is below its target: 85% for pkg/binding, pkg/policy and the gate,
# 75% for the others. Slow: minutes per package, so not part of `make test`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.bin:$PATH"

DEFAULT_PACKAGES=(pkg/binding pkg/policy pkg/gate pkg/pipeline pkg/trace pkg/deploy pkg/github pkg/comment pkg/plan
  pkg/detect pkg/engine pkg/engine/terraform pkg/engine/install pkg/engine/install:download
  pkg/engine/pulumi pkg/engine/pulumi:cli pkg/engine/cloudformation)
WORKERS="${MUTATE_WORKERS:-1}"
TIMEOUT_COEFFICIENT="${MUTATE_TIMEOUT_COEFFICIENT:-10}"
OUT="${MUTATE_OUT:-$ROOT/.lockstep/mutate}"

log() { printf 'mutate: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# scope PKG prints the extra gremlins arguments for PKG, one per line, and
# sets SCOPE_GOFLAGS (the go test flags of the coverage run and of every
# mutant's run) for the packages measured in parts (see test/README.md for
# why):
#   pkg/engine          its own files, not the adapters under it;
#   pkg/engine/install  version resolution, with its fast tests;
#   pkg/engine/install:download
#                       the rest (ensure, releases, binary, opentofu,
#                       terraform), with every test of the package: the
#                       download tests serve signed releases from loopback
#                       servers, ~25 s a run;
#   pkg/engine/pulumi   decoding (plan, events, outputs, the scanner, the text,
#                       drift's comparisons), with the tests that do not run
#                       the real Pulumi CLI;
#   pkg/engine/pulumi:cli
#                       pulumi.go, which runs the CLI, and passphrase.go,
#                       tested against it, with every test of the package
#                       (the real Pulumi CLI: a minute or more a run).
SCOPE_GOFLAGS=
install_resolution='^(engine|request|required|resolve|versionfile)\.go$'
pulumi_decoding='^(plan|events|outputs|jsonscan|drift|text)\.go$'
scope() {
  SCOPE_GOFLAGS=
  case "$1" in
    pkg/engine)
      printf '%s\n' -E '^(cloudformation|install|pulumi|terraform)/' ;;
    pkg/engine/install)
      SCOPE_GOFLAGS='-run=^Test(Parse|Request|Resolve|ResolutionString|Quote|VersionFile|DefaultCacheDir)'
      printf '%s\n' -E '^(ensure|releases|binary|opentofu|terraform)\.go$' ;;
    pkg/engine/install:download)
      printf '%s\n' -E "$install_resolution" ;;
    pkg/engine/pulumi)
      SCOPE_GOFLAGS="-skip=^Test($(grep -h '^func Test' pkg/engine/pulumi/engine_test.go pkg/engine/pulumi/drift_test.go \
        pkg/engine/pulumi/passphrase_test.go | sed 's/^func Test\([A-Za-z0-9_]*\).*/\1/' | paste -sd '|'))\$"
      printf '%s\n' -E '^(pulumi|passphrase)\.go$' ;;
    pkg/engine/pulumi:cli)
      printf '%s\n' -E "$pulumi_decoding" ;;
  esac
}

target() {
  case "$1" in
    pkg/binding | pkg/policy | pkg/gate | pkg/pipeline) echo 85 ;;
    *) echo 75 ;;
  esac
}

main() {
  command -v jq >/dev/null 2>&1 || die "jq is missing: run make tools"
  scripts/install-tools.sh gremlins
  [ "$#" -gt 0 ] || set -- "${DEFAULT_PACKAGES[@]}"
  mkdir -p "$OUT"

  local rows=() below=() pkg dir name args json extra
  for pkg in "$@"; do
    args=(unleash --workers "$WORKERS" --timeout-coefficient "$TIMEOUT_COEFFICIENT")
    [ "$pkg" = gate ] && pkg=pkg/gate
    pkg="${pkg%/}"
    dir="${pkg%%:*}"
    [ -d "$dir" ] || die "no package directory $dir"
    [ "$dir" = "$pkg" ] || [ -n "$(scope "$pkg")" ] || die "no part ${pkg#*:} of $dir (see scope in $0)"
    name="${pkg//[\/:]/_}"
    json="$OUT/$name.json"
    # scope prints the arguments and sets SCOPE_GOFLAGS: the first call
    # runs in a subshell, the second sets it here.
    mapfile -t extra < <(scope "$pkg")
    scope "$pkg" >/dev/null
    args+=("${extra[@]}")
    log "$pkg: ${SCOPE_GOFLAGS:+GOFLAGS=\"$SCOPE_GOFLAGS\" }gremlins ${args[*]} ./$dir (log in $OUT/$name.log)"
    # -count=1: the coverage run's time sets every mutant's timeout, and a
    # cached result (pkg/engine's run tests the packages under it) takes
    # milliseconds, which would time every mutant out.
    GOFLAGS="-count=1${SCOPE_GOFLAGS:+ $SCOPE_GOFLAGS}" gremlins "${args[@]}" -o "$json" "./$dir" >"$OUT/$name.log" 2>&1 ||
      die "gremlins failed on $pkg; see $OUT/$name.log"

    local killed lived uncovered timedout efficacy want
    killed="$(jq '.mutants_killed' "$json")"
    lived="$(jq '.mutants_lived' "$json")"
    uncovered="$(jq '.mutants_not_covered' "$json")"
    timedout="$(jq '[.files[].mutations[] | select(.status == "TIMED OUT")] | length' "$json")"
    efficacy="$(jq '.test_efficacy * 100 | round / 100' "$json")"
    want="$(target "$pkg")"
    rows+=("| $pkg | $killed | $lived | $uncovered | $timedout | $efficacy% | $want% | $(date -u +%F) | \`make mutate PACKAGES=$pkg\` |")
    if jq -e --argjson want "$want" '.test_efficacy < $want' "$json" >/dev/null; then
      below+=("$pkg")
    fi
    # The survivors, for deciding which deserve a test.
    jq -r --arg dir "$dir" '.files[] | .file_name as $f | .mutations[] | select(.status == "LIVED") |
      "  lived: \($dir)/\($f):\(.line):\(.column) \(.type)"' "$json" >&2
  done

  echo "| package | killed | lived | not covered | timed out | efficacy | target | date | command |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
  printf '%s\n' "${rows[@]}"
  if [ "${#below[@]}" -gt 0 ]; then
    log "below target: ${below[*]}"
    exit 1
  fi
}

main "$@"
