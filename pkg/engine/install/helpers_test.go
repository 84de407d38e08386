package install

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lockstep-ci/lockstep/test/releaseserver"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// releasesOf points Releases at a loopback release server and trusts its
// test key: production's sites and keys are never involved.
func releasesOf(s *releaseserver.Server) Releases {
	return Releases{
		TerraformURL:        s.TerraformURL(),
		TerraformKey:        s.Key.Public,
		OpenTofuAPIURL:      s.OpenTofuAPIURL(),
		OpenTofuDownloadURL: s.OpenTofuDownloadURL(),
		OpenTofuKey:         s.Key.Public,
		HTTPClient:          s.Client(),
	}
}

// terraformBinary is the local terraform binary (found as every test finds
// it), its content and the version it reports.
func terraformBinary(t *testing.T) (path string, content []byte, v string) {
	t.Helper()
	path = tftest.Path(t)
	return path, readBinary(t, path), binaryVersionOf(t, path)
}

// tofuBinary is a real OpenTofu binary when one is at hand (LOCKSTEP_TOFU,
// the repository's .bin/tofu, PATH); otherwise the terraform binary stands
// in as the archive's content, which only has to be a real executable that
// reports its version.
func tofuBinary(t *testing.T) (content []byte, v string, real bool) {
	t.Helper()
	p := os.Getenv("LOCKSTEP_TOFU")
	if p == "" {
		if c := filepath.Join(tftest.RepoRoot(), ".bin", "tofu"); isExecutable(c) {
			p = c
		} else if c, err := exec.LookPath("tofu"); err == nil {
			p = c
		}
	}
	if p != "" {
		return readBinary(t, p), binaryVersionOf(t, p), true
	}
	_, content, v = terraformBinary(t)
	return content, v, false
}

var binaryCache sync.Map // path -> []byte

func readBinary(t *testing.T, p string) []byte {
	t.Helper()
	if b, ok := binaryCache.Load(p); ok {
		return b.([]byte)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	binaryCache.Store(p, b)
	return b
}

func binaryVersionOf(t *testing.T, p string) string {
	t.Helper()
	v, err := BinaryVersion(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	return v.String()
}
