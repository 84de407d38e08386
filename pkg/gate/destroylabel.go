package gate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lockstep-ci/lockstep/pkg/comment"
	"github.com/lockstep-ci/lockstep/pkg/github"
	"github.com/lockstep-ci/lockstep/pkg/policy"
)

// labelGrant is a valid allow-destroy label: who added it to which pull
// request, when.
type labelGrant struct {
	PR    int
	Actor string
	Role  string
	At    time.Time
}

// labelDenied says which condition of the allow-destroy label failed.
type labelDenied struct{ why string }

func (d *labelDenied) Error() string { return d.why }

// labelRequest is the plan whose deletes and replaces a label would allow.
type labelRequest struct {
	Commit, Dir, Env string
	// Fingerprint is the applied plan's full fingerprint: the label allows
	// only the plan it was added after, the one lockstep's comment shows.
	Fingerprint string
}

// checkDestroyLabel decides whether a pull request of the commit allows the
// plan's deletes and replaces with policy.AllowDestroyLabel. It does when
// the pull request carries the label; the latest labeled event of the label
// (not followed by an unlabeled one) was by a person, not an app, whose
// permission on the repository is write, maintain or admin; that event came
// after lockstep's own plan comment for the directory and environment last
// changed; and that comment shows the plan being applied (same full
// fingerprint). Otherwise it returns a *labelDenied saying which condition
// failed, or the error of a GitHub read: never a grant on a failed read.
func checkDestroyLabel(ctx context.Context, gh Labels, req labelRequest) (labelGrant, error) {
	prs, err := gh.PullRequestsForCommit(ctx, req.Commit)
	if err != nil {
		return labelGrant{}, err
	}
	if len(prs) == 0 {
		return labelGrant{}, &labelDenied{fmt.Sprintf("commit %s belongs to no pull request, so there is no label to check", short(req.Commit))}
	}
	var first error
	for _, pr := range prs {
		g, err := checkLabelOn(ctx, gh, pr, req)
		var denied *labelDenied
		switch {
		case err == nil:
			return g, nil
		case !errors.As(err, &denied):
			return labelGrant{}, err
		case first == nil && !errors.Is(err, errNoLabel):
			first = err
		}
	}
	if first != nil {
		return labelGrant{}, first
	}
	return labelGrant{}, &labelDenied{fmt.Sprintf("no pull request of commit %s (%s) carries it", short(req.Commit), prList(prs))}
}

// errNoLabel marks a pull request without the label, so that another one's
// failed condition is the one reported.
var errNoLabel = &labelDenied{"the pull request does not carry it"}

func checkLabelOn(ctx context.Context, gh Labels, pr int, req labelRequest) (labelGrant, error) {
	label := policy.AllowDestroyLabel
	labels, err := gh.IssueLabels(ctx, pr)
	if err != nil {
		return labelGrant{}, err
	}
	carries := false
	for _, l := range labels {
		carries = carries || strings.EqualFold(l, label)
	}
	if !carries {
		return labelGrant{}, errNoLabel
	}
	ev, err := gh.LastLabelEvent(ctx, pr, label)
	if err != nil {
		return labelGrant{}, err
	}
	if ev == nil || !ev.Labeled {
		return labelGrant{}, &labelDenied{fmt.Sprintf("PR #%d carries it but its timeline shows no labeled event for it that was not undone, so nobody can tell who added it", pr)}
	}
	at := ev.CreatedAt.UTC().Format(time.RFC3339)
	if ev.ActorType == "Bot" || strings.HasSuffix(ev.Actor, "[bot]") || ev.ViaApp != "" {
		return labelGrant{}, &labelDenied{fmt.Sprintf("on PR #%d it was added by an app (%s, at %s), not by a person with write permission; "+
			"a person must add it: remove it and add it again", pr, orNone(ev.Actor), at)}
	}
	perm, err := gh.CollaboratorPermission(ctx, ev.Actor)
	if github.IsNotFound(err) {
		return labelGrant{}, &labelDenied{fmt.Sprintf("on PR #%d it was added by %s (at %s), who is not a collaborator of the repository; only write, maintain or admin permission counts", pr, ev.Actor, at)}
	}
	if err != nil {
		return labelGrant{}, err
	}
	if !perm.CanWrite() {
		return labelGrant{}, &labelDenied{fmt.Sprintf("on PR #%d it was added by %s (at %s), whose permission is %s; only write, maintain or admin counts: "+
			"someone with write permission must remove it and add it again", pr, ev.Actor, at, orNone(permName(perm)))}
	}
	marker := comment.Marker(req.Dir, req.Env)
	c, err := gh.FindComment(ctx, pr, marker)
	if err != nil {
		return labelGrant{}, err
	}
	if c == nil {
		return labelGrant{}, &labelDenied{fmt.Sprintf("PR #%d has no plan comment by lockstep for %s (environment %s), so nobody can tell which plan the label was added for", pr, req.Dir, orNone(req.Env))}
	}
	if !ev.CreatedAt.After(c.UpdatedAt) {
		return labelGrant{}, &labelDenied{fmt.Sprintf("on PR #%d %s added it at %s, not after lockstep's plan comment last changed (%s): a label allows only the plan it was added after; "+
			"read the plan comment, then remove the label and add it again", pr, ev.Actor, at, c.UpdatedAt.UTC().Format(time.RFC3339))}
	}
	reviewed, _ := comment.ParseFingerprint(c.Body)
	if reviewed == "" || req.Fingerprint == "" || reviewed != req.Fingerprint {
		return labelGrant{}, &labelDenied{fmt.Sprintf("the plan being applied (fingerprint %s) is not the one in lockstep's plan comment on PR #%d (%s) that %s labelled: "+
			"the label allows only that plan", orNone(short16(req.Fingerprint)), pr, orNone(short16(reviewed)), ev.Actor)}
	}
	return labelGrant{PR: pr, Actor: ev.Actor, Role: permName(perm), At: ev.CreatedAt}, nil
}

func permName(p github.Permission) string {
	if p.Role != "" {
		return p.Role
	}
	return p.Level
}

func prList(prs []int) string {
	s := make([]string, len(prs))
	for i, n := range prs {
		s[i] = fmt.Sprintf("PR #%d", n)
	}
	return strings.Join(s, ", ")
}

// AllowDestroys is the destroy guard's last chance in action mode: the
// pull request's allow-destroy label (see checkDestroyLabel) for the plan
// of dir with fingerprint, on this run's commit. It returns nil when the
// label allows its deletes and replaces, else a *Refusal
// (destroy-not-allowed) of refused, whose Label says why the label did not
// allow them. A failed GitHub read never allows them.
func (g *Gate) AllowDestroys(ctx context.Context, dir, fingerprint string, refused *policy.DestroyRefusedError) error {
	gh, err := g.github()
	var grant labelGrant
	if err == nil {
		grant, err = checkDestroyLabel(ctx, gh, labelRequest{Commit: g.Run.SHA, Dir: dir, Env: g.Environment, Fingerprint: fingerprint})
	}
	var denied *labelDenied
	switch {
	case errors.As(err, &denied):
		refused.Label = denied.why
		return refuse("destroy-not-allowed", refused)
	case err != nil:
		refused.Label = fmt.Sprintf("lockstep could not check it, so it does not count (the apply job needs the permission pull-requests: read): %v", err)
		return refuse("destroy-not-allowed", refused)
	}
	g.Log.Printf("Deletes and replaces allowed by the label %s on PR #%d, added by %s (%s) at %s, after lockstep's plan comment for this plan.",
		policy.AllowDestroyLabel, grant.PR, grant.Actor, grant.Role, grant.At.UTC().Format(time.RFC3339))
	return nil
}
