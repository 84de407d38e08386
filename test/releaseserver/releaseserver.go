package releaseserver

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
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// Key is an OpenPGP key made for one test: it signs a server's SHA256SUMS
// files, and Public, its ASCII-armored public half, is what the installer
// is told to trust.
type Key struct {
	entity *openpgp.Entity
	// Public is the ASCII-armored public key (install.Releases'
	// TerraformKey and OpenTofuKey).
	Public string
}

// NewKey generates a key; it fails the test if it cannot.
func NewKey(t testing.TB) Key {
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
	return Key{entity: e, Public: buf.String()}
}

// Options says what a server serves. The zero value of each fault is a
// correct release.
type Options struct {
	// Binary is the executable every listed version's archive holds (as
	// terraform in the zip, as tofu in the tar.gz). Only the version the
	// binary itself reports installs; the other versions fill the index.
	// Nil serves empty archives, for tests of the index alone.
	Binary []byte
	// Versions are the versions the indexes list and the server serves.
	Versions []string

	// CorruptArchive serves an archive that differs from what SHA256SUMS
	// lists.
	CorruptArchive bool
	// CorruptSignature damages the signature's bytes.
	CorruptSignature bool
	// Signer, when set, signs SHA256SUMS instead of the server's Key (the
	// one the test trusts).
	Signer *Key
	// ArchiveFails answers every archive download with 500.
	ArchiveFails bool
}

// Server is a release site on loopback: HashiCorp's layout under
// /terraform/ (what hc-install v0.10.0 requests) and OpenTofu's API and
// download mirror under /tofu/ (what tofudl v0.0.1 requests). It stops when
// the test ends.
type Server struct {
	*httptest.Server
	// Key is the key that signs SHA256SUMS (unless Options.Signer says
	// otherwise): the one to trust.
	Key  Key
	opts Options

	zip, tar  func() archive
	requests  atomic.Int64
	archives  atomic.Int64
	onArchive atomic.Pointer[func()]
}

// Start starts a server for the test t, with a new Key.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{Key: NewKey(t), opts: opts}
	sum := sha256.Sum256(opts.Binary)
	s.zip = sync.OnceValue(func() archive { return cachedArchive("zip", sum, opts.Binary, zipArchive) })
	s.tar = sync.OnceValue(func() archive { return cachedArchive("tar", sum, opts.Binary, tarArchive) })
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// TerraformURL is the base URL of HashiCorp's layout (install.Releases'
// TerraformURL).
func (s *Server) TerraformURL() string { return s.URL }

// OpenTofuAPIURL is OpenTofu's version index (install.Releases'
// OpenTofuAPIURL).
func (s *Server) OpenTofuAPIURL() string { return s.URL + "/tofu/api.json" }

// OpenTofuDownloadURL is the template of OpenTofu's file URLs
// (install.Releases' OpenTofuDownloadURL).
func (s *Server) OpenTofuDownloadURL() string {
	return s.URL + "/tofu/download/v{{ .Version }}/{{ .Artifact }}"
}

// Requests is the number of requests served so far, of any kind.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Archives is the number of archive downloads asked for so far.
func (s *Server) Archives() int64 { return s.archives.Load() }

// OnArchive makes f run before each archive is served (nil: nothing runs).
func (s *Server) OnArchive(f func()) {
	if f == nil {
		s.onArchive.Store(nil)
		return
	}
	s.onArchive.Store(&f)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	platform := runtime.GOOS + "_" + runtime.GOARCH
	switch {
	case r.URL.Path == "/terraform/index.json":
		versions := map[string]any{}
		for _, v := range s.opts.Versions {
			versions[v] = s.tfVersion(v)
		}
		writeJSON(w, map[string]any{"name": "terraform", "versions": versions})
	case len(parts) == 3 && parts[0] == "terraform" && slices.Contains(s.opts.Versions, parts[1]):
		v, file := parts[1], parts[2]
		name := fmt.Sprintf("terraform_%s_%s.zip", v, platform)
		switch file {
		case "index.json":
			writeJSON(w, s.tfVersion(v))
		case "terraform_" + v + "_SHA256SUMS":
			w.Write(sums(name, s.zip()))
		case "terraform_" + v + "_SHA256SUMS.sig":
			w.Write(s.signature(sums(name, s.zip())))
		case name:
			s.serveArchive(w, s.zip(), "application/zip")
		default:
			http.NotFound(w, r)
		}
	case r.URL.Path == "/tofu/api.json":
		var list []map[string]any
		for _, v := range s.opts.Versions {
			list = append(list, map[string]any{"id": v, "files": []string{
				"tofu_" + v + "_SHA256SUMS", "tofu_" + v + "_SHA256SUMS.gpgsig", "tofu_" + v + "_" + platform + ".tar.gz",
			}})
		}
		writeJSON(w, map[string]any{"versions": list})
	case len(parts) == 4 && parts[0] == "tofu" && parts[1] == "download" && slices.Contains(s.opts.Versions, strings.TrimPrefix(parts[2], "v")):
		v, file := strings.TrimPrefix(parts[2], "v"), parts[3]
		name := fmt.Sprintf("tofu_%s_%s.tar.gz", v, platform)
		switch file {
		case "tofu_" + v + "_SHA256SUMS":
			w.Write(sums(name, s.tar()))
		case "tofu_" + v + "_SHA256SUMS.gpgsig":
			w.Write(s.signature(sums(name, s.tar())))
		case name:
			s.serveArchive(w, s.tar(), "application/gzip")
		default:
			http.NotFound(w, r)
		}
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) serveArchive(w http.ResponseWriter, a archive, contentType string) {
	s.archives.Add(1)
	if s.opts.ArchiveFails {
		http.Error(w, "down", http.StatusInternalServerError)
		return
	}
	if f := s.onArchive.Load(); f != nil {
		(*f)()
	}
	b := a.data
	if s.opts.CorruptArchive {
		b = bytes.Clone(b)
		b[len(b)/2] ^= 0xff
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// tfVersion is one version's entry in HashiCorp's index.json format.
func (s *Server) tfVersion(v string) map[string]any {
	file := fmt.Sprintf("terraform_%s_%s_%s.zip", v, runtime.GOOS, runtime.GOARCH)
	return map[string]any{
		"name":              "terraform",
		"version":           v,
		"shasums":           "terraform_" + v + "_SHA256SUMS",
		"shasums_signature": "terraform_" + v + "_SHA256SUMS.sig",
		"builds": []map[string]string{{
			"name": "terraform", "version": v, "os": runtime.GOOS, "arch": runtime.GOARCH, "filename": file,
			// hc-install downloads from ApiBaseURL, not from this URL.
			"url": "https://releases.hashicorp.com/terraform/" + v + "/" + file,
		}},
	}
}

// signature is a detached binary OpenPGP signature of data, damaged when
// the options say so.
func (s *Server) signature(data []byte) []byte {
	key := s.Key
	if s.opts.Signer != nil {
		key = *s.opts.Signer
	}
	var sig bytes.Buffer
	if err := openpgp.DetachSign(&sig, key.entity, bytes.NewReader(data), nil); err != nil {
		panic(fmt.Sprintf("signing SHA256SUMS: %v", err))
	}
	b := sig.Bytes()
	if s.opts.CorruptSignature {
		b[len(b)-8] ^= 0xff // inside the signature value
	}
	return b
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// sums is a SHA256SUMS file listing a as name, and another file.
func sums(name string, a archive) []byte {
	return fmt.Appendf(nil, "%x  %s\n%x  terraform_0.0.0_other_platform.zip\n", a.sum, name, sha256.Sum256(nil))
}

// archive is a release archive and its SHA-256.
type archive struct {
	data []byte
	sum  [32]byte
}

// archiveCache holds the archives built in this process, by kind and the
// binary's SHA-256: the binaries are about 90 MB, and many servers of one
// test binary build each archive once.
var archiveCache sync.Map // "zip:"/"tar:" + hex sha -> func() archive

func cachedArchive(kind string, sum [32]byte, binary []byte, build func([]byte) []byte) archive {
	once, _ := archiveCache.LoadOrStore(fmt.Sprintf("%s:%x", kind, sum), sync.OnceValue(func() archive {
		data := build(binary)
		return archive{data: data, sum: sha256.Sum256(data)}
	}))
	return once.(func() archive)()
}

// zipArchive is a HashiCorp-style release zip holding binary as terraform
// (stored, not deflated: faster, and just as real to the installer).
func zipArchive(binary []byte) []byte {
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
		panic(fmt.Sprintf("building a zip archive: %v", err))
	}
	return buf.Bytes()
}

// tarArchive is an OpenTofu-style release tar.gz holding binary as tofu.
func tarArchive(binary []byte) []byte {
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
		panic(fmt.Sprintf("building a tar.gz archive: %v", err))
	}
	return buf.Bytes()
}
