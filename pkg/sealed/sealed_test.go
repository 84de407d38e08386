package sealed

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func init() {
	// A weak work factor keeps these tests fast; the binary always seals
	// with age's default.
	workFactor = 10
}

const key = "correct horse battery staple"

// fixture writes a plan and its record into a fresh directory and seals it.
func fixture(t *testing.T) (plan, record string) {
	t.Helper()
	dir := t.TempDir()
	plan = filepath.Join(dir, "tfplan")
	record = plan + ".lockstep.json"
	if err := os.WriteFile(plan, []byte("PK\x03\x04 plan bytes with a password=hunter2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(record, []byte(`{"plan_sha256":"abc"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Seal(plan, record, key); err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return plan, record
}

func TestSealOpenRoundTrip(t *testing.T) {
	plan, record := fixture(t)
	sealedBytes, err := os.ReadFile(Path(plan))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(sealedBytes[:21]); got != "age-encryption.org/v1" {
		t.Errorf("sealed file starts %q, want the age header", got)
	}
	if bytes.Contains(sealedBytes, []byte("hunter2")) {
		t.Error("the sealed file holds the plan's clear text")
	}
	st, err := os.Stat(Path(plan))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("sealed file mode %v, want 0600", st.Mode().Perm())
	}

	out := filepath.Join(filepath.Dir(plan), "opened")
	if err := Open(Path(plan), record, out, key); err != nil {
		t.Fatalf("Open: %v", err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "PK\x03\x04 plan bytes with a password=hunter2\n" {
		t.Errorf("opened plan = %q", got)
	}
	st, err = os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("opened plan mode %v, want 0600", st.Mode().Perm())
	}
}

func TestOpenReplacesAPlantedPlaintext(t *testing.T) {
	plan, record := fixture(t)
	if err := os.WriteFile(plan, []byte("planted by an attacker"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Open(Path(plan), record, plan, key); err != nil {
		t.Fatalf("Open: %v", err)
	}
	got, _ := os.ReadFile(plan)
	if string(got) != "PK\x03\x04 plan bytes with a password=hunter2\n" {
		t.Errorf("plan after Open = %q, want the sealed one", got)
	}
}

func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		corrupt func(t *testing.T, sealedPath, record string)
		want    string
	}{
		{name: "wrong key", key: "another key",
			want: "wrong key (LOCKSTEP_PLAN_KEY is not the one the plan job sealed it with)"},
		{name: "truncated", key: key, corrupt: func(t *testing.T, p, _ string) {
			data, _ := os.ReadFile(p)
			write(t, p, data[:len(data)-10])
		}},
		{name: "one byte flipped", key: key, corrupt: func(t *testing.T, p, _ string) {
			data, _ := os.ReadFile(p)
			data[len(data)-5] ^= 0x01
			write(t, p, data)
		}},
		{name: "not age", key: key, corrupt: func(t *testing.T, p, _ string) {
			write(t, p, []byte("PK\x03\x04 a plaintext plan renamed to .age"))
		}},
		{name: "another record", key: key, corrupt: func(t *testing.T, _, record string) {
			write(t, record, []byte(`{"plan_sha256":"abc","commit":"edited"}`+"\n"))
		}, want: "the binding record tfplan.lockstep.json is not the one sealed with this plan"},
		{name: "empty key", key: "", want: "passphrase can't be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, record := fixture(t)
			if tt.corrupt != nil {
				tt.corrupt(t, Path(plan), record)
			}
			write(t, plan, []byte("untouched"))
			err := Open(Path(plan), record, plan, tt.key)
			var de *DecryptError
			if !errors.As(err, &de) {
				t.Fatalf("Open error = %v, want a *DecryptError", err)
			}
			if tt.want != "" && errors.Unwrap(err).Error() != tt.want {
				t.Errorf("cause = %q, want %q", errors.Unwrap(err).Error(), tt.want)
			}
			got, _ := os.ReadFile(plan)
			if string(got) != "untouched" {
				t.Errorf("plan after a failed Open = %q, want it untouched", got)
			}
			leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(plan), ".lockstep-sealed-*"))
			if len(leftovers) != 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
		})
	}
}

func TestOpenRefusesAHugeWorkFactor(t *testing.T) {
	plan, record := fixture(t)
	old := maxWorkFactor
	maxWorkFactor = workFactor - 1
	defer func() { maxWorkFactor = old }()
	err := Open(Path(plan), record, plan, key)
	var de *DecryptError
	if !errors.As(err, &de) {
		t.Fatalf("Open error = %v, want a *DecryptError", err)
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
