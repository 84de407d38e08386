package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// update regenerates testdata with real Terraform, then rewrites the golden
// files from it:
//
//	go test ./pkg/plan -update
//
// Every directory testdata/<case>/ holds:
//
//	apply/        optional configuration applied first (the "before" state)
//	between.txt   optional terraform commands run after that apply, one per
//	              line, such as "taint terraform_data.cache"
//	plan/         the configuration that is planned
//	args.txt      optional extra plan arguments, one per line
//
// The run writes testdata/<case>.plan.json (terraform show -json) and
// testdata/<case>.plan.txt (terraform show -no-color, whose "Plan:" line the
// tests check the counts against). Cases Terraform cannot produce with
// built-in resources are derived from a real plan by a transform; see
// transforms.
var update = flag.Bool("update", false, "regenerate testdata with real terraform and rewrite golden files")

func TestMain(m *testing.M) {
	flag.Parse()
	if *update {
		if err := generateAll("testdata"); err != nil {
			fmt.Fprintln(os.Stderr, "generating testdata:", err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

// transforms edit a real plan for cases built-in resources cannot produce.
var transforms = map[string]func(plan map[string]any) error{
	"drift": injectDrift,
}

func generateAll(root string) error {
	entries, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, e.Name(), "plan")); err != nil {
			continue
		}
		if err := generate(root, e.Name()); err != nil {
			return fmt.Errorf("case %s: %w", e.Name(), err)
		}
	}
	return nil
}

func generate(root, name string) error {
	caseDir := filepath.Join(root, name)
	work, err := os.MkdirTemp("", "lockstep-plan-"+name+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tf := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "terraform", args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("terraform %s: %w\n%s%s", strings.Join(args, " "), err, out, stderr.String())
		}
		return out, nil
	}

	if _, err := os.Stat(filepath.Join(caseDir, "apply")); err == nil {
		if err := copyTree(filepath.Join(caseDir, "apply"), work); err != nil {
			return err
		}
		if _, err := tf("init", "-no-color"); err != nil {
			return err
		}
		if _, err := tf("apply", "-auto-approve", "-no-color"); err != nil {
			return err
		}
		if err := clearConfig(work); err != nil {
			return err
		}
	}
	for _, line := range readLines(filepath.Join(caseDir, "between.txt")) {
		if _, err := tf(strings.Fields(line)...); err != nil {
			return err
		}
	}
	if err := copyTree(filepath.Join(caseDir, "plan"), work); err != nil {
		return err
	}
	if _, err := tf("init", "-no-color"); err != nil {
		return err
	}
	planArgs := append([]string{"plan", "-no-color", "-out=tfplan"}, readLines(filepath.Join(caseDir, "args.txt"))...)
	if _, err := tf(planArgs...); err != nil {
		return err
	}
	raw, err := tf("show", "-json", "tfplan")
	if err != nil {
		return err
	}
	text, err := tf("show", "-no-color", "tfplan")
	if err != nil {
		return err
	}

	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("decoding plan json: %w", err)
	}
	if t := transforms[name]; t != nil {
		if err := t(doc); err != nil {
			return fmt.Errorf("transforming: %w", err)
		}
	}
	pretty, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, name+".plan.json"), append(pretty, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, name+".plan.txt"), text, 0o644)
}

// clearConfig removes the applied configuration but keeps the state and the
// initialized providers.
func clearConfig(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, ".terraform") || strings.HasPrefix(n, "terraform.tfstate") {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return nil
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

func readLines(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// injectDrift adds resource_drift to the real drift plan. terraform_data
// refreshes to exactly its stored state, so no built-in resource can drift;
// the entries mirror what a provider reports:
//   - terraform_data.security_group was changed outside Terraform: its stored
//     state had another ingress list than the refreshed object (which the plan
//     keeps as a no-op, because the configuration already matches);
//   - terraform_data.worker was deleted outside Terraform (the real plan
//     recreates it because the generator removed it from the state).
func injectDrift(doc map[string]any) error {
	changes, _ := doc["resource_changes"].([]any)
	byAddr := map[string]map[string]any{}
	for _, c := range changes {
		if m, ok := c.(map[string]any); ok {
			if a, ok := m["address"].(string); ok {
				byAddr[a] = m
			}
		}
	}
	sg, ok := byAddr["terraform_data.security_group"]
	if !ok {
		return fmt.Errorf("terraform_data.security_group is missing")
	}
	worker, ok := byAddr["terraform_data.worker"]
	if !ok {
		return fmt.Errorf("terraform_data.worker is missing")
	}

	sgChange, _ := sg["change"].(map[string]any)
	refreshed := sgChange["before"]
	stored, err := deepCopy(refreshed)
	if err != nil {
		return err
	}
	setPath(stored, []string{"input", "ingress"}, []any{"10.0.0.0/8", "0.0.0.0/0"})
	setPath(stored, []string{"output", "ingress"}, []any{"10.0.0.0/8", "0.0.0.0/0"})

	workerChange, _ := worker["change"].(map[string]any)
	workerAfter, err := deepCopy(workerChange["after"])
	if err != nil {
		return err
	}
	if m, ok := workerAfter.(map[string]any); ok {
		m["id"] = "0d3b2e4c-0000-4000-8000-00000000d21f"
		m["output"] = m["input"]
	}

	drift := func(rc map[string]any, actions []any, before, after any) map[string]any {
		return map[string]any{
			"address":       rc["address"],
			"mode":          rc["mode"],
			"type":          rc["type"],
			"name":          rc["name"],
			"provider_name": rc["provider_name"],
			"change": map[string]any{
				"actions":          actions,
				"before":           before,
				"after":            after,
				"after_unknown":    map[string]any{},
				"before_sensitive": map[string]any{},
				"after_sensitive":  map[string]any{},
			},
		}
	}
	doc["resource_drift"] = []any{
		drift(sg, []any{"update"}, stored, refreshed),
		drift(worker, []any{"delete"}, workerAfter, nil),
	}
	// Terraform shows drift only where relevant_attributes names it (the
	// attributes planned changes refer to): name the security group's input
	// and the worker, as a configuration referring to them would.
	doc["relevant_attributes"] = []any{
		map[string]any{"resource": "terraform_data.security_group", "attribute": []any{"input", "ingress"}},
		map[string]any{"resource": "terraform_data.worker", "attribute": []any{"id"}},
	}
	return nil
}

func deepCopy(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return out, dec.Decode(&out)
}

func setPath(v any, path []string, value any) {
	m, ok := v.(map[string]any)
	if !ok || len(path) == 0 {
		return
	}
	if len(path) == 1 {
		m[path[0]] = value
		return
	}
	setPath(m[path[0]], path[1:], value)
}
