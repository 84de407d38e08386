#!/usr/bin/env bash
# Builds lockstep's release binaries: static (no cgo) linux/amd64 and
# linux/arm64 executables of the checked-out commit, named
# lockstep_<version>_<os>_<arch>, and SHA256SUMS over them, into OUT. The
# release workflow attaches them to the GitHub release of the tag, for
# people running lockstep at a terminal or on a self-hosted runner without
# Docker; the reusable workflow's host mode builds from the pinned commit
# instead, so it never runs a binary it did not build.
#
# It refuses a version that is not a tag like v1.2.3 and a checkout that is
# not SOURCE_SHA (when given), building nothing.
#
# Environment:
#   VERSION     the tag, e.g. v1.2.3 (github.ref_name)
#   OUT         the output directory (created; must not exist or be empty)
#   SOURCE_SHA  optional: HEAD must be this commit
#   TARGETS     optional: os/arch pairs, default "linux/amd64 linux/arm64"
set -euo pipefail

fail() {
  echo "release-binaries: $*" >&2
  exit 1
}

[[ "${VERSION:-}" =~ ^v[0-9]+\.[0-9]+\.[0-9]+([.+-][0-9A-Za-z.+-]+)?$ ]] ||
  fail "VERSION must be a version tag like v1.2.3, not: ${VERSION:-(empty)}"
[ -n "${OUT:-}" ] || fail "OUT is not set"
if [ -n "${SOURCE_SHA:-}" ]; then
  head="$(git rev-parse HEAD)"
  [ "$head" = "$SOURCE_SHA" ] || fail "the checkout is $head, not the tagged commit $SOURCE_SHA"
fi
if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
  fail "$OUT is not empty: refusing to mix builds"
fi
targets="${TARGETS:-linux/amd64 linux/arm64}"
for target in $targets; do
  [[ "$target" =~ ^[a-z0-9]+/[a-z0-9]+$ ]] || fail "TARGETS: $target is not os/arch"
done
mkdir -p "$OUT"

for target in $targets; do
  os="${target%/*}"
  arch="${target#*/}"
  name="lockstep_${VERSION}_${os}_${arch}"
  echo "release-binaries: building $name"
  CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" go build -trimpath \
    -ldflags "-s -w -X github.com/lockstep-ci/lockstep/pkg/version.Version=$VERSION" \
    -o "$OUT/$name" ./cmd/lockstep
done

(cd "$OUT" && sha256sum lockstep_* > SHA256SUMS)
cat "$OUT/SHA256SUMS"
