package binding

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writePlan(t *testing.T, content string) (string, Record) {
	t.Helper()
	plan := filepath.Join(t.TempDir(), "tfplan")
	require.NoError(t, os.WriteFile(plan, []byte(content), 0o644))
	sum, err := FileSHA256(plan)
	require.NoError(t, err)
	rec := Record{PlanSHA256: sum, PlanFile: "tfplan", Commit: "3f9a2c1d0e5b", Directory: "infra",
		Environment: "production", Engine: "terraform", EngineVersion: "1.11.4", CreatedAt: time.Unix(0, 0).UTC()}
	require.NoError(t, Write(Path(plan), rec))
	return plan, rec
}

var run = Run{Commit: "3f9a2c1d0e5b", Directory: "infra", Environment: "production", Engine: "terraform", EngineVersion: "1.11.4"}

func TestCheckMatches(t *testing.T) {
	plan, want := writePlan(t, "plan bytes")
	got, err := Check(plan, run)
	require.NoError(t, err)
	assert.Equal(t, want.PlanSHA256, got.PlanSHA256)
	assert.Equal(t, SchemaVersion, got.SchemaVersion)
}

func TestCheckRefuses(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(t *testing.T, plan string, r *Run)
		field  string
		msg    string
	}{
		{"tampered plan", func(t *testing.T, plan string, r *Run) {
			require.NoError(t, os.WriteFile(plan, []byte("plan bytes, edited"), 0o644))
		}, "plan-sha256", "the plan file is not the one that was reviewed"},
		{"another commit", func(t *testing.T, plan string, r *Run) { r.Commit = "abcdef0123456" },
			"commit", "the plan was made for commit 3f9a2c1, but this run is for commit abcdef0: re-run the plan for commit abcdef0"},
		{"another directory", func(t *testing.T, plan string, r *Run) { r.Directory = "infra/db" },
			"directory", `the plan was made for working directory "infra", not "infra/db"`},
		{"another environment", func(t *testing.T, plan string, r *Run) { r.Environment = "staging" },
			"environment", `the plan was made for environment "production", not "staging": re-run the plan for "staging"`},
		{"another terraform", func(t *testing.T, plan string, r *Run) { r.EngineVersion = "1.5.7" },
			"engine", "the plan was made with Terraform 1.11.4, but this run has Terraform 1.5.7: use the same engine and version for plan and apply (engine, terraform-version), then re-run the plan"},
		{"another engine, same version", func(t *testing.T, plan string, r *Run) { r.Engine = "opentofu" },
			"engine", "the plan was made with Terraform 1.11.4, but this run has OpenTofu 1.11.4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, _ := writePlan(t, "plan bytes")
			r := run
			tt.mutate(t, plan, &r)
			_, err := Check(plan, r)
			var mm *MismatchError
			require.ErrorAs(t, err, &mm)
			assert.Equal(t, tt.field, mm.Field)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestCheckMissingRecord(t *testing.T) {
	plan, _ := writePlan(t, "plan bytes")
	require.NoError(t, os.Remove(Path(plan)))
	_, err := Check(plan, run)
	var missing *MissingError
	require.ErrorAs(t, err, &missing)
	assert.Contains(t, err.Error(), "only a plan made by lockstep plan can be applied")
}

func TestCheckUnknownSchema(t *testing.T) {
	plan, _ := writePlan(t, "plan bytes")
	require.NoError(t, os.WriteFile(Path(plan), []byte(`{"schema_version": 99}`), 0o644))
	_, err := Check(plan, run)
	var mm *MismatchError
	require.ErrorAs(t, err, &mm)
	assert.Equal(t, "schema", mm.Field)
}

func TestCheckCorruptRecord(t *testing.T) {
	plan, _ := writePlan(t, "plan bytes")
	require.NoError(t, os.WriteFile(Path(plan), []byte(`{"schema_version": 1,`), 0o644))
	_, err := Check(plan, run)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "decoding the binding record")
}

// A var-file may sit outside the working directory but never outside the
// repository; only an engine that reads var-files at apply checks them.
func TestCheckVarFilePaths(t *testing.T) {
	repo := t.TempDir()
	root := filepath.Join(repo, "infra")
	require.NoError(t, os.MkdirAll(filepath.Join(repo, "shared"), 0o755))
	require.NoError(t, os.MkdirAll(root, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(repo, "shared", "prod.yaml"), []byte("config: {}\n"), 0o644))
	files, err := HashVarFiles(root, []string{"../shared/prod.yaml"})
	require.NoError(t, err)
	require.Equal(t, []VarFile{{Path: "../shared/prod.yaml", SHA256: "009c4672fda30d3313d1e114efe92407bd27fdbf08ca7f85b781afacad87e96a"}}, files)
	for _, tt := range []struct {
		path, dir string
		outside   bool
	}{
		{"../shared/prod.yaml", "infra", false},
		{"prod.yaml", ".", false},
		{"../../prod.yaml", "infra", true},
		{"../prod.yaml", ".", true},
		{"/etc/prod.yaml", "infra", true},
	} {
		err := checkVarFiles(root, tt.dir, []VarFile{{Path: tt.path, SHA256: files[0].SHA256}})
		var mm *MismatchError
		if tt.outside {
			require.ErrorAs(t, err, &mm, tt.path)
			assert.Equal(t, "outside", mm.Actual, tt.path)
			continue
		}
		if tt.path == "prod.yaml" {
			require.ErrorAs(t, err, &mm, "inside, but not in the working directory")
			assert.Empty(t, mm.Actual)
			continue
		}
		assert.NoError(t, err, tt.path)
	}

	// The same file with other content: the SHA-256s differ.
	err = checkVarFiles(root, "infra", []VarFile{{Path: "../shared/prod.yaml", SHA256: "9ecf182eaa00ba3af66a1901d47fbba7648a314cd36b0e63b3ae699b22700a0b"}})
	var changed *MismatchError
	require.ErrorAs(t, err, &changed)
	assert.Equal(t, MismatchError{Field: "var-files", File: "../shared/prod.yaml", Recorded: "9ecf182eaa00ba3af66a1901d47fbba7648a314cd36b0e63b3ae699b22700a0b", Actual: files[0].SHA256}, *changed)
	assert.Equal(t, "var-file ../shared/prod.yaml changed since the plan (its SHA-256 is 009c4672fda3, the plan read 9ecf182eaa00): the apply would read another config than the reviewed one; re-run the plan and review it again", err.Error())

	// Terraform's record lists var-files without Check reading them.
	plan, rec := writePlan(t, "plan bytes")
	rec.VarFiles = []VarFile{{Path: "gone.tfvars", SHA256: "00"}}
	require.NoError(t, Write(Path(plan), rec))
	_, err = Check(plan, run)
	assert.NoError(t, err)
	rec.Engine, rec.EngineVersion = "pulumi", "3.274.1"
	require.NoError(t, Write(Path(plan), rec))
	r := run
	r.Engine, r.EngineVersion, r.Root = "pulumi", "3.274.1", filepath.Dir(plan)
	_, err = Check(plan, r)
	var mm *MismatchError
	require.ErrorAs(t, err, &mm)
	assert.Equal(t, "var-files", mm.Field)
	assert.Equal(t, "var-file gone.tfvars, which the plan read, is missing: the apply reads it again (the saved plan does not hold it); re-run the plan with the var-files it should read", err.Error())
}
