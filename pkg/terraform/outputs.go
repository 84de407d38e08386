package terraform

import (
	"context"
	"fmt"
	"io"
)

// Outputs reads the root module's outputs from the state (terraform output
// -json). Sensitive outputs are marked and carry no value: they must never
// reach a deploy command's environment or a log.
func (t *Terraform) Outputs(ctx context.Context) (map[string]Output, error) {
	out := map[string]Output{}
	err := t.withStdout(io.Discard, func() error {
		metas, err := t.tf.Output(ctx)
		if err != nil {
			return fmt.Errorf("running terraform output: %w", err)
		}
		for name, m := range metas {
			o := Output{Sensitive: m.Sensitive}
			if !m.Sensitive {
				o.Value = m.Value
			}
			out[name] = o
		}
		return nil
	})
	return out, err
}
