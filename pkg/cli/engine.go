package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	cfnengine "github.com/lockstep-ci/lockstep/pkg/engine/cloudformation"
	"github.com/lockstep-ci/lockstep/pkg/engine/install"
	pulumiengine "github.com/lockstep-ci/lockstep/pkg/engine/pulumi"
	tfengine "github.com/lockstep-ci/lockstep/pkg/engine/terraform"
)

// stackEngine wires the engine the inputs name for the stack in dir, its
// human output going to the masked log, and reads its identity. This is
// the one place that knows the concrete engines.
//
// The binary is the version the stack asks for (see engineBinary): the
// one on PATH (terraform-path) when it satisfies that, else a verified
// install. A binary lockstep cannot drive is a bad terraform-path.
func (a *app) stackEngine(ctx context.Context, dir string) (engine.Engine, engine.Identity, error) {
	if st, err := os.Stat(a.absDir(dir)); err != nil || !st.IsDir() {
		return nil, engine.Identity{}, &config.InputError{Input: "working-directory", Value: dir, Problem: "is not a directory in the repository", Flag: a.local != nil}
	}
	bin, err := a.engineBinary(ctx, dir)
	if err != nil {
		return nil, engine.Identity{}, err
	}
	e, err := a.newEngine(dir, bin)
	if err != nil {
		return nil, engine.Identity{}, &badInput{err}
	}
	id, err := e.Identity(ctx)
	var unsupported *engine.UnsupportedError
	if errors.As(err, &unsupported) {
		return nil, id, &badInput{&config.InputError{Input: "terraform-path", Value: bin, Flag: a.local != nil,
			Problem: "is " + unsupported.Found + "; " + unsupported.Problem}}
	}
	if err != nil {
		return nil, id, fail("terraform-failed", err)
	}
	return e, id, nil
}

// engineBinary resolves the engine version for the stack in dir (the
// terraform-version input, a .terraform-version / .opentofu-version file,
// the root module's required_version, else the terraform-path binary) and
// returns the binary that runs it, installing a missing version into the
// tool cache with its checksum and signature verified.
func (a *app) engineBinary(ctx context.Context, dir string) (string, error) {
	switch a.cfg.Engine {
	case engine.Pulumi:
		// The pulumi on PATH (or terraform-path); lockstep installs none.
		return a.cfg.TerraformPath, nil
	case engine.CloudFormation:
		// No binary: the adapter talks to the CloudFormation API.
		return "", nil
	}
	eng, err := install.ParseEngine(a.cfg.Engine)
	if err != nil {
		return "", &badInput{err}
	}
	res, err := install.Resolve(ctx, install.ResolveOptions{
		Engine:    eng,
		Requested: a.cfg.TerraformVersion,
		Dir:       a.absDir(dir),
		RepoRoot:  a.gh.Workspace,
		// The binary "on PATH" is terraform-path's: terraform (tofu for
		// OpenTofu) looked up in PATH, or the path given.
		LookPath: func(string) (string, error) { return exec.LookPath(a.cfg.TerraformPath) },
	})
	if err != nil {
		return "", &badInput{fmt.Errorf("choosing the %s version for %s: %w", engine.DisplayName(a.cfg.Engine), dir, err)}
	}
	if res.Source != install.SourcePath {
		a.r.Printf("%s: %s", dir, res)
	}
	cache, err := install.DefaultCacheDir(a.env.Getenv)
	if err != nil {
		return "", fail("engine-install-failed", err)
	}
	bin, err := res.Binary(ctx, install.EnsureOptions{CacheDir: cache, Log: a.r.Log()})
	if err != nil {
		return "", fail("engine-install-failed", fmt.Errorf("installing %s for %s: %w", res, dir, err))
	}
	if res.Path == "" {
		a.r.Printf("%s: running %s (verified install in the tool cache)", dir, bin)
	}
	return bin, nil
}

// newEngine is the adapter of the engine the inputs name, running bin.
// Pulumi's backend, credentials and secrets passphrase come from the
// environment (PULUMI_BACKEND_URL, PULUMI_ACCESS_TOKEN,
// PULUMI_CONFIG_PASSPHRASE). CloudFormation's credentials and region come
// from the AWS SDK's default chain (AWS_* variables, web identity,
// profiles); the environment's policy says whether a failed change set is
// rolled back (engine-rollback).
func (a *app) newEngine(dir, bin string) (engine.Engine, error) {
	switch a.cfg.Engine {
	case engine.Pulumi:
		return pulumiengine.New(pulumiengine.Options{ExecPath: bin, Dir: a.absDir(dir), Stack: a.cfg.Stack, Log: a.r.Log()})
	case engine.CloudFormation:
		pol, err := a.policy()
		if err != nil {
			return nil, err
		}
		return cfnengine.New(cfnengine.Options{Dir: a.absDir(dir), Template: a.cfg.Template, Stack: a.cfg.Stack,
			ParametersFile: a.cfg.ParametersFile, Rollback: pol.EngineRollback, Log: a.r.Log()})
	}
	return tfengine.New(tfengine.Options{Engine: a.cfg.Engine, ExecPath: bin, Dir: a.absDir(dir), Log: a.r.Log()})
}
