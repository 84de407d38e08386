package cli

import (
	"strings"
	"testing"
)

func TestFingerprintNoteNeedsFullEquality(t *testing.T) {
	full := "adb780eedaa06f17677cb761164f48b0d393302567b92c20490a2edcaabaaefc"
	for _, tc := range []struct {
		name, current, reviewed string
		want                    string
	}{
		{"equal", full, full, "✅ **Same change as reviewed:** this plan's fingerprint `adb780eedaa06f17` matches the plan reviewers saw on PR #7."},
		{"a prefix is not the same", full, full[:16], "⚠️ **Not the change reviewers saw:** this plan's fingerprint `adb780eedaa06f17` differs from `adb780eedaa06f17` on PR #7"},
		{"zero is not the same", full, "0", "⚠️ **Not the change reviewers saw:** this plan's fingerprint `adb780eedaa06f17` differs from `0` on PR #7"},
		{"different", full, strings.Repeat("1", 64), "⚠️ **Not the change reviewers saw:** this plan's fingerprint `adb780eedaa06f17` differs from `1111111111111111` on PR #7"},
		{"no reviewed fingerprint", full, "", "❔ **Cannot compare with the change reviewers saw:** lockstep's plan comment on PR #7 carries no full fingerprint."},
		{"no current fingerprint", "", "", "❔ **Cannot compare with the change reviewers saw** on PR #7: this plan has no fingerprint."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fingerprintNote(tc.current, tc.reviewed, 7)
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("note\n%s\nwant it to start with\n%s", got, tc.want)
			}
			if tc.name != "equal" && strings.Contains(got, "Same change") {
				t.Errorf("note says same: %s", got)
			}
		})
	}
}
