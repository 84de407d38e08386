package install

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/lockstep-ci/lockstep/test/tftest"
)

// testKey is an OpenPGP key made for one test: it signs a release server's
// SHA256SUMS files, and its armored public half is what Releases is told to
// trust. Production keys are never involved.
type testKey struct {
	entity *openpgp.Entity
	public string // ASCII-armored public key
}

func newTestKey(t testing.TB) testKey {
	t.Helper()
	e, err := openpgp.NewEntity("lockstep test", "", "test@lockstep.invalid", nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return testKey{entity: e, public: buf.String()}
}

// serverOptions are the faults a release server can serve.
type serverOptions struct {
	corruptArchive   bool     // the archive differs from what SHA256SUMS lists
	corruptSignature bool     // the signature's bytes are damaged
	signer           *testKey // signs SHA256SUMS instead of the trusted key
	archiveFails     bool     // the archive download answers 500
}

// releaseServer is a vendor release site on loopback: HashiCorp's layout
// under /terraform/ (what hc-install v0.10.0 requests) and OpenTofu's API
// and download mirror under /tofu/ (what tofudl v0.0.1 requests). Every
// version it lists serves the same real binary, so only the binary's own
// version installs; others are for the index.
type releaseServer struct {
	*httptest.Server
	key      testKey // the key Releases trusts
	opts     serverOptions
	binary   []byte
	versions []string

	requests  atomic.Int64 // every request
	archives  atomic.Int64 // archive downloads
	onArchive func()       // runs before an archive is served, when set
}

func newReleaseServer(t *testing.T, binary []byte, versions []string, opts serverOptions) *releaseServer {
	t.Helper()
	s := &releaseServer{key: newTestKey(t), opts: opts, binary: binary, versions: versions}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// releases points Releases at this server and its test key.
func (s *releaseServer) releases() Releases {
	return Releases{
		TerraformURL:        s.URL,
		TerraformKey:        s.key.public,
		OpenTofuAPIURL:      s.URL + "/tofu/api.json",
		OpenTofuDownloadURL: s.URL + "/tofu/download/v{{ .Version }}/{{ .Artifact }}",
		OpenTofuKey:         s.key.public,
		HTTPClient:          s.Client(),
	}
}

func (s *releaseServer) has(v string) bool {
	for _, x := range s.versions {
		if x == v {
			return true
		}
	}
	return false
}

func (s *releaseServer) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	platform := runtime.GOOS + "_" + runtime.GOARCH
	switch {
	case r.URL.Path == "/terraform/index.json":
		versions := map[string]any{}
		for _, v := range s.versions {
			versions[v] = s.tfVersion(v)
		}
		writeJSON(w, map[string]any{"name": "terraform", "versions": versions})
	case len(parts) == 3 && parts[0] == "terraform" && s.has(parts[1]):
		v, file := parts[1], parts[2]
		archive := fmt.Sprintf("terraform_%s_%s.zip", v, platform)
		switch file {
		case "index.json":
			writeJSON(w, s.tfVersion(v))
		case "terraform_" + v + "_SHA256SUMS":
			w.Write(sums(archive, zipArchive(s.binary)))
		case "terraform_" + v + "_SHA256SUMS.sig":
			w.Write(s.signature(sums(archive, zipArchive(s.binary))))
		case archive:
			s.archives.Add(1)
			if s.opts.archiveFails {
				http.Error(w, "down", http.StatusInternalServerError)
				return
			}
			if s.onArchive != nil {
				s.onArchive()
			}
			b := s.maybeCorrupt(zipArchive(s.binary))
			w.Header().Set("Content-Type", "application/zip")
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			w.Write(b)
		default:
			http.NotFound(w, r)
		}
	case r.URL.Path == "/tofu/api.json":
		var list []map[string]any
		for _, v := range s.versions {
			list = append(list, map[string]any{"id": v, "files": []string{
				"tofu_" + v + "_SHA256SUMS", "tofu_" + v + "_SHA256SUMS.gpgsig", "tofu_" + v + "_" + platform + ".tar.gz",
			}})
		}
		writeJSON(w, map[string]any{"versions": list})
	case len(parts) == 4 && parts[0] == "tofu" && parts[1] == "download" && s.has(strings.TrimPrefix(parts[2], "v")):
		v, file := strings.TrimPrefix(parts[2], "v"), parts[3]
		archive := fmt.Sprintf("tofu_%s_%s.tar.gz", v, platform)
		switch file {
		case "tofu_" + v + "_SHA256SUMS":
			w.Write(sums(archive, tarArchive(s.binary)))
		case "tofu_" + v + "_SHA256SUMS.gpgsig":
			w.Write(s.signature(sums(archive, tarArchive(s.binary))))
		case archive:
			s.archives.Add(1)
			if s.opts.archiveFails {
				http.Error(w, "down", http.StatusInternalServerError)
				return
			}
			w.Write(s.maybeCorrupt(tarArchive(s.binary)))
		default:
			http.NotFound(w, r)
		}
	default:
		http.NotFound(w, r)
	}
}

// tfVersion is one version's entry in HashiCorp's index.json format.
func (s *releaseServer) tfVersion(v string) map[string]any {
	file := fmt.Sprintf("terraform_%s_%s_%s.zip", v, runtime.GOOS, runtime.GOARCH)
	return map[string]any{
		"name":              "terraform",
		"version":           v,
		"shasums":           "terraform_" + v + "_SHA256SUMS",
		"shasums_signature": "terraform_" + v + "_SHA256SUMS.sig",
		"builds": []map[string]string{{
			"name": "terraform", "version": v, "os": runtime.GOOS, "arch": runtime.GOARCH, "filename": file,
			"url": "https://releases.hashicorp.com/terraform/" + v + "/" + file,
		}},
	}
}

func (s *releaseServer) signature(data []byte) []byte {
	key := s.key
	if s.opts.signer != nil {
		key = *s.opts.signer
	}
	var sig bytes.Buffer
	if err := openpgp.DetachSign(&sig, key.entity, bytes.NewReader(data), nil); err != nil {
		panic(err)
	}
	b := sig.Bytes()
	if s.opts.corruptSignature {
		b = bytes.Clone(b)
		b[len(b)-8] ^= 0xff // inside the signature value
	}
	return b
}

func (s *releaseServer) maybeCorrupt(b []byte) []byte {
	if !s.opts.corruptArchive {
		return b
	}
	b = bytes.Clone(b)
	b[len(b)/2] ^= 0xff
	return b
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// sums is a SHA256SUMS file listing archive as name, and another file.
func sums(name string, archive []byte) []byte {
	return []byte(fmt.Sprintf("%x  %s\n%x  terraform_0.0.0_other_platform.zip\n", digest(archive), name, sha256.Sum256(nil)))
}

var digests sync.Map // archive's address and length -> its SHA-256

// digest is sha256.Sum256 of an archive, remembered: hashing 90 MB per
// request under -race is most of what these tests would spend.
func digest(archive []byte) [32]byte {
	key := fmt.Sprintf("%p/%d", unsafe.SliceData(archive), len(archive))
	if d, ok := digests.Load(key); ok {
		return d.([32]byte)
	}
	d := sha256.Sum256(archive)
	digests.Store(key, d)
	return d
}

// Archives are built once per binary: the binaries are about 90 MB.
var archives sync.Map // "zip:"/"tar:" + sha of the binary -> []byte

// zipArchive is a HashiCorp-style release zip holding binary as terraform
// (stored, not deflated: faster, and just as real to the installer).
func zipArchive(binary []byte) []byte {
	key := fmt.Sprintf("zip:%x", sha256.Sum256(binary))
	if b, ok := archives.Load(key); ok {
		return b.([]byte)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "terraform", Method: zip.Store}
	h.SetMode(0o755)
	f, err := zw.CreateHeader(h)
	if err == nil {
		_, err = f.Write(binary)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		panic(err)
	}
	archives.Store(key, buf.Bytes())
	return buf.Bytes()
}

// tarArchive is an OpenTofu-style release tar.gz holding binary as tofu.
func tarArchive(binary []byte) []byte {
	key := fmt.Sprintf("tar:%x", sha256.Sum256(binary))
	if b, ok := archives.Load(key); ok {
		return b.([]byte)
	}
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.NoCompression)
	tw := tar.NewWriter(gz)
	err := tw.WriteHeader(&tar.Header{Name: "tofu", Mode: 0o755, Size: int64(len(binary)), Typeflag: tar.TypeReg})
	if err == nil {
		_, err = tw.Write(binary)
	}
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = gz.Close()
	}
	if err != nil {
		panic(err)
	}
	archives.Store(key, buf.Bytes())
	return buf.Bytes()
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
