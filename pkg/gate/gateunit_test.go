package gate

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/actions"
	"github.com/lockstep-ci/lockstep/pkg/policy"
)

// The gate's checks of the event and the ref, in-process: the end-to-end
// tests prove them through the binary, where `make mutate` cannot see them.

// gateApp is a gate in action mode on event and ref, with the default
// branch known from the event payload, logging as the action does.
func gateApp(event, ref string) (*Gate, *bytes.Buffer) {
	var out bytes.Buffer
	return &Gate{
		Environment: "production",
		Run:         Run{EventName: event, Ref: ref, DefaultBranch: "main"},
		Log:         actions.NewActionReporter(&out, func(string) string { return "" }),
	}, &out
}

// refusalReason is the reason of a gate refusal, "" for none.
func refusalReason(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var r *Refusal
	require.True(t, errors.As(err, &r), "not a refusal: %v", err)
	return r.Code
}

func TestCheckEvent(t *testing.T) {
	for _, tc := range []struct {
		event, ref, want string
	}{
		{"push", "refs/heads/main", ""},
		{"workflow_dispatch", "refs/heads/main", ""},
		{"pull_request", "refs/pull/7/merge", "event-not-allowed"},
		{"pull_request_target", "refs/heads/main", "event-not-allowed"},
		{"merge_group", "refs/heads/gh-readonly-queue/main/pr-7-abc", "event-not-allowed"},
		{"pull_request_review", "refs/pull/7/merge", "event-not-allowed"},
		{"pull_request_review_comment", "refs/pull/7/merge", "event-not-allowed"},
		// Any event on a pull request's ref: its commit is not merged.
		{"workflow_dispatch", "refs/pull/7/merge", "event-not-allowed"},
		{"push", "refs/pull/7/head", "event-not-allowed"},
	} {
		a, _ := gateApp(tc.event, tc.ref)
		assert.Equal(t, tc.want, refusalReason(t, a.checkEvent()), "%s on %s", tc.event, tc.ref)
	}
}

func TestCheckRef(t *testing.T) {
	relaxed := func() policy.Policy {
		return policy.Policy{ApplyRefs: []string{"refs/heads/release/*"}, AllowSelfApproval: true, AllowAdminBypass: true,
			SkipBranchPolicy: true, ApprovalMode: policy.ModeEnvironment, ModeFromFile: true}
	}
	for _, tc := range []struct {
		name, ref, want string
		keepsRelaxed    bool
	}{
		{name: "the default branch keeps the policy file's relaxations", ref: "refs/heads/main", keepsRelaxed: true},
		{name: "an allowed release branch drops them", ref: "refs/heads/release/1.2"},
		{name: "another branch is refused", ref: "refs/heads/feature", want: "branch-not-allowed"},
		{name: "a tag not listed is refused", ref: "refs/tags/v1", want: "branch-not-allowed"},
		{name: "a branch named like the default one is not it", ref: "refs/heads/main2", want: "branch-not-allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, out := gateApp("push", tc.ref)
			pol := relaxed()
			require.Equal(t, tc.want, refusalReason(t, a.checkRef(context.Background(), &pol)))
			if tc.want != "" {
				return
			}
			if tc.keepsRelaxed {
				assert.Equal(t, relaxed(), pol)
				assert.NotContains(t, out.String(), "::warning")
				return
			}
			assert.False(t, pol.AllowSelfApproval || pol.AllowAdminBypass || pol.SkipBranchPolicy, "relaxations kept off the default branch: %+v", pol)
			assert.Equal(t, policy.ModeAuto, pol.ApprovalMode)
			assert.False(t, pol.ModeFromFile)
			assert.Contains(t, out.String(), "allow-self-approval, allow-admin-bypass and require-branch-policy apply only on main")
			assert.Contains(t, out.String(), "approval-mode auto is used here")
		})
	}

	// Only the relaxations that are on are warned about; a policy without
	// any passes quietly.
	a, out := gateApp("push", "refs/heads/release/1.2")
	pol := policy.Policy{ApplyRefs: []string{"refs/heads/release/*"}, ApprovalMode: policy.ModeAuto}
	require.NoError(t, a.checkRef(context.Background(), &pol))
	assert.Empty(t, out.String())
	pol = policy.Policy{ApplyRefs: []string{"refs/heads/release/*"}, AllowAdminBypass: true}
	require.NoError(t, a.checkRef(context.Background(), &pol))
	assert.False(t, pol.AllowAdminBypass)
}

func TestPullRequestGateNotes(t *testing.T) {
	planAt := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("X", 3600))
	alice := policy.Review{Login: "alice"}
	assert.Equal(t, ", and none of them was submitted after lockstep's plan comment last changed (2026-03-04T04:06:07Z), so no approver saw the final plan",
		sawPlanNote(policy.ReviewVerdict{Counted: []policy.Review{alice}}, planAt))
	assert.Empty(t, sawPlanNote(policy.ReviewVerdict{Counted: []policy.Review{alice}, SawPlan: true}, planAt))
	assert.Empty(t, sawPlanNote(policy.ReviewVerdict{}, planAt), "no counted approval: nothing to say about the plan")

	note := discardedNote(policy.ReviewVerdict{Discarded: []policy.DiscardedReview{
		{Review: alice, Why: "the author"}, {Review: policy.Review{Login: "bob"}, Why: "read permission"},
	}})
	assert.True(t, strings.HasPrefix(note, "Not counted: alice (the author); bob (read permission). An approval counts when"), note)
	assert.True(t, strings.HasPrefix(discardedNote(policy.ReviewVerdict{}), "An approval counts when"))

	assert.Equal(t, "alice, bob", reviewLogins([]policy.Review{alice, {Login: "bob"}}))
	assert.Empty(t, reviewLogins(nil))
}

// Off the default branch the policy file is the ref's pusher's: its
// approval: none would let them apply to production with nobody's
// approval, so it is ignored there, as its other relaxations are. The
// input (require-approval) and the default branch's file still decide.
func TestCheckRefIgnoresTheFilesApprovalNoneOffTheDefaultBranch(t *testing.T) {
	none := func() policy.Policy {
		return policy.Policy{ProductionLike: true, ApplyRefs: []string{"refs/heads/release/*"}, ApprovalMode: policy.ModeAuto,
			Source: map[string]string{policy.FieldApproval: policy.SourceFile}}
	}
	a, out := gateApp("push", "refs/heads/release/1.2")
	pol := none()
	require.NoError(t, a.checkRef(context.Background(), &pol))
	assert.True(t, pol.ApprovalRequired, "approval: none from the file is dropped off the default branch")
	assert.Contains(t, out.String(), "::warning::refs/heads/release/1.2 is not the default branch (main): the policy file's approval: none applies only on main, where it was reviewed; approval is required here")

	// Decide goes on to require approval: here nothing can give it.
	a, _ = gateApp("push", "refs/heads/release/1.2")
	a.GitHub = func() (GitHub, error) { return nil, errors.New("no token") }
	_, err := a.Decide(context.Background(), none(), []string{"infra"})
	assert.Equal(t, "approval-unverifiable", refusalReason(t, err))

	a, out = gateApp("push", "refs/heads/main")
	pol = none()
	require.NoError(t, a.checkRef(context.Background(), &pol))
	assert.False(t, pol.ApprovalRequired, "on the default branch the reviewed file decides")
	assert.Empty(t, out.String())

	for _, source := range []string{policy.SourceInput, policy.SourceDefault} {
		a, out = gateApp("push", "refs/heads/release/1.2")
		pol = none()
		pol.Source[policy.FieldApproval] = source
		require.NoError(t, a.checkRef(context.Background(), &pol))
		assert.False(t, pol.ApprovalRequired, "approval from the %s is not the file's", source)
		assert.NotContains(t, out.String(), "approval: none")
	}
}
