#!/usr/bin/env bash
# Checks (or with --write, fixes) the formatting of lockstep's sources:
#   - gofmt over every Go file git knows or would add: tracked files and
#     untracked files that are not ignored, so new files count before their
#     first commit and vendored or generated files in ignored dirs do not;
#   - terraform fmt over examples/, when terraform is on PATH.
# It exits non-zero listing the files that need formatting.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

write=false
case "${1:-}" in
  "") ;;
  --write) write=true ;;
  *) printf 'usage: %s [--write]\n' "$0" >&2; exit 2 ;;
esac

# Tracked files deleted in the work tree are still listed by git: skip them.
go_files=()
while IFS= read -r -d '' file; do
  [ -f "$file" ] && go_files+=("$file")
done < <(git ls-files -z --cached --others --exclude-standard -- '*.go')

status=0

if [ "${#go_files[@]}" -gt 0 ]; then
  if "$write"; then
    gofmt -w -- "${go_files[@]}"
  else
    unformatted="$(gofmt -l -- "${go_files[@]}")"
    if [ -n "$unformatted" ]; then
      printf 'these Go files need gofmt (run make fmt):\n%s\n' "$unformatted" >&2
      status=1
    fi
  fi
fi

if [ -d examples ] && command -v terraform >/dev/null 2>&1; then
  if "$write"; then
    terraform fmt -recursive examples >/dev/null
  elif ! unformatted="$(terraform fmt -check -recursive examples)"; then
    printf 'these Terraform files need terraform fmt (run make fmt):\n%s\n' "$unformatted" >&2
    status=1
  fi
fi

exit "$status"
