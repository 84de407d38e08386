package comment

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/plan"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// corpusDir is the shared corpus of real plan JSON files from public
// projects' tests (../shared/plan-corpus, beside the repository; never
// copied into it), or LOCKSTEP_PLAN_CORPUS.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LOCKSTEP_PLAN_CORPUS")
	if dir == "" {
		dir = filepath.Join(tftest.RepoRoot(), "..", "shared", "plan-corpus", "testdata")
	}
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("LOCKSTEP_REQUIRE_CORPUS") == "1" {
			t.Fatalf("plan corpus not found at %s: set LOCKSTEP_PLAN_CORPUS", dir)
		}
		t.Skipf("plan corpus not found at %s (it lives beside the repository, not in it): set LOCKSTEP_PLAN_CORPUS to run this test", dir)
	}
	return dir
}

// tfCounts counts a plan the way Terraform's "Plan:" line does, from
// terraform-json's own classification: a replace is one add and one
// destroy (no destroy when the old object is only forgotten), data
// sources never count.
func tfCounts(p *tfjson.Plan) (add, change, destroy int) {
	for _, rc := range p.ResourceChanges {
		if rc.Change == nil || rc.Mode == tfjson.DataResourceMode {
			continue
		}
		a := rc.Change.Actions
		switch {
		case a.Replace():
			add++
			destroy++
		case len(a) == 2 && a[0] == tfjson.ActionCreate && a[1] == tfjson.ActionForget:
			add++
		case a.Create():
			add++
		case a.Update():
			change++
		case a.Delete():
			destroy++
		}
	}
	return add, change, destroy
}

var planLine = regexp.MustCompile(`(?m)^Plan: (\d+) to add, (\d+) to change, (\d+) to destroy`)

// Every valid plan of the corpus decodes, summarises and renders: counts
// as terraform-json classifies them (and as Terraform's own printed
// "Plan:" line says, where the corpus keeps it), every changed address in
// the summary, a comment within GitHub's limit. Files terraform-json
// rejects must be rejected by lockstep's decoder too.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	var valid, rejected, printed, drifts int
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		var ref tfjson.Plan
		refErr := json.Unmarshal(data, &ref)
		if refErr == nil {
			refErr = ref.Validate()
		}
		if refErr == nil && ref.FormatVersion == "" {
			refErr = os.ErrInvalid
		}
		ours, err := plan.Decode(bytes.NewReader(data))
		if refErr != nil {
			assert.Error(t, err, "%s: terraform-json refuses it (%v), and so must lockstep", rel, refErr)
			rejected++
			return nil
		}
		if !assert.NoError(t, err, "%s: terraform-json reads it", rel) {
			return nil
		}
		valid++
		s, err := plan.Summarize(ours)
		if !assert.NoError(t, err, rel) {
			return nil
		}
		add, change, destroy := tfCounts(&ref)
		assert.Equal(t, [3]int{add, change, destroy}, [3]int{s.Add, s.Change, s.Destroy}, "%s: counts against terraform-json's classification", rel)

		// Terraform's own printed plan, where the corpus keeps it.
		if text, err := os.ReadFile(filepath.Join(filepath.Dir(path), "plan")); err == nil {
			if m := planLine.FindSubmatch(text); m != nil {
				printed++
				want := [3]int{atoi(m[1]), atoi(m[2]), atoi(m[3])}
				assert.Equal(t, want, [3]int{s.Add, s.Change, s.Destroy}, "%s: counts against Terraform's own Plan: line", rel)
			}
			checkDriftAgainstText(t, rel, s, string(text))
			drifts++
		}

		listed := map[string]bool{}
		for _, c := range s.Changes {
			listed[c.Address+"\x00"+c.Deposed] = true
		}
		for _, rc := range ref.ResourceChanges {
			if rc.Change == nil || rc.Change.Actions.NoOp() || (rc.Mode == tfjson.DataResourceMode && rc.Change.Actions.Delete()) {
				continue
			}
			if rc.Change.Importing == nil && rc.PreviousAddress == "" && rc.Change.Actions.NoOp() {
				continue
			}
			assert.True(t, listed[rc.Address+"\x00"+rc.DeposedKey], "%s: %s (%v) is in the summary", rel, rc.Address, rc.Change.Actions)
		}

		body := Render(s, "", Meta{Directory: "infra", Environment: "production"}, Options{Marker: true})
		assert.LessOrEqual(t, utf8.RuneCountInString(body), CommentLimit, "%s: the comment fits", rel)
		assert.Contains(t, body, "<!-- lockstep:plan", rel)
		return nil
	})
	require.NoError(t, err)
	t.Logf("corpus: %d valid plans checked (%d against Terraform's printed Plan: line, %d for drift), %d files both decoders refuse", valid, printed, drifts, rejected)
	assert.Greater(t, valid, 300, "most of the corpus is valid plans")
}

func atoi(b []byte) int {
	n, _ := strconv.Atoi(string(b))
	return n
}

// checkDriftAgainstText checks the summary's drift against the engine's own
// printed plan: drift is listed exactly when the text has its note, each
// drifted resource is one the text names as changed, deleted or moved
// outside, and a refresh-only plan is one the text calls so.
func checkDriftAgainstText(t *testing.T, rel string, s *plan.Summary, text string) {
	t.Helper()
	printed := strings.Contains(text, "Objects have changed outside of")
	assert.Equal(t, printed, len(s.Drift) > 0, "%s: drift listed (%d) exactly when the printed plan notes it", rel, len(s.Drift))
	for _, c := range s.Drift {
		named := strings.Contains(text, "# "+c.Address+" has ") ||
			(c.PreviousAddress != "" && strings.Contains(text, "# "+c.PreviousAddress+" has moved to "+c.Address))
		assert.True(t, named, "%s: drift of %s is in the printed plan", rel, c.Address)
	}
	if len(s.Drift) > 0 {
		assert.Equal(t, strings.Contains(text, "This is a refresh-only plan"), s.RefreshOnly, "%s: refresh-only", rel)
	}
}
