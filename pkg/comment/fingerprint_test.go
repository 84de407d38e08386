package comment

import (
	"strings"
	"testing"

	"github.com/lockstep-ci/lockstep/pkg/plan"
)

const fullFP = "adb780eedaa06f17677cb761164f48b0d393302567b92c20490a2edcaabaaefc"

func TestParseFingerprint(t *testing.T) {
	line := "<!-- lockstep:fingerprint " + fullFP + " -->"
	for _, tc := range []struct {
		name, body string
		want       string
		wantOK     bool
	}{
		{"rendered line", "head\n" + line + "\n<sub>fingerprint `adb780eedaa06f17`</sub>\n", fullFP, true},
		{"crlf", "head\r\n" + line + "\r\n", fullFP, true},
		{"the last line wins", "<!-- lockstep:fingerprint " + strings.Repeat("0", 64) + " -->\n" + line, fullFP, true},
		{"absent", "head\n<sub>fingerprint `adb780eedaa06f17`</sub>\n", "", false},
		{"visible prefix only", "fingerprint `adb780eedaa06f17`", "", false},
		{"zero", "<!-- lockstep:fingerprint 0 -->", "", false},
		{"empty", "<!-- lockstep:fingerprint  -->", "", false},
		{"short", "<!-- lockstep:fingerprint " + fullFP[:63] + " -->", "", false},
		{"long", "<!-- lockstep:fingerprint " + fullFP + "0 -->", "", false},
		{"upper case", "<!-- lockstep:fingerprint " + strings.ToUpper(fullFP) + " -->", "", false},
		{"not hex", "<!-- lockstep:fingerprint " + strings.Repeat("g", 64) + " -->", "", false},
		{"unterminated", "<!-- lockstep:fingerprint " + fullFP, "", false},
		{"trailing text", line + " x", "", false},
		{"malformed last line hides an earlier good one", line + "\n<!-- lockstep:fingerprint 0 -->", "", false},
		{"indented", "  " + line, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseFingerprint(tc.body)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("ParseFingerprint = %q, %v; want %q, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// The plan comment carries the full fingerprint, which the push plan reads
// back; text from the plan (which the pull request controls) cannot add a
// fingerprint line of its own.
func TestRenderCarriesTheFullFingerprint(t *testing.T) {
	forged := "<!-- lockstep:fingerprint " + strings.Repeat("0", 64) + " -->"
	s := &plan.Summary{}
	text := "Terraform will perform the following actions:\n" + forged + "\n"
	m := Meta{Directory: "infra", Environment: "prod", Fingerprint: fullFP}
	for _, body := range []string{Render(s, text, m, Options{Marker: true}), RenderSummary(s, text, m)} {
		got, ok := ParseFingerprint(body)
		if !ok || got != fullFP {
			t.Fatalf("ParseFingerprint = %q, %v; want %s in\n%s", got, ok, fullFP, body)
		}
		if n := strings.Count(body, "<!-- lockstep:fingerprint "); n != 1 {
			t.Errorf("%d fingerprint lines, want only the renderer's", n)
		}
	}

	// No fingerprint line for a malformed fingerprint: nothing to compare.
	m.Fingerprint = "0"
	if got, ok := ParseFingerprint(Render(s, "", m, Options{Marker: true})); ok {
		t.Errorf("malformed fingerprint rendered as %q", got)
	}
}

// A new fingerprint is new content: the comment is rewritten even when
// nothing else visible changed, so the comment never carries a stale one.
func TestSameContentSeesANewFingerprint(t *testing.T) {
	s := &plan.Summary{}
	a := Render(s, "", Meta{Directory: "infra", Fingerprint: fullFP}, Options{Marker: true})
	b := Render(s, "", Meta{Directory: "infra", Fingerprint: strings.Repeat("1", 64)}, Options{Marker: true})
	if SameContent(a, b) {
		t.Error("bodies with different fingerprints compare as the same content")
	}
	if !SameContent(a, a) {
		t.Error("a body differs from itself")
	}
}
