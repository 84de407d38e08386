package install

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-version"
	"github.com/opentofu/tofudl"
)

// installOpenTofu downloads OpenTofu v into dir with tofudl, which checks
// the archive against tofu_<v>_SHA256SUMS and that file's signature against
// r.OpenTofuKey (OpenTofu's key when empty) before it unpacks anything.
func installOpenTofu(ctx context.Context, r Releases, v *version.Version, dir string) error {
	index, err := r.tofuIndex(ctx)
	if err != nil {
		return err
	}
	var rel *tofuRelease
	for i := range index {
		if index[i].parsed.Equal(v) && index[i].parsed.Prerelease() == v.Prerelease() {
			rel = &index[i]
			break
		}
	}
	if rel == nil {
		return errNoRelease
	}
	opts := []tofudl.ConfigOpt{tofudl.ConfigHTTPClient(r.httpClient())}
	if r.OpenTofuKey != "" {
		opts = append(opts, tofudl.ConfigGPGKey(r.OpenTofuKey))
	}
	if r.OpenTofuDownloadURL != "" {
		opts = append(opts, tofudl.ConfigDownloadMirrorURLTemplate(r.OpenTofuDownloadURL))
	}
	dl, err := tofudl.New(opts...)
	if err != nil {
		return fmt.Errorf("setting up the OpenTofu downloader: %w", err)
	}
	bin, err := dl.DownloadVersion(ctx, rel.VersionWithArtifacts, tofudl.PlatformAuto, tofudl.ArchitectureAuto)
	if err != nil {
		return classifyTofuDL(err)
	}
	if err := os.WriteFile(filepath.Join(dir, OpenTofu.Binary()), bin, 0o755); err != nil {
		return fmt.Errorf("writing the binary: %w", err)
	}
	return nil
}

// classifyTofuDL says in plain words what a tofudl error means.
func classifyTofuDL(err error) error {
	var sig *tofudl.SignatureError
	var corrupt *tofudl.ArtifactCorruptedError
	switch {
	case errors.As(err, &sig) && strings.Contains(sig.Message, "No checksum found"):
		return fmt.Errorf("checksum does not match: %w", err)
	case errors.As(err, &sig):
		return fmt.Errorf("signature does not verify: %w", err)
	case errors.As(err, &corrupt):
		return fmt.Errorf("checksum does not match: %w", err)
	default:
		return err
	}
}
