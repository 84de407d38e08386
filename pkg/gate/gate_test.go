package gate

import (
	"testing"
)

func TestSplitRef(t *testing.T) {
	tests := []struct {
		ref, wantType, wantName string
	}{
		{"refs/heads/main", "branch", "main"},
		{"refs/heads/release/1.2", "branch", "release/1.2"},
		{"refs/tags/v1.2.3", "tag", "v1.2.3"},
		{"refs/pull/7/merge", "", ""},
		{"", "", ""},
		{"main", "", ""},
	}
	for _, tt := range tests {
		typ, name := splitRef(tt.ref)
		if typ != tt.wantType || name != tt.wantName {
			t.Errorf("splitRef(%q) = %q, %q; want %q, %q", tt.ref, typ, name, tt.wantType, tt.wantName)
		}
	}
}

func TestTriggeredBy(t *testing.T) {
	tests := []struct {
		actor, triggering, login string
		want                     bool
	}{
		{"alice", "", "alice", true},
		{"alice", "", "Alice", true},
		{"alice", "bob", "bob", true}, // bob re-ran alice's run
		{"alice", "bob", "carol", false},
		{"", "", "", false},
		{"", "", "alice", false},
	}
	for _, tt := range tests {
		g := &Gate{Run: Run{Actor: tt.actor, TriggeringActor: tt.triggering}}
		if got := g.triggeredBy(tt.login); got != tt.want {
			t.Errorf("actor %q, triggering actor %q: triggeredBy(%q) = %v, want %v", tt.actor, tt.triggering, tt.login, got, tt.want)
		}
	}
}
