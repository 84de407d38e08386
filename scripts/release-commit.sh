#!/usr/bin/env bash
# Writes a lockstep release commit and moves the version tag onto it: the last
# step of .github/workflows/release.yml, after the image is pushed.
#
# The release commit is the tagged commit's tree with exactly one change:
# action.yml's runs.image says docker://<image>@sha256:<digest> instead of
# Dockerfile (cmd/release-action rewrites only that value, in the blob read
# straight from git, so neither the work tree nor checkout filters can add
# anything). Its parent is the tagged commit, so `git show <tag>` is a one-line
# diff. The tag then names it: `uses: <owner>/lockstep@<tag>` (and pipeline.yml
# called at <tag>) pulls the published image at job set-up instead of building
# the Dockerfile in every job. main keeps `image: Dockerfile`.
#
# It refuses, pushing nothing: a version that is not a tag like v1.2.3, a
# reference release-action refuses (no sha256 digest), a checkout that is not
# the tagged commit, a remote tag that no longer names that commit (moved,
# deleted, or this release is done already), and a commit that would change
# anything but one line of action.yml. The push is a lease on the tag's value
# as read here, so a tag moved meanwhile is never overwritten.
#
# Environment (event data reaches this script only here, never as code):
#   VERSION          the tag, e.g. v1.2.3 (github.ref_name)
#   SOURCE_SHA       the commit the image was built from; HEAD must be it
#   REFERENCE        the pushed image, <name>@sha256:<digest>
#   RELEASE_ACTION   the built cmd/release-action
#   REMOTE           where the tag lives (default $GITHUB_SERVER_URL/$GITHUB_REPOSITORY.git)
#   GITHUB_TOKEN     optional: a token with contents: write, sent as an HTTP header
#                    through git's environment (never in a URL, an argument or a file)
#   GITHUB_OUTPUT, GITHUB_STEP_SUMMARY   written when set
set -euo pipefail

fail() {
  echo "::error title=release::$*"
  exit 1
}

[[ "${VERSION:-}" =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] ||
  fail "VERSION is not a version tag like v1.2.3"
[[ "${SOURCE_SHA:-}" =~ ^[0-9a-f]{40}$ ]] || fail "SOURCE_SHA is not a 40-digit commit SHA"
[ -n "${REFERENCE:-}" ] || fail "REFERENCE (the pushed image, <name>@sha256:<digest>) is empty"
[ -x "${RELEASE_ACTION:-}" ] || fail "RELEASE_ACTION (the built cmd/release-action) is not an executable"
remote="${REMOTE:-${GITHUB_SERVER_URL:-}/${GITHUB_REPOSITORY:-}.git}"
tag="refs/tags/$VERSION"

export GIT_TERMINAL_PROMPT=0
if [ -n "${GITHUB_TOKEN:-}" ]; then
  basic="$(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 -w0)"
  echo "::add-mask::$basic"
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraheader GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $basic"
fi

# The commit the image was built from, and the one checked out.
source="$(git rev-parse --verify --quiet "$SOURCE_SHA^{commit}")" ||
  fail "SOURCE_SHA $SOURCE_SHA is not a commit of this checkout"
head="$(git rev-parse --verify HEAD)"
[ "$head" = "$source" ] || fail "the checkout is at $head, not at $source, the commit the image was built from"

# What the tag names now: its own value (a tag object, for an annotated tag)
# and the commit it peels to.
listing="$(git ls-remote "$remote" "$tag" "$tag^{}")" || fail "cannot read $tag from the remote"
current="$(awk -v r="$tag" '$2 == r { print $1 }' <<< "$listing")"
peeled="$(awk -v r="$tag^{}" '$2 == r { print $1 }' <<< "$listing")"
[ -n "$current" ] || fail "$VERSION no longer exists on the remote: nothing is released"
[ "${peeled:-$current}" = "$source" ] ||
  fail "$VERSION names ${peeled:-$current} now, not $source, the commit this run built the image from: it was moved, or this release is done already. Nothing is pushed."

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# action.yml as committed, rewritten by release-action.
entry="$(git ls-tree "$source" -- action.yml)"
regular=$'^100644 blob ([0-9a-f]+)\taction\\.yml$'
[[ "$entry" =~ $regular ]] || fail "action.yml at $source is not a regular file"
old_blob="${BASH_REMATCH[1]}"
git cat-file blob "$old_blob" > "$work/action.yml"
if ! out="$("$RELEASE_ACTION" -file "$work/action.yml" "$REFERENCE" 2>&1)"; then
  fail "${out//$'\n'/ }"
fi
blob="$(git hash-object -w --no-filters "$work/action.yml")"
[ "$blob" != "$old_blob" ] || fail "action.yml at $source already runs $REFERENCE: nothing to release"

# The tagged commit's tree with that one blob replaced, in an index of our own.
GIT_INDEX_FILE="$work/index" git read-tree "$source"
GIT_INDEX_FILE="$work/index" git update-index --cacheinfo "100644,$blob,action.yml"
tree="$(GIT_INDEX_FILE="$work/index" git write-tree)"

bot='github-actions[bot]'
bot_email='41898282+github-actions[bot]@users.noreply.github.com'
message="Release $VERSION: run the published image

action.yml runs docker://$REFERENCE
instead of building the Dockerfile in every job. The image was built from
$source, this commit's parent; nothing else changes."
commit="$(GIT_AUTHOR_NAME="$bot" GIT_AUTHOR_EMAIL="$bot_email" GIT_COMMITTER_NAME="$bot" GIT_COMMITTER_EMAIL="$bot_email" \
  git commit-tree --no-gpg-sign "$tree" -p "$source" -m "$message")"

# Check what is about to be tagged, from git's side.
[ "$(git rev-parse "$commit^@")" = "$source" ] || fail "the release commit's parent is not $source"
numstat="$(git diff-tree -r --no-renames --numstat "$source" "$commit")"
[ "$numstat" = $'1\t1\taction.yml' ] ||
  fail "the release commit would change more than action.yml's image line: ${numstat//$'\n'/, }"

git push --porcelain --force-with-lease="$tag:$current" "$remote" "$commit:$tag"

echo "$VERSION now names $commit: $source with action.yml running docker://$REFERENCE"
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "commit=$commit" >> "$GITHUB_OUTPUT"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    echo "### Release commit"
    echo
    echo "\`$VERSION\` names \`$commit\`: \`$source\` with \`action.yml\` running \`docker://$REFERENCE\`."
  } >> "$GITHUB_STEP_SUMMARY"
fi
