package install

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"strings"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/hc-install/product"
	"github.com/hashicorp/hc-install/releases"
)

// installTerraform downloads Terraform v into dir with hc-install, which
// checks the archive against terraform_<v>_SHA256SUMS and that file's
// signature against r.TerraformKey (HashiCorp's key when empty) before it
// unpacks anything.
func installTerraform(ctx context.Context, r Releases, v *version.Version, dir string) error {
	ev := &releases.ExactVersion{
		Product:          product.Terraform,
		Version:          v,
		InstallDir:       dir,
		Timeout:          10 * time.Minute,
		ApiBaseURL:       r.TerraformURL,
		ArmoredPublicKey: r.TerraformKey,
		HTTPClient:       r.HTTPClient,
	}
	// hc-install v0.10.0 loses the error of a failed archive check: a
	// deferred cleanup in DownloadAndUnpack overwrites it with nil, and
	// Install then fails at chmod of a binary never unpacked. Its debug log
	// still says what happened.
	var debug bytes.Buffer
	ev.SetLogger(log.New(&debug, "", 0))
	if _, err := ev.Install(ctx); err != nil {
		return classifyHCInstall(err, debug.String())
	}
	return nil
}

// classifyHCInstall says in plain words what an hc-install error means;
// hc-install returns untyped errors, so this reads their messages (from
// internal/releasesjson of v0.10.0).
func classifyHCInstall(err error, debug string) error {
	msg := err.Error()
	switch {
	case strings.Contains(debug, "checksum does not match for"):
		return errors.New("checksum does not match: the archive is not the one the signed SHA256SUMS lists")
	case errors.Is(err, fs.ErrNotExist) && strings.Contains(msg, "chmod"):
		return fmt.Errorf("the archive did not unpack (a truncated download or a damaged archive; hc-install does not say which): %w", err)
	case strings.Contains(msg, "unable to verify checksums signature"),
		strings.Contains(msg, "no suitable sig file found"),
		strings.Contains(msg, "no public key provided"):
		return fmt.Errorf("signature does not verify: %w", err)
	case strings.Contains(msg, "checksum mismatch"), strings.Contains(msg, "no checksum found"):
		return fmt.Errorf("checksum does not match: %w", err)
	case strings.Contains(msg, "failed to obtain product version") && strings.Contains(msg, "404"):
		return fmt.Errorf("%w: %w", errNoRelease, err)
	default:
		return err
	}
}
