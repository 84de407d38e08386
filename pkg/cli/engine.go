package cli

import (
	"context"
	"errors"

	"github.com/lockstep-ci/lockstep/pkg/config"
	"github.com/lockstep-ci/lockstep/pkg/engine"
	pulumiengine "github.com/lockstep-ci/lockstep/pkg/engine/pulumi"
	tfengine "github.com/lockstep-ci/lockstep/pkg/engine/terraform"
)

// stackEngine wires the engine the inputs name for the stack in dir, its
// human output going to the masked log, and reads its identity. A binary
// lockstep cannot drive is a bad terraform-path. This is the one place
// that knows the concrete engines.
func (a *app) stackEngine(ctx context.Context, dir string) (engine.Engine, engine.Identity, error) {
	e, err := a.newEngine(dir)
	if err != nil {
		return nil, engine.Identity{}, &badInput{err}
	}
	id, err := e.Identity(ctx)
	var unsupported *engine.UnsupportedError
	if errors.As(err, &unsupported) {
		return nil, id, &badInput{&config.InputError{Input: "terraform-path", Value: a.cfg.TerraformPath, Flag: a.local != nil,
			Problem: "is " + unsupported.Found + "; " + unsupported.Problem + ": point it at a newer binary"}}
	}
	if err != nil {
		return nil, id, fail("terraform-failed", err)
	}
	return e, id, nil
}

// newEngine is the adapter of the engine the inputs name. Pulumi's backend,
// credentials and secrets passphrase come from the environment
// (PULUMI_BACKEND_URL, PULUMI_ACCESS_TOKEN, PULUMI_CONFIG_PASSPHRASE).
func (a *app) newEngine(dir string) (engine.Engine, error) {
	if a.cfg.Engine == engine.Pulumi {
		return pulumiengine.New(pulumiengine.Options{ExecPath: a.cfg.TerraformPath, Dir: a.absDir(dir), Stack: a.cfg.Stack, Log: a.r.Log()})
	}
	return tfengine.New(tfengine.Options{Engine: a.cfg.Engine, ExecPath: a.cfg.TerraformPath, Dir: a.absDir(dir), Log: a.r.Log()})
}
