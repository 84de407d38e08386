package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const planKey = "e2e-plan-key-5f0c8a2b9d41"

// sealedPlan plans the changes fixture with LOCKSTEP_PLAN_KEY set and then
// removes the plaintext plan, as the workflow's artifact carries only
// tfplan.age and the record to the apply job.
func sealedPlan(t *testing.T) (*workspace, map[string]string) {
	t.Helper()
	w, _ := pushWorkspace(t)
	w.fixture("changes/v1", "infra")
	in := map[string]string{"working-directory": "infra", "environment": "staging"}
	w.env["LOCKSTEP_PLAN_KEY"] = planKey
	r := w.action(with(in, "command", "plan"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assertKeyHidden(t, r)
	sealedPath := filepath.Join(w.root, "infra", "tfplan.age")
	data, err := os.ReadFile(sealedPath)
	require.NoError(t, err, "plan writes the sealed plan beside the plan")
	assert.True(t, strings.HasPrefix(string(data), "age-encryption.org/v1\n-> scrypt "), "an age file with a scrypt recipient")
	st, err := os.Stat(sealedPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	require.NoError(t, os.Remove(filepath.Join(w.root, "infra", "tfplan")))
	return w, in
}

// assertKeyHidden checks the key is announced as a mask and appears nowhere
// else: not in the log, the outputs, the summary or exported variables.
func assertKeyHidden(t *testing.T, r result) {
	t.Helper()
	assert.Contains(t, r.stdout, "::add-mask::"+planKey+"\n")
	assert.NotContains(t, strings.ReplaceAll(r.stdout, "::add-mask::"+planKey+"\n", ""), planKey)
	assert.NotContains(t, r.stderr, planKey)
	assert.NotContains(t, r.summary, planKey)
	assert.NotContains(t, r.envFile, planKey)
	for name, v := range r.outputs {
		assert.NotContains(t, v, planKey, "output %s", name)
	}
}

func TestSealedPlanAppliesWithTheKey(t *testing.T) {
	w, in := sealedPlan(t)
	r := w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Equal(t, "success", r.outputs["result"])
	assertKeyHidden(t, r)
	assert.Equal(t, []string{"terraform_data.delete", "terraform_data.keep", "terraform_data.old_name",
		"terraform_data.replace_cbd", "terraform_data.replace_default", "terraform_data.update"}, w.stateAddresses("infra"))
	st, err := os.Stat(filepath.Join(w.root, "infra", "tfplan"))
	require.NoError(t, err, "apply decrypted the plan into the working directory")
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

// A plaintext plan planted beside the sealed one never wins: apply decrypts
// over it and applies the reviewed plan.
func TestSealedPlanWinsOverAPlantedPlaintext(t *testing.T) {
	w, in := sealedPlan(t)
	require.NoError(t, os.WriteFile(filepath.Join(w.root, "infra", "tfplan"), []byte("PK\x03\x04 planted"), 0o644))
	r := w.action(with(in, "command", "apply"))
	require.Equal(t, 0, r.code, "stdout:\n%s", r.stdout)
	assert.Len(t, w.stateAddresses("infra"), 6)
}

func TestSealedPlanRefusals(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(w *workspace)
		reason string
		msg    string
	}{
		{"no key", func(w *workspace) { delete(w.env, "LOCKSTEP_PLAN_KEY") }, "plan-key-missing",
			"the saved plan is sealed (tfplan.age) but LOCKSTEP_PLAN_KEY is not set: pass the same secret to the apply step as to plan"},
		{"wrong key", func(w *workspace) { w.env["LOCKSTEP_PLAN_KEY"] = "not-the-key" }, "plan-decrypt-failed",
			"wrong key (LOCKSTEP_PLAN_KEY is not the one the plan job sealed it with)"},
		{"tampered", func(w *workspace) {
			p := filepath.Join(w.root, "infra", "tfplan.age")
			data, err := os.ReadFile(p)
			require.NoError(w.t, err)
			data[len(data)-20] ^= 0x80
			require.NoError(w.t, os.WriteFile(p, data, 0o644))
		}, "plan-decrypt-failed", "decrypting the sealed plan"},
		{"truncated", func(w *workspace) {
			p := filepath.Join(w.root, "infra", "tfplan.age")
			data, err := os.ReadFile(p)
			require.NoError(w.t, err)
			require.NoError(w.t, os.WriteFile(p, data[:len(data)/2], 0o644))
		}, "plan-decrypt-failed", "decrypting the sealed plan"},
		{"record edited", func(w *workspace) {
			p := filepath.Join(w.root, "infra", "tfplan.lockstep.json")
			data, err := os.ReadFile(p)
			require.NoError(w.t, err)
			require.NoError(w.t, os.WriteFile(p, append(data, ' '), 0o644))
		}, "plan-decrypt-failed", "the binding record tfplan.lockstep.json is not the one sealed with this plan"},
		{"sealed plan removed, plaintext planted", func(w *workspace) {
			require.NoError(w.t, os.Remove(filepath.Join(w.root, "infra", "tfplan.age")))
			require.NoError(w.t, os.WriteFile(filepath.Join(w.root, "infra", "tfplan"), []byte("PK\x03\x04 planted"), 0o644))
		}, "plan-decrypt-failed", "LOCKSTEP_PLAN_KEY is set but there is no sealed plan tfplan.age"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, in := sealedPlan(t)
			tt.mutate(w)
			r := w.action(with(in, "command", "apply"))
			assert.Equal(t, 1, r.code, "stdout:\n%s", r.stdout)
			assert.Equal(t, "refused", r.outputs["result"])
			assert.Equal(t, tt.reason, r.outputs["failure-reason"])
			assert.Contains(t, r.stdout, tt.msg)
			assert.Contains(t, r.summary, "Refused: nothing was applied")
			assert.Empty(t, w.stateAddresses("infra"), "nothing was applied")
			assert.NotContains(t, r.stdout, engineCommand(t)+" init", "refused before Terraform ran")
			assert.NotContains(t, strings.ReplaceAll(r.stdout, "::add-mask::"+planKey+"\n", "")+r.summary+r.stderr, planKey)
		})
	}
}
