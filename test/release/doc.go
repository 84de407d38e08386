// Package release tests lockstep's release path end to end, short of GitHub:
// scripts/release-commit.sh (the last step of .github/workflows/release.yml)
// with the real cmd/release-action, against real git repositories. A bare
// repository on disk stands for GitHub: the test tags a commit there, runs
// the script in a clone checked out at the tag, as actions/checkout leaves
// it, and reads back what the tag names.
//
// What it proves: the tag ends up on a commit whose parent is the tagged
// commit and whose only change is action.yml's runs.image line; a refused run
// (a bad reference, a moved tag, a finished release, another checkout)
// pushes nothing; the token never shows in the output; and the workflow
// itself wires the script with the permissions it needs and no more.
package release
