// Package act proves the job graph of lockstep's reusable workflow
// (.github/workflows/pipeline.yml) by running the real file through nektos/act
// on the host, with real Terraform, the built lockstep binary and the fake
// GitHub server (test/fakegithub).
//
// act runs `run:` steps, reusable workflows, job outputs and `if:` conditions
// on the host (`-P ubuntu-latest=-self-hosted`), but here it can run neither
// docker actions (no Docker engine) nor remote actions (no network). So the
// test runs the workflow after one documented, mechanical substitution
// ([Substitute]) on a copy: every step that `uses:` an action becomes a
// `run:` step that does what the runner would do with it.
//
//   - The lockstep action (./.lockstep-action, lockstep-ci/lockstep@…,
//     docker://…/lockstep…) runs the built binary as `lockstep action` in the
//     workspace, with one INPUT_<NAME> variable per input that action.yml
//     declares: the step's `with:` value, else action.yml's default. That is
//     exactly what the runner hands a container action (upper case, spaces to
//     "_", hyphens kept: INPUT_WORKING-DIRECTORY). A `with:` key that
//     action.yml does not declare is an error (the runner only warns). The
//     binary runs through a wrapper that records each step's command, engine
//     and terraform-version inputs, so tests can assert what reached it.
//   - actions/checkout of the workflow's own repository clones the test's
//     repository into the job's workspace at the requested ref (default
//     GITHUB_SHA); act gives every job a fresh, empty workspace, as GitHub
//     does. A checkout of another repository (`repository:` set: the lockstep
//     action itself) is skipped; its `ref`/`commit` outputs echo the ref.
//   - actions/upload-artifact and actions/download-artifact copy to and from a
//     shared folder with v4's rules: the artifact root is the paths' lowest
//     common ancestor, hidden files are skipped, file modes are lost, a name is
//     immutable within a run unless `overwrite: true` replaces it. A download
//     takes one artifact by name into its path, or every artifact whose name
//     matches `pattern` (all without one), each into <path>/<name>/ unless
//     `merge-multiple`; a pattern that matches nothing downloads nothing.
//   - actions/cache restores from the shared folder and saves in a post step
//     appended to the job (`if: success()`, like the action's post step);
//     actions/cache/restore restores the same way and never saves.
//   - Any other `uses:` is an error, so the test can never silently diverge
//     from the workflow it claims to run.
//
// The stand-ins for checkout, artifacts and cache are implemented in Go
// ([RunHelper]) and executed by the test binary itself, reading their `with:`
// values from INPUT_* variables as a JavaScript action would.
//
// The scenarios (act_test.go, monorepo_test.go) call the real pipeline.yml from
// testdata/repo/.github/workflows/caller.yml (promotion_test.go: from the
// example workflows/staging-then-production.yml itself, its uses: pointed at
// that copy and only the values that name the user's infrastructure or wait
// for minutes rewritten), in a fresh git repository made
// of testdata/repo, with Terraform state outside the workspace (a local
// backend path, like a remote backend) and GITHUB_API_URL pointing at
// test/fakegithub. act's environment is this process's minus anything a
// surrounding GitHub Actions job, Terraform or act configuration would leak in.
// On the host act sets RUNNER_TOOL_CACHE itself, to tool_cache in its --action-cache-path
// (the same folder for every job, not created by act): pinned_test.go fills
// it beforehand with install.Ensure against test/releaseserver, takes the
// engines off PATH and sends HTTP(S) to a dead proxy, so the pinned
// version can only run from there.
// act expands a matrix from a job output (fromJSON) and runs its instances in
// order; it does not cancel the rest of a matrix when one instance fails
// (fail-fast), which is one reason pipeline.yml applies every stack in one
// job instead of a matrix.
//
// Environment:
//
//	LOCKSTEP_ACT            act to run (default .bin/act, then PATH)
//	LOCKSTEP_REQUIRE_ACT    set: fail instead of skipping when act (or jq, which
//	                        the workflow's plans job runs on the host) is missing
//	LOCKSTEP_BINARY         lockstep binary to test (default: build ./cmd/lockstep)
//	LOCKSTEP_ACT_VERBOSE    set: log act's output even when a scenario passes
package act
