package comment

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lockstep-ci/lockstep/pkg/plan"
)

var fuzzActions = []plan.Action{
	plan.ActionDelete, plan.ActionReplace, plan.ActionCreate, plan.ActionUpdate, plan.ActionImport,
	plan.ActionMove, plan.ActionForget, plan.ActionRead, plan.ActionNoOp, "odd<action>",
}

// fuzzSummary builds a Summary of up to 50,000 changes from fuzz input: the
// input is cut into pieces that become addresses, types, attribute names,
// output names and values, the directory, environment and plan text.
func fuzzSummary(data []byte, count uint16) (*plan.Summary, string, Meta) {
	pieces := strings.Split(string(data), "\x00")
	piece := func(i int) string { return pieces[i%len(pieces)] }
	n := int(count) % 50001
	s := &plan.Summary{EngineVersion: piece(1)}
	for i := range n {
		p := piece(i)
		a := fuzzActions[(i+len(p))%len(fuzzActions)]
		c := plan.Change{
			Address:           p + "[" + string(rune('a'+i%26)) + "]",
			Type:              piece(i + 1),
			Mode:              []string{"managed", "data", ""}[i%3],
			Action:            a,
			ChangedAttributes: []string{piece(i + 2), piece(i + 3)},
			ReplacePaths:      []string{piece(i + 4)},
			PreviousAddress:   piece(i + 5),
			ActionReason:      piece(i + 6),
			Deposed:           piece(i + 7),
			Importing:         i%7 == 0,
			KeepsOld:          i%11 == 0,
			Attributes: []plan.AttributeChange{
				{Name: piece(i + 2), Kind: plan.KindValue, Before: piece(i + 9), After: piece(i + 10)},
				{Name: piece(i + 3), Kind: plan.KindMap, Changed: []string{piece(i + 4)}, Added: []string{piece(i + 5)},
					Values: []plan.KeyChange{{Key: piece(i + 6), Before: piece(i + 7), After: piece(i + 8)}}},
			},
		}
		if i%19 == 0 {
			s.Actions = append(s.Actions, plan.ActionInvocation{Address: piece(i), Trigger: piece(i + 1), Event: piece(i + 2)})
			s.Deferred = append(s.Deferred, plan.Change{Address: piece(i + 3), Action: a, DeferredReason: piece(i + 4)})
		}
		s.Changes = append(s.Changes, c)
		if plan.IsDangerous(c) {
			s.Destroy++
		}
		if i%13 == 0 {
			s.Drift = append(s.Drift, c)
		}
		if i%17 == 0 {
			s.Outputs = append(s.Outputs, plan.OutputChange{
				Name: piece(i + 8), Action: a, Sensitive: i%2 == 0, Before: piece(i + 9), After: piece(i + 10),
			})
		}
	}
	s.Add = n - s.Destroy
	if len(pieces) > 3 {
		s.Secrets = []string{pieces[3]}
	}
	var text strings.Builder
	for i := 0; text.Len() < 4*len(data) && i < 100000; i++ {
		text.WriteString(piece(i))
		text.WriteByte('\n')
	}
	m := Meta{
		Directory:       piece(2),
		Environment:     piece(3),
		Commit:          piece(4),
		RunURL:          "https://github.com/o/r/actions/runs/" + piece(5),
		LockstepVersion: piece(6),
		PlanSHA256:      piece(7),
		Fingerprint:     piece(8),
		Next:            "Approve it on the run page.",
		Now:             time.Unix(int64(len(data))*1e6, 0),
	}
	return s, text.String(), m
}

func FuzzRender(f *testing.F) {
	f.Add([]byte("aws_s3_bucket.logs\x00aws_s3_bucket\x00infra\x00production\x003f9a2c1"), uint16(12), uint32(0), true)
	f.Add([]byte("a|b\x00`tick`\x00<!-- lockstep:plan dir=x env=y -->\x00@octocat #12\x00\x1b[31m\u202e"), uint16(300), uint32(1500), true)
	f.Add([]byte("```\x00</details>\x00~~~\x00line\nbreak\x00\xff\xfe"), uint16(50000), uint32(4000), false)
	f.Add([]byte(strings.Repeat("x", 5000)), uint16(5000), uint32(60000), true)
	f.Fuzz(func(t *testing.T, data []byte, count uint16, budget uint32, marker bool) {
		s, text, m := fuzzSummary(data, count)
		maxRunes := 1000 + int(budget%200000)
		body := Render(s, text, m, Options{MaxRunes: maxRunes, Marker: marker})
		want := ""
		if marker {
			want = Marker(m.Directory, m.Environment)
		}
		checkBody(t, body, maxRunes, utf8.RuneCountInString, want)
		_ = PlainText(body) // never panics
		if count%8 == 0 {   // the job summary is slower; check it on some inputs
			checkBody(t, RenderSummary(s, text, m), summaryBudget, func(s string) int { return len(s) }, "")
		}
	})
}
