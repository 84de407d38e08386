package pulumi

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/pulumitest"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// stateOnlySecret is a secret of the program that no config value holds:
// only decrypting the state finds it.
const stateOnlySecret = "state-only-secret-4711"

// passphraseStack is the test program's stack dev, applied, with a secret
// config value (a secret output of the state too), a structured one and a
// plain one, and a fourth thing whose value is a secret of the program's
// own (stateOnlySecret); a is its adapter.
func passphraseStack(t *testing.T) (a *Adapter, bin, dir string, env []string) {
	t.Helper()
	bin = pulumitest.Path(t)
	dir, env = t.TempDir(), pulumitest.Env(t, bin)
	program, err := os.ReadFile(filepath.Join(tftest.RepoRoot(), "test", "fixtures", "pulumi", "Pulumi.yaml"))
	require.NoError(t, err)
	// A fourth thing whose value is that secret: it is in a resource after
	// the stack's (which holds the secret outputs) in the export.
	program = []byte(strings.Replace(string(program), "\noutputs:\n",
		"\n  fourth:\n    type: lockstep:index:Thing\n    properties:\n      value:\n        fn::secret: "+stateOnlySecret+"\noutputs:\n", 1))
	tftest.WriteFiles(t, dir, map[string]string{"Pulumi.yaml": string(program)})
	run := func(args ...string) string { return pulumitest.Run(t, bin, dir, env, args...) }
	run("stack", "init", "dev", "--non-interactive")
	run("config", "set", "--stack", "dev", "--secret", "password", "hunter2-very-secret")
	run("config", "set", "--stack", "dev", "--secret", "--path", "db.password", "db-pass-0123456789")
	run("config", "set", "--stack", "dev", "--path", "db.user", "admin-user")
	run("config", "set", "--stack", "dev", "value", "plain-value")
	run("up", "--yes", "--skip-preview", "--stack", "dev", "--non-interactive")
	a, err = New(Options{ExecPath: bin, Dir: dir, Stack: "dev", Env: env})
	require.NoError(t, err)
	return a, bin, dir, env
}

// What lockstep decrypts itself is what the CLI decrypts: the same values
// to mask, from the config (a structured secret's leaves and JSON too) and
// the state.
func TestLocalSecretsAreTheCLIs(t *testing.T) {
	a, bin, dir, env := passphraseStack(t)
	cli := func(args ...string) []byte {
		return []byte(pulumitest.Run(t, bin, dir, env, append(args, "--stack", "dev", "--non-interactive")...))
	}
	export := cli("stack", "export")
	require.True(t, holdsSecrets(export))
	want, err := collectSecrets(cli("config", "--json", "--show-secrets"), cli("stack", "export", "--show-secrets"))
	require.NoError(t, err)
	require.Contains(t, want, "hunter2-very-secret")
	require.Contains(t, want, "db-pass-0123456789")
	require.Contains(t, want, stateOnlySecret, "the state's own secret")

	cfg, plain, err := a.localSecrets(export, "")
	require.NoError(t, err)
	got, err := collectSecrets(cfg, plain)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.NotContains(t, got, "plain-value")

	// secrets, which apply and ReadPlan use, takes the same way.
	got, err = a.secrets(context.Background(), "")
	require.NoError(t, err)
	assert.Equal(t, want, got)

	// PULUMI_CONFIG_PASSPHRASE_FILE, relative to the project, trimmed.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "phrase.txt"), []byte(pulumitest.Passphrase+"\n"), 0o600))
	var fileEnv []string
	for _, e := range env {
		if !strings.HasPrefix(e, "PULUMI_CONFIG_PASSPHRASE=") {
			fileEnv = append(fileEnv, e)
		}
	}
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "") // the test process's own must not be seen either
	os.Unsetenv("PULUMI_CONFIG_PASSPHRASE")
	viaFile, err := New(Options{ExecPath: bin, Dir: dir, Stack: "dev", Env: append(fileEnv, "PULUMI_CONFIG_PASSPHRASE_FILE=phrase.txt")})
	require.NoError(t, err)
	cfg, plain, err = viaFile.localSecrets(export, "")
	require.NoError(t, err)
	got, err = collectSecrets(cfg, plain)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// Whatever lockstep cannot decrypt itself is left to the CLI
// (errNotLocal), never guessed: a wrong passphrase, none, an ESC
// environment or another provider in the stack file, a stackConfigDir, a
// tampered value.
func TestLocalSecretsLeaveTheRestToTheCLI(t *testing.T) {
	a, bin, dir, env := passphraseStack(t)
	export := []byte(pulumitest.Run(t, bin, dir, env, "stack", "export", "--stack", "dev"))
	stackFile := filepath.Join(dir, "Pulumi.dev.yaml")
	original, err := os.ReadFile(stackFile)
	require.NoError(t, err)

	wrong, err := New(Options{ExecPath: bin, Dir: dir, Stack: "dev", Env: append(env, "PULUMI_CONFIG_PASSPHRASE=not-the-passphrase")})
	require.NoError(t, err)
	_, _, err = wrong.localSecrets(export, "")
	assert.ErrorIs(t, err, errNotLocal, "a wrong passphrase")

	for name, edit := range map[string]string{
		"an ESC environment":      string(original) + "environment:\n  - shop/prod\n",
		"a KMS provider":          "secretsprovider: awskms://alias/shop\n" + string(original),
		"a tampered secure value": tamper(t, string(original)),
	} {
		require.NoError(t, os.WriteFile(stackFile, []byte(edit), 0o600))
		_, _, err = a.localSecrets(export, "")
		assert.ErrorIs(t, err, errNotLocal, name)
	}
	require.NoError(t, os.WriteFile(stackFile, original, 0o600))

	// The config from var-files is the file read.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "other.yaml"), []byte("config:\n  demo:value: x\n"), 0o600))
	cfg, _, err := a.localSecrets(export, "other.yaml")
	require.NoError(t, err)
	assert.JSONEq(t, `{}`, string(cfg), "other.yaml has no secret")

	project, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), append(project, []byte("stackConfigDir: stacks\n")...), 0o600))
	_, _, err = a.localSecrets(export, "")
	assert.ErrorIs(t, err, errNotLocal, "a stackConfigDir")
}

// tamper changes one character inside the first secure value's ciphertext.
func tamper(t *testing.T, stackFile string) string {
	t.Helper()
	i := strings.Index(stackFile, "secure: v1:")
	require.GreaterOrEqual(t, i, 0)
	j := i + len("secure: v1:") + 20 // inside the ciphertext, past the nonce
	c := byte('A')
	if stackFile[j] == 'A' {
		c = 'B'
	}
	return stackFile[:j] + string(c) + stackFile[j+1:]
}

// A stack lockstep leaves to the CLI (its stack file in a stackConfigDir)
// still has every secret found, the CLI reading them: the same as the
// in-process read of the same stack.
func TestSecretsTheCLIReads(t *testing.T) {
	ctx := context.Background()
	a, bin, dir, env := passphraseStack(t)
	want, err := a.secrets(ctx, "")
	require.NoError(t, err)
	require.Contains(t, want, stateOnlySecret)
	require.Contains(t, want, "hunter2-very-secret")

	require.NoError(t, os.MkdirAll(filepath.Join(dir, "stacks"), 0o755))
	require.NoError(t, os.Rename(filepath.Join(dir, "Pulumi.dev.yaml"), filepath.Join(dir, "stacks", "Pulumi.dev.yaml")))
	project, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), append(project, []byte("stackConfigDir: stacks\n")...), 0o600))
	export := []byte(pulumitest.Run(t, bin, dir, env, "stack", "export", "--stack", "dev"))
	_, _, err = a.localSecrets(export, "")
	require.ErrorIs(t, err, errNotLocal, "left to the CLI")

	got, err := a.secrets(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, want, got)
}
