package terraform

import (
	"fmt"
	"os/exec"
	"path/filepath"
)

// lookPath resolves the terraform-path input to an executable.
func lookPath(p string) (string, error) {
	if p == "" {
		p = "terraform"
	}
	found, err := exec.LookPath(p)
	if err != nil {
		return "", fmt.Errorf("finding terraform-path %q: %w (install Terraform or set terraform-path)", p, err)
	}
	abs, err := filepath.Abs(found)
	if err != nil {
		return "", fmt.Errorf("finding terraform-path %q: %w", p, err)
	}
	return abs, nil
}
