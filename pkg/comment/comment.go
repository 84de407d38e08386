package comment

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lockstep-ci/lockstep/pkg/plan"
)

// Size limits.
const (
	// CommentLimit is GitHub's limit on an issue comment body, in
	// characters; a longer body is rejected with 422.
	CommentLimit = 65536
	// DefaultCommentBudget is the rune budget Render uses when
	// Options.MaxRunes is 0; it leaves headroom under CommentLimit.
	DefaultCommentBudget = 60000
	// SummaryLimitBytes is GitHub's limit on one step's job summary; over
	// it the summary is dropped.
	SummaryLimitBytes = 1 << 20
	// SummaryBudgetBytes is what RenderSummary uses, leaving headroom under
	// SummaryLimitBytes for anything else the step writes.
	SummaryBudgetBytes = SummaryLimitBytes - 8<<10
)

// Meta is what the renderer needs besides the Summary.
type Meta struct {
	// Directory and Environment identify the stack; Environment may be empty.
	Directory, Environment string
	// Commit is the full SHA; 7 characters are shown.
	Commit string
	// RunURL links to the workflow run; it may be empty.
	RunURL string
	// Engine is the product that made the plan, as terraform.Product names
	// it ("Terraform" or "OpenTofu"); the headings, the drift text and the
	// footer say it. Empty means Terraform.
	Engine string
	// TerraformVersion, the engine's version, overrides
	// Summary.TerraformVersion when set.
	TerraformVersion string
	// LockstepVersion, PlanSHA256 and Fingerprint go to the footer.
	LockstepVersion, PlanSHA256, Fingerprint string
	// Next says what happens next (who approves, where it applies). It is
	// Markdown written by the caller; see the package documentation.
	Next string
	// Now is shown as the update time; the zero time shows none.
	Now time.Time
	// Approvals are the reviews that approved an apply, shown in its
	// report; logins and comments are untrusted text.
	Approvals []Approval
	// ApprovalMode is the gate that proved the approvals: "environment"
	// (the GitHub environment's reviewers approved the run) or
	// "pull-request" (the merged pull request's reviews); "" names none.
	ApprovalMode string
	// Destroys is what apply will do with the plan's deletes and replaces
	// under the environment's policy, decided by the caller; nil says
	// nothing about it. The warning says it, and how to allow a refusal.
	Destroys *DestroyVerdict
}

// engine is m.Engine, "Terraform" when empty, made safe for Markdown.
func (m Meta) engine() string {
	e := sanitize(m.Engine, false)
	if e == "" {
		return "Terraform"
	}
	return EscapeText(truncate(e, maxMeta))
}

// DestroyVerdict is the policy's verdict on a plan's deletes and replaces.
type DestroyVerdict struct {
	// Refused are the addresses the policy does not allow: apply refuses
	// the plan unless the pull request carries a valid allow-destroy label.
	// Empty means the policy allows them all.
	Refused []string
	// AllowedBy names what allows them when Refused is empty, e.g. "the
	// input allow-destroy" or "allow-destroy in .lockstep.yml".
	AllowedBy string
	// Label is the pull request label that allows them, and PolicyFile the
	// policy file to list them in.
	Label, PolicyFile string
}

// Approval is one reviewer's approval of an apply and its comment. URL
// links to the review (a pull request review's html_url), when known.
type Approval struct {
	Login, Comment string
	URL            string
}

// Options tune Render. The zero value renders a comment without a marker
// within DefaultCommentBudget.
type Options struct {
	// MaxRunes is the budget in runes; 0 means DefaultCommentBudget. Budgets
	// under a few hundred runes cannot hold the headline and are cut hard.
	MaxRunes int
	// Marker puts Marker(dir, env) on the first line, so that the comment
	// can be found and updated in place.
	Marker bool
}

// Marker returns the hidden first line that identifies the comment for one
// working directory and environment:
//
//	<!-- lockstep:plan dir=<dir> env=<env> -->
//
// dir and env are percent-encoded except for letters, digits and . _ / and
// single hyphens, so that they cannot end the comment, start a new line or
// blur the boundary between the two; a very long encoding is shortened to a
// prefix and a hash so that the marker stays small.
func Marker(dir, env string) string {
	return "<!-- lockstep:plan dir=" + markerValue(dir) + " env=" + markerValue(env) + " -->"
}

// maxMarkerValue is the longest encoded dir or env kept whole in a marker.
const maxMarkerValue = 160

func markerValue(s string) string {
	const hexdigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		safe := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == '/'
		if c == '-' {
			// A hyphen next to another could form "--" or "-->".
			safe = (i == 0 || s[i-1] != '-') && (i+1 == len(s) || s[i+1] != '-')
		}
		if safe {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	v := b.String()
	if len(v) > maxMarkerValue {
		sum := sha256.Sum256([]byte(s))
		v = strings.TrimRight(v[:100], "%0123456789ABCDEF-") + "~" + hex.EncodeToString(sum[:8])
	}
	return v
}

// HasMarker reports whether body's first line is exactly marker (a trailing
// CR, as GitHub may store, is ignored).
func HasMarker(body, marker string) bool {
	first, _, _ := strings.Cut(body, "\n")
	return strings.TrimSuffix(first, "\r") == marker && marker != ""
}

// Render renders the pull request comment for s within o.MaxRunes runes.
// planText is Terraform's human plan output (terraform show), which may be
// huge. A nil Summary renders as a plan without changes.
func Render(s *plan.Summary, planText string, m Meta, o Options) string {
	budget := o.MaxRunes
	if budget <= 0 {
		budget = DefaultCommentBudget
	}
	return render(s, planText, m, profile{
		budget:    budget,
		measure:   utf8.RuneCountInString,
		marker:    o.Marker,
		maxWarn:   10,
		maxAttrs:  8,
		maxLine:   500,
		maxGroups: 100,
		maxOuts:   50,
		cutNote:   cutNoteComment,
	})
}

// RenderSummary renders the job summary for s: the same content as the
// comment, fuller (longer lists, longer plan lines, no marker), within
// SummaryBudgetBytes bytes.
func RenderSummary(s *plan.Summary, planText string, m Meta) string {
	return render(s, planText, m, profile{
		budget:    SummaryBudgetBytes,
		measure:   func(s string) int { return len(s) },
		inSummary: true,
		maxWarn:   100,
		maxAttrs:  40,
		maxLine:   4000,
		maxGroups: 2000,
		maxOuts:   2000,
		cutNote:   cutNoteSummary,
	})
}
