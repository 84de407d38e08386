package terraform

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"

	"github.com/lockstep-ci/lockstep/pkg/childenv"
)

// The products a runner's binary can be, as Product names them.
const (
	ProductTerraform = "Terraform"
	ProductOpenTofu  = "OpenTofu"
)

// MinVersion is the oldest Terraform lockstep runs: the oldest its tests run
// against (TERRAFORM_MIN in scripts/install-tools.sh, `make test-compat`).
var MinVersion = [3]int{1, 5, 0}

// MinOpenTofuVersion is the oldest OpenTofu lockstep runs. OpenTofu 1.6.0,
// its first release, forked from Terraform 1.6 and has everything lockstep
// uses from Terraform 1.5 (`make test-opentofu` runs a newer one).
var MinOpenTofuVersion = [3]int{1, 6, 0}

// minVersion is the oldest version of product lockstep runs.
func minVersion(product string) [3]int {
	if product == ProductOpenTofu {
		return MinOpenTofuVersion
	}
	return MinVersion
}

// TooOldError is a Terraform or OpenTofu binary older than the oldest one
// lockstep runs (MinVersion, MinOpenTofuVersion).
type TooOldError struct {
	Path    string // the binary, as given
	Product string // ProductTerraform or ProductOpenTofu; empty means Terraform
	Found   string // its version
}

func (e *TooOldError) Error() string {
	return fmt.Sprintf("%s is version %s; %s", e.Path, e.Found, e.Need())
}

// Need says which version lockstep needs, e.g. "lockstep needs OpenTofu
// 1.6.0 or newer".
func (e *TooOldError) Need() string {
	product := e.Product
	if product == "" {
		product = ProductTerraform
	}
	v := minVersion(product)
	return fmt.Sprintf("lockstep needs %s %d.%d.%d or newer", product, v[0], v[1], v[2])
}

// checkMinVersion returns a *TooOldError when segments (major, minor,
// patch; a pre-release counts as its release) are below product's oldest
// supported version.
func checkMinVersion(path, product, found string, segments []int) error {
	for i, want := range minVersion(product) {
		got := 0
		if i < len(segments) {
			got = segments[i]
		}
		if got != want {
			if got < want {
				return &TooOldError{Path: path, Product: product, Found: found}
			}
			return nil
		}
	}
	return nil
}

// productVersion is what Product found.
type productVersion struct {
	name, version string
}

// Product says which engine the binary is, ProductTerraform or
// ProductOpenTofu, and its version, e.g. "1.12.6". It returns a
// *TooOldError (with the name and version) when that engine is older than
// lockstep supports. The answer is read once per runner.
//
// `version -json` cannot tell the two apart (OpenTofu keeps the
// "terraform_version" key), so the product comes from the human `version`
// output's "Terraform v1.11.4" or "OpenTofu v1.12.6" line. The
// version itself comes from terraform-exec's `version -json`, which it also
// uses to decide which options the binary accepts.
func (t *Terraform) Product(ctx context.Context) (name, version string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.product == nil {
		pv, err := t.readProduct(ctx)
		if err != nil {
			return "", "", err
		}
		t.product = &pv
	}
	pv := t.product
	return pv.name, pv.version, checkMinVersion(t.execPath, pv.name, pv.version, t.segments)
}

// Version returns the binary's version, e.g. "1.11.4", or a *TooOldError
// when it is older than lockstep supports (see Product).
func (t *Terraform) Version(ctx context.Context) (string, error) {
	_, v, err := t.Product(ctx)
	return v, err
}

// readProduct runs both version commands; t.mu is held. The human one runs
// first: an OpenTofu whose CLI configuration is missing breaks the JSON one.
func (t *Terraform) readProduct(ctx context.Context) (productVersion, error) {
	cmd := exec.CommandContext(ctx, t.tf.ExecPath(), "version")
	cmd.Dir = t.tf.WorkingDir()
	cmd.Env = showEnv(childenv.Environ())
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = showWaitDelay
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return productVersion{}, fmt.Errorf("reading which product %s is with `version`: %w: %s", t.execPath, err, strings.TrimSpace(stderr.String()))
	}
	name, err := parseProduct(out)
	if err != nil {
		return productVersion{}, fmt.Errorf("reading which product %s is: %w", t.execPath, err)
	}
	if name == ProductOpenTofu {
		if err := checkCLIConfig(os.Getenv); err != nil {
			return productVersion{}, err
		}
	}
	t.tf.SetStdout(io.Discard)
	tv, _, err := t.tf.Version(ctx, false)
	t.tf.SetStdout(t.log)
	if err != nil {
		return productVersion{}, fmt.Errorf("reading %s's version: %w", name, err)
	}
	t.segments = tv.Segments()
	return productVersion{name: name, version: tv.String()}, nil
}

// checkCLIConfig refuses a CLI configuration file that OpenTofu is told to
// read (TF_CLI_CONFIG_FILE, else TERRAFORM_CONFIG) but that does not exist.
// OpenTofu then prints a warning about it to stdout before every command's
// output, JSON included (version -json, show -json), which lockstep could
// no longer read. Terraform warns about it only on stderr, so it is let be.
func checkCLIConfig(getenv func(string) string) error {
	for _, name := range []string{"TF_CLI_CONFIG_FILE", "TERRAFORM_CONFIG"} {
		p := getenv(name)
		if p == "" {
			continue
		}
		f, err := os.Open(p)
		if err == nil {
			return f.Close()
		}
		problem := "which does not exist"
		if !errors.Is(err, fs.ErrNotExist) {
			problem = "which cannot be read (" + err.Error() + ")"
		}
		return fmt.Errorf("environment variable %s names the OpenTofu CLI configuration file %q, %s: "+
			"OpenTofu would print a warning about it into the JSON that lockstep reads; create the file or unset %s", name, p, problem, name)
	}
	return nil
}

// parseProduct reads the product from the human output of `version`: the
// first line that is "Terraform v…" or "OpenTofu v…". It need not be the
// first line: OpenTofu prints warnings about its CLI configuration (for
// example a TF_CLI_CONFIG_FILE that does not exist) before it.
func parseProduct(out []byte) (string, error) {
	first := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if first == "" && strings.TrimSpace(line) != "" {
			first = line
		}
		for _, name := range []string{ProductTerraform, ProductOpenTofu} {
			if strings.HasPrefix(line, name+" v") {
				return name, nil
			}
		}
	}
	if len(first) > 80 {
		first = first[:80] + "…"
	}
	return "", fmt.Errorf("`version` printed no \"Terraform v…\" or \"OpenTofu v…\" line (its first: %q)", first)
}
