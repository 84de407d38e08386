#!/usr/bin/env bash
# Installs the tools that building and testing lockstep need, into .bin/ of
# the repository (or $LOCKSTEP_BIN_DIR). Every install is idempotent: a tool that
# is already there at the wanted version is left alone, so `make tools` is
# cheap after the first run.
#
# Usage: scripts/install-tools.sh [TOOL...]
#   TOOL is one of: terraform, terraform-compat, tofu, actionlint, act, jq,
#   the shellcheck linter, pulumi (the Pulumi CLI, its YAML language host and
#   lockstep's test provider), prometheus, cfn-guard, gremlins. With no TOOL it
#   installs terraform, actionlint, act, shellcheck, jq (the act tests run
#   pipeline.yml's jq steps), pulumi, prometheus (the metrics gate's tests run a
#   real one) and cfn-guard (CloudFormation validate's rule checks);
#   tofu (5 to 12 minutes to build once) is `make tofu`'s, which `make test`
#   runs; gremlins, the mutation tester, only `make mutate` asks for.
#
# Go tools come from the Go module proxy with `go install`; shellcheck, jq and
# prometheus come from Debian's packages; cfn-guard is the static binary that
# AWS's npm package @cdklabs/cdk-validator-cfnguard ships, fetched with npm.
# Nothing is downloaded from anywhere but a package registry, so this works
# on a machine that reaches only the package registries.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${LOCKSTEP_BIN_DIR:-$ROOT/.bin}"

# Terraform: any terraform >= TERRAFORM_MIN on PATH will do; otherwise build
# TERRAFORM_COMPAT from source. test-compat always runs against exactly
# TERRAFORM_COMPAT, the oldest version lockstep supports.
TERRAFORM_MIN=1.5.0
TERRAFORM_COMPAT=1.5.7
# OpenTofu: built from its Go module through the tools module in
# test/tools/opentofu, whose go.mod pins this version (the Makefile passes its
# OPENTOFU_VERSION here).
OPENTOFU_VERSION="${OPENTOFU_VERSION:-1.12.6}"
ACTIONLINT_VERSION=1.7.12
ACT_VERSION=0.2.89
GREMLINS_VERSION=0.6.0
# cfn-guard comes inside this version of the npm package, which ships
# cfn-guard CFNGUARD_VERSION for Linux x86_64 and aarch64.
CFNGUARD_NPM_VERSION=0.0.62
CFNGUARD_VERSION=3.1.1

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

# tofu_version BINARY: "1.12.6" when BINARY is a working OpenTofu, else
# nothing. `tofu version -json` says "terraform_version" like Terraform does,
# so the human output's "OpenTofu v1.12.6" is what tells the two apart. It
# need not be the first line: OpenTofu prints warnings about its CLI
# configuration (a TF_CLI_CONFIG_FILE that does not exist) before it.
tofu_version() {
  "$1" version 2>/dev/null | sed -n 's/^OpenTofu v\([^[:space:]]*\)$/\1/p' | head -n 1
}

# ensure_tofu builds OpenTofu OPENTOFU_VERSION into $BIN/tofu unless that is
# already there. `go install` refuses a module with replace lines, and
# OpenTofu's go.mod has one (its fork of hashicorp/hcl/v2), so the build runs
# in the tools module test/tools/opentofu, which requires OpenTofu at that
# version and repeats the replace; its go.sum pins every dependency.
# version.dev=no makes it a release build ("OpenTofu v1.12.6", not "-dev").
ensure_tofu() {
  local mod="$ROOT/test/tools/opentofu" module=github.com/opentofu/opentofu have
  if [ -x "$BIN/tofu" ]; then
    have="$(tofu_version "$BIN/tofu")"
    if [ "$have" = "$OPENTOFU_VERSION" ]; then
      log "OpenTofu $OPENTOFU_VERSION is installed at $BIN/tofu"
      return 0
    fi
    log "$BIN/tofu is ${have:+OpenTofu }${have:-not a working OpenTofu}, want $OPENTOFU_VERSION"
  fi
  grep -q "^[[:space:]]*$module v$OPENTOFU_VERSION\([[:space:]]\|$\)" "$mod/go.mod" ||
    die "test/tools/opentofu/go.mod does not require $module v$OPENTOFU_VERSION: run \`go get -tool $module/cmd/tofu@v$OPENTOFU_VERSION\` there and copy the replace lines of OpenTofu's go.mod at that version"
  mkdir -p "$BIN"
  INSTALL_TMP="$(mktemp -d "$BIN/.install.XXXXXX")"
  log "building OpenTofu $OPENTOFU_VERSION from source into $BIN/tofu (minutes, the first time)"
  (cd "$mod" && GOWORK=off GOFLAGS=-mod=readonly go build -trimpath \
    -ldflags "-X $module/version.dev=no" -o "$INSTALL_TMP/tofu" "$module/cmd/tofu")
  have="$(tofu_version "$INSTALL_TMP/tofu")"
  [ "$have" = "$OPENTOFU_VERSION" ] || die "the OpenTofu just built says version '${have}', want $OPENTOFU_VERSION"
  mv -f "$INSTALL_TMP/tofu" "$BIN/tofu"
  rm -rf "$INSTALL_TMP"
  INSTALL_TMP=
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

# ensure_prometheus installs Debian's prometheus package when the command is
# missing. The tests run the binary themselves (test/promtest), on loopback
# with a temporary storage directory; the package's own service is never
# started: apt-get runs with a policy-rc.d that denies service starts (a
# container usually has one already), and without systemd there is nothing
# else that would start it.
ensure_prometheus() {
  if command -v prometheus >/dev/null 2>&1; then
    log "prometheus is installed ($(command -v prometheus))"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 ||
    die "prometheus is missing and there is no apt-get: install Prometheus 2.x by hand (the tests run it; LOCKSTEP_PROMETHEUS names the binary)"
  local sudo=() policy=/usr/sbin/policy-rc.d added=
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "prometheus is missing: need root or sudo to apt-get install it"
    sudo=(sudo)
  fi
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# install-tools.sh: no service starts while it installs prometheus\nexit 101\n' |
      "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod +x "$policy"
    added=1
  fi
  log "apt-get install prometheus (its service is not started)"
  "${sudo[@]}" apt-get update -qq
  local rc=0
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends prometheus >/dev/null || rc=$?
  [ -z "$added" ] || "${sudo[@]}" rm -f "$policy"
  [ "$rc" -eq 0 ] || die "apt-get install prometheus failed ($rc)"
}

# cfnguard_version BINARY: "3.1.1", or nothing when BINARY is not a working
# cfn-guard.
cfnguard_version() {
  "$1" --version 2>/dev/null | sed -n 's/^cfn-guard \([0-9][0-9.]*\)$/\1/p' | head -n 1
}

# ensure_cfnguard puts cfn-guard CFNGUARD_VERSION at $BIN/cfn-guard unless it
# is there: `npm pack` fetches @cdklabs/cdk-validator-cfnguard (npm checks
# the tarball's integrity against the registry's), and the static binary for
# this machine comes out of its bin/ubuntu/<arch>/.
ensure_cfnguard() {
  local have arch pkg=@cdklabs/cdk-validator-cfnguard tarball
  if [ -x "$BIN/cfn-guard" ]; then
    have="$(cfnguard_version "$BIN/cfn-guard")"
    if [ "$have" = "$CFNGUARD_VERSION" ]; then
      log "cfn-guard $CFNGUARD_VERSION is installed at $BIN/cfn-guard"
      return 0
    fi
    log "$BIN/cfn-guard is ${have:-not a working cfn-guard}, want $CFNGUARD_VERSION"
  fi
  [ "$(uname -s)" = Linux ] || die "cfn-guard: this installs the Linux binary only; install cfn-guard $CFNGUARD_VERSION by hand"
  case "$(uname -m)" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) die "cfn-guard: $pkg ships no binary for $(uname -m)" ;;
  esac
  command -v npm >/dev/null 2>&1 || die "cfn-guard is missing and there is no npm to fetch $pkg with: install Node.js's npm, or cfn-guard $CFNGUARD_VERSION by hand"
  mkdir -p "$BIN"
  INSTALL_TMP="$(mktemp -d "$BIN/.install.XXXXXX")"
  log "npm pack $pkg@$CFNGUARD_NPM_VERSION -> $BIN/cfn-guard"
  tarball="$(cd "$INSTALL_TMP" && npm pack --silent "$pkg@$CFNGUARD_NPM_VERSION" | tail -n 1)"
  [ -f "$INSTALL_TMP/$tarball" ] || die "npm pack $pkg@$CFNGUARD_NPM_VERSION wrote no tarball"
  tar -xzf "$INSTALL_TMP/$tarball" -C "$INSTALL_TMP" "package/bin/ubuntu/$arch/cfn-guard" ||
    die "$pkg@$CFNGUARD_NPM_VERSION has no bin/ubuntu/$arch/cfn-guard"
  chmod +x "$INSTALL_TMP/package/bin/ubuntu/$arch/cfn-guard"
  have="$(cfnguard_version "$INSTALL_TMP/package/bin/ubuntu/$arch/cfn-guard")"
  [ "$have" = "$CFNGUARD_VERSION" ] || die "the cfn-guard in $pkg@$CFNGUARD_NPM_VERSION says version '${have}', want $CFNGUARD_VERSION"
  mv -f "$INSTALL_TMP/package/bin/ubuntu/$arch/cfn-guard" "$BIN/cfn-guard"
  rm -rf "$INSTALL_TMP"
  INSTALL_TMP=
}

# --- Pulumi ----------------------------------------------------------------
# The Pulumi CLI is built from github.com/pulumi/pulumi/pkg/v3 through the tools
# module test/tools/pulumi (its go.mod copies Pulumi's replace of
# atotto/clipboard, which `go install` refuses; its go.sum pins every
# dependency). The first build takes about 8 minutes, later ones reuse it.
PULUMI_VERSION=3.274.1
PULUMI_YAML_VERSION=1.25.0
PULUMI_TOOLS="$ROOT/test/tools/pulumi"

# pulumi_version BINARY: "3.274.1", or nothing when BINARY is not a working
# pulumi.
pulumi_version() {
  PULUMI_SKIP_UPDATE_CHECK=true "$1" version 2>/dev/null | sed -n 's/^v\{0,1\}\([0-9][0-9.]*\).*/\1/p' | head -n 1
}

# pulumi_build PACKAGE NAME [LDFLAGS]: go build PACKAGE of the tools module
# into $BIN/NAME, through a temporary file so that an interrupted build leaves
# no half-written tool.
pulumi_build() {
  local pkg="$1" name="$2" ldflags="${3:-}"
  mkdir -p "$BIN"
  INSTALL_TMP="$(mktemp -d "$BIN/.install.XXXXXX")"
  log "go build $pkg -> $BIN/$name"
  (cd "$PULUMI_TOOLS" && go build -ldflags "$ldflags" -o "$INSTALL_TMP/$name" "$pkg")
  mv -f "$INSTALL_TMP/$name" "$BIN/$name"
  rm -rf "$INSTALL_TMP"
  INSTALL_TMP=
}

# provider_source_sha256: the SHA-256 of what pulumi-resource-lockstep is built
# from, the test provider's files and the tools module's go.mod and go.sum.
provider_source_sha256() {
  (cd "$PULUMI_TOOLS" && find provider go.mod go.sum -type f | LC_ALL=C sort |
    while IFS= read -r f; do printf '%s\n' "$f"; sha256sum <"$f"; done) |
    sha256sum | cut -d ' ' -f 1
}

# provider_built_sha256 BINARY: the source SHA-256 a pulumi-resource-lockstep
# was built from (pulumi_build stamps it into main.sourceSHA256 with -X, and
# Go records the -ldflags in the binary), or nothing.
provider_built_sha256() {
  go version -m "$1" 2>/dev/null |
    sed -n 's/.*-X main\.sourceSHA256=\([0-9a-f]\{64\}\).*/\1/p' | head -n 1
}

# ensure_pulumi installs the Pulumi CLI, pulumi-language-yaml and
# pulumi-resource-lockstep (the test provider in test/tools/pulumi/provider,
# rebuilt unless the binary was built from exactly the source there: file
# times would miss a checkout of older source, or a binary built elsewhere).
ensure_pulumi() {
  if [ -x "$BIN/pulumi" ] && [ "$(pulumi_version "$BIN/pulumi")" = "$PULUMI_VERSION" ]; then
    log "pulumi $PULUMI_VERSION is installed at $BIN/pulumi"
  else
    log "building pulumi $PULUMI_VERSION from source (takes about 8 minutes)"
    pulumi_build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi pulumi \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
  fi
  ensure_go_tool github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml "$PULUMI_YAML_VERSION" pulumi-language-yaml
  local provider="$BIN/pulumi-resource-lockstep" want have=
  want="$(provider_source_sha256)"
  [ ! -x "$provider" ] || have="$(provider_built_sha256 "$provider")"
  if [ "$have" = "$want" ]; then
    log "pulumi-resource-lockstep is up to date (source ${want:0:12})"
  else
    if [ -x "$provider" ]; then
      log "pulumi-resource-lockstep was built from source ${have:-that it does not record}, want $want"
    fi
    pulumi_build ./provider pulumi-resource-lockstep "-X main.sourceSHA256=$want"
  fi
}

main() {
  command -v go >/dev/null 2>&1 || die "go is not on PATH"
  [ "$#" -gt 0 ] || set -- terraform actionlint act shellcheck jq pulumi prometheus cfn-guard
  local tool
  for tool in "$@"; do
    case "$tool" in
      terraform) ensure_terraform ;;
      terraform-compat) ensure_terraform_compat ;;
      tofu) ensure_tofu ;;
      actionlint) ensure_go_tool github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION" actionlint ;;
      act) ensure_go_tool github.com/nektos/act "$ACT_VERSION" act ;;
      gremlins) ensure_go_tool github.com/go-gremlins/gremlins/cmd/gremlins "$GREMLINS_VERSION" gremlins ;;
      shellcheck | jq) ensure_apt_tool "$tool" ;;
      pulumi) ensure_pulumi ;;
      prometheus) ensure_prometheus ;;
      cfn-guard) ensure_cfnguard ;;
      *) die "unknown tool $tool (want terraform, terraform-compat, tofu, actionlint, act, shellcheck, jq, pulumi, prometheus, cfn-guard or gremlins)" ;;
    esac
  done
}

main "$@"
