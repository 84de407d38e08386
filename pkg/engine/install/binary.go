package install

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/hashicorp/go-version"
)

// BinaryVersion runs `<path> version -json` and returns the version it
// reports (terraform_version, which OpenTofu reports too). The binary gets
// a minimal environment: no token or input of the step reaches it, and
// CHECKPOINT_DISABLE keeps Terraform from calling home.
func BinaryVersion(ctx context.Context, path string) (*version.Version, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "version", "-json")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		if msg != "" {
			return nil, fmt.Errorf("running %s version -json: %w: %s", path, err, msg)
		}
		return nil, fmt.Errorf("running %s version -json: %w", path, err)
	}
	var out struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("reading the output of %s version -json: %w", path, err)
	}
	v, err := version.NewVersion(out.Version)
	if err != nil {
		return nil, fmt.Errorf("reading the output of %s version -json: terraform_version %s: %w", path, quote(out.Version), err)
	}
	return v, nil
}
