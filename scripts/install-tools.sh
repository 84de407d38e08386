#!/usr/bin/env bash
# Installs the tools that building and testing lockstep need, into .bin/ of
# the repository (or $LOCKSTEP_BIN_DIR). Every install is idempotent: a tool that
# is already there at the wanted version is left alone, so `make tools` is
# cheap after the first run.
#
# Usage: scripts/install-tools.sh [TOOL...]
#   TOOL is one of: terraform, terraform-compat, actionlint, act, shellcheck, jq,
#   gremlins.
#   With no TOOL it installs terraform, actionlint, act, shellcheck and jq (the
#   act tests run pipeline.yml's jq steps). gremlins, the mutation tester, is
#   installed only when asked for (by `make mutate`).
#
# Go tools come from the Go module proxy with `go install`; shellcheck and jq come
# from Debian's packages. Nothing downloads a prebuilt binary, so this works on
# a machine that reaches only the package registries.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${LOCKSTEP_BIN_DIR:-$ROOT/.bin}"

# Terraform: any terraform >= TERRAFORM_MIN on PATH will do; otherwise build
# TERRAFORM_COMPAT from source. test-compat always runs against exactly
# TERRAFORM_COMPAT, the oldest version lockstep supports.
TERRAFORM_MIN=1.5.0
TERRAFORM_COMPAT=1.5.7
ACTIONLINT_VERSION=1.7.12
ACT_VERSION=0.2.89
GREMLINS_VERSION=0.6.0

# Keep terraform from calling home for update checks.
export CHECKPOINT_DISABLE=1

# The temporary GOBIN of the install under way, removed on any exit.
INSTALL_TMP=
trap '[ -z "$INSTALL_TMP" ] || rm -rf "$INSTALL_TMP"' EXIT

log() { printf 'install-tools: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# version_ge A B: succeeds when version A >= version B.
version_ge() {
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$2" ]
}

# go_mod_version BINARY: the version of the main module a Go binary was built
# from ("v1.7.12"), or nothing when it cannot be read.
go_mod_version() {
  go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

# terraform_version BINARY: "1.11.4", or nothing when BINARY is not a
# working terraform.
terraform_version() {
  "$1" version -json 2>/dev/null |
    sed -n 's/.*"terraform_version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' |
    head -n 1
}

# go_install MODULE VERSION NAME: `go install MODULE@vVERSION` and put the
# binary at $BIN/NAME. It builds into a temporary GOBIN inside $BIN and renames,
# so an interrupted build never leaves a half-written tool behind and NAME may
# differ from the command's own name.
go_install() {
  local module="$1" version="$2" name="$3" built
  mkdir -p "$BIN"
  INSTALL_TMP="$(mktemp -d "$BIN/.install.XXXXXX")"
  log "go install $module@v$version -> $BIN/$name"
  GOBIN="$INSTALL_TMP" go install "$module@v$version"
  built="$(find "$INSTALL_TMP" -maxdepth 1 -type f -perm -u+x | head -n 1)"
  [ -n "$built" ] || die "go install $module@v$version produced no binary"
  mv -f "$built" "$BIN/$name"
  rm -rf "$INSTALL_TMP"
  INSTALL_TMP=
}

# ensure_go_tool MODULE VERSION NAME: install unless $BIN/NAME was built from
# MODULE at VERSION.
ensure_go_tool() {
  local module="$1" version="$2" name="$3" have
  if [ -x "$BIN/$name" ]; then
    have="$(go_mod_version "$BIN/$name")"
    if [ "$have" = "v$version" ]; then
      log "$name v$version is installed"
      return 0
    fi
    log "$name is ${have:-of an unknown version}, want v$version"
  fi
  go_install "$module" "$version" "$name"
}

ensure_terraform_compat() {
  local path="$BIN/terraform-$TERRAFORM_COMPAT"
  if [ -x "$path" ] && [ "$(terraform_version "$path")" = "$TERRAFORM_COMPAT" ]; then
    log "terraform $TERRAFORM_COMPAT is installed at $path"
    return 0
  fi
  log "building terraform $TERRAFORM_COMPAT from source (takes a few minutes)"
  go_install github.com/hashicorp/terraform "$TERRAFORM_COMPAT" "terraform-$TERRAFORM_COMPAT"
}

# ensure_terraform makes sure the tests find a terraform >= TERRAFORM_MIN:
# $BIN/terraform if it is recent enough, else one on PATH, else a build of
# TERRAFORM_COMPAT linked as $BIN/terraform. The tests look for
# $LOCKSTEP_TERRAFORM, then .bin/terraform, then PATH.
ensure_terraform() {
  local have found
  if [ -x "$BIN/terraform" ]; then
    have="$(terraform_version "$BIN/terraform")"
    if [ -n "$have" ] && version_ge "$have" "$TERRAFORM_MIN"; then
      log "terraform $have is installed at $BIN/terraform"
      return 0
    fi
  fi
  found="$(command -v terraform || true)"
  if [ -n "$found" ]; then
    have="$(terraform_version "$found")"
    if [ -n "$have" ] && version_ge "$have" "$TERRAFORM_MIN"; then
      log "using terraform $have from $found"
      return 0
    fi
    log "terraform on PATH ($found) is ${have:-unusable}, want >= $TERRAFORM_MIN"
  fi
  ensure_terraform_compat
  ln -sfn "terraform-$TERRAFORM_COMPAT" "$BIN/terraform"
  log "linked $BIN/terraform -> terraform-$TERRAFORM_COMPAT"
}

# ensure_apt_tool NAME: the Debian package NAME (whose command has the same
# name), installed with apt-get when the command is missing.
ensure_apt_tool() {
  local name="$1"
  if command -v "$name" >/dev/null 2>&1; then
    log "$name is installed ($(command -v "$name"))"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 ||
    die "$name is missing and there is no apt-get: install $name by hand"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "$name is missing: need root or sudo to apt-get install it"
    sudo=(sudo)
  fi
  log "apt-get install $name"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$name" >/dev/null
}

main() {
  command -v go >/dev/null 2>&1 || die "go is not on PATH"
  [ "$#" -gt 0 ] || set -- terraform actionlint act shellcheck jq
  local tool
  for tool in "$@"; do
    case "$tool" in
      terraform) ensure_terraform ;;
      terraform-compat) ensure_terraform_compat ;;
      actionlint) ensure_go_tool github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION" actionlint ;;
      act) ensure_go_tool github.com/nektos/act "$ACT_VERSION" act ;;
      gremlins) ensure_go_tool github.com/go-gremlins/gremlins/cmd/gremlins "$GREMLINS_VERSION" gremlins ;;
      shellcheck | jq) ensure_apt_tool "$tool" ;;
      *) die "unknown tool $tool (want terraform, terraform-compat, actionlint, act, shellcheck, jq or gremlins)" ;;
    esac
  done
}

main "$@"
