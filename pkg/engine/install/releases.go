package install

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/opentofu/tofudl"
)

// The vendors' real sites. Their signing keys are the ones bundled with
// hc-install (HashiCorp's) and tofudl (OpenTofu's).
const (
	DefaultTerraformURL        = "https://releases.hashicorp.com"
	DefaultOpenTofuAPIURL      = "https://get.opentofu.org/tofu/api.json"
	DefaultOpenTofuDownloadURL = "https://github.com/opentofu/opentofu/releases/download/v{{ .Version }}/{{ .Artifact }}"
)

// maxIndex bounds a release index read into memory (Terraform's is a few MB).
const maxIndex = 64 << 20

// Releases says where an engine's releases are listed and downloaded from,
// and which key must have signed their checksums. The zero value is the
// vendors' own sites and keys, which production always uses; tests point it
// at a loopback server and a key they generate.
type Releases struct {
	// TerraformURL is the base of a site laid out like
	// releases.hashicorp.com: <base>/terraform/index.json,
	// <base>/terraform/<version>/index.json and the files those list.
	// Empty means DefaultTerraformURL.
	TerraformURL string
	// TerraformKey is the ASCII-armored OpenPGP public key that must have
	// signed terraform_<version>_SHA256SUMS. Empty means HashiCorp's key as
	// bundled with hc-install.
	TerraformKey string
	// OpenTofuAPIURL lists OpenTofu's versions and their files
	// ({"versions":[{"id":"1.8.0","files":[...]}]}). Empty means
	// DefaultOpenTofuAPIURL.
	OpenTofuAPIURL string
	// OpenTofuDownloadURL is a Go template of a file's URL with
	// {{.Version}} and {{.Artifact}}. Empty means DefaultOpenTofuDownloadURL.
	OpenTofuDownloadURL string
	// OpenTofuKey is the ASCII-armored OpenPGP public key that must have
	// signed tofu_<version>_SHA256SUMS. Empty means OpenTofu's key as bundled
	// with tofudl.
	OpenTofuKey string
	// HTTPClient makes every request; nil means a plain client with a
	// timeout for the indexes and OpenTofu's downloads, and hc-install's
	// retrying client for Terraform's downloads.
	HTTPClient *http.Client
}

// Versions lists the engine's released versions, in no particular order,
// pre-releases included (a constraint without one never selects them).
// Entries whose version does not parse are skipped.
// A successful listing is remembered for the life of the process (one
// lockstep command), so stacks resolved one after another fetch the index
// once.
func (r Releases) Versions(ctx context.Context, e Engine) ([]*version.Version, error) {
	key := string(e) + " " + r.terraformURL() + " " + r.tofuAPIURL()
	if list, ok := indexMemo.Load(key); ok {
		return slices.Clone(list.([]*version.Version)), nil
	}
	list, err := r.versions(ctx, e)
	if err != nil {
		return nil, err
	}
	indexMemo.Store(key, slices.Clone(list))
	return list, nil
}

// indexMemo holds the listings Versions fetched, by engine and index URL.
var indexMemo sync.Map

func (r Releases) versions(ctx context.Context, e Engine) ([]*version.Version, error) {
	switch e {
	case Terraform:
		// HashiCorp's index maps each version to its files; only the keys
		// matter here. (hc-install's own listing fails on one malformed
		// entry and quotes the whole index, megabytes, in its error.)
		u := r.terraformURL() + "/terraform/index.json"
		var body struct {
			Versions map[string]json.RawMessage `json:"versions"`
		}
		if err := r.getJSON(ctx, u, &body); err != nil {
			return nil, fmt.Errorf("listing terraform releases from %s: %w", u, err)
		}
		out := make([]*version.Version, 0, len(body.Versions))
		for raw := range body.Versions {
			v, err := version.NewVersion(raw)
			if err != nil || v.Metadata() != "" { // +ent and other builds are not the community release
				continue
			}
			out = append(out, v)
		}
		return out, nil
	case OpenTofu:
		list, err := r.tofuIndex(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]*version.Version, 0, len(list))
		for _, v := range list {
			out = append(out, v.parsed)
		}
		return out, nil
	default:
		return nil, e.validate()
	}
}

func (r Releases) terraformURL() string {
	if r.TerraformURL != "" {
		return strings.TrimSuffix(r.TerraformURL, "/")
	}
	return DefaultTerraformURL
}

func (r Releases) tofuAPIURL() string {
	if r.OpenTofuAPIURL != "" {
		return r.OpenTofuAPIURL
	}
	return DefaultOpenTofuAPIURL
}

func (r Releases) httpClient() *http.Client {
	if r.HTTPClient != nil {
		return r.HTTPClient
	}
	// A transport of our own: tofudl's default client changes the TLS
	// settings of http.DefaultTransport, which every other client shares.
	return &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), Timeout: 10 * time.Minute}
}

// tofuRelease is one entry of OpenTofu's index whose version is valid.
type tofuRelease struct {
	tofudl.VersionWithArtifacts
	parsed *version.Version
}

// tofuIndex reads OpenTofu's version index. tofudl's own ListVersions
// panics on an entry whose version it cannot parse; this skips such
// entries instead, so a broken index cannot crash lockstep.
func (r Releases) tofuIndex(ctx context.Context) ([]tofuRelease, error) {
	u := r.tofuAPIURL()
	var body tofudl.APIResponse
	if err := r.getJSON(ctx, u, &body); err != nil {
		return nil, fmt.Errorf("listing opentofu releases from %s: %w", u, err)
	}
	out := make([]tofuRelease, 0, len(body.Versions))
	for _, v := range body.Versions {
		if v.ID.Validate() != nil {
			continue
		}
		parsed, err := version.NewVersion(string(v.ID))
		if err != nil {
			continue
		}
		out = append(out, tofuRelease{VersionWithArtifacts: v, parsed: parsed})
	}
	return out, nil
}

// getJSON decodes the JSON document at u into v, reading at most maxIndex
// bytes.
func (r Releases) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := r.httpClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the server answered %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxIndex+1))
	if err != nil {
		return err
	}
	if len(b) > maxIndex {
		return fmt.Errorf("the index is larger than %d MiB", maxIndex>>20)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decoding the index: %w", err)
	}
	return nil
}
