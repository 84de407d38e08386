// Package hygiene checks what the repository holds, as a reviewer of a pull
// request would: no compiled binaries, no tool directories.
package hygiene

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/test/tftest"
)

// binaryMagic are the first bytes of executables and archives that never
// belong in the repository (a `go test -c` binary was committed once).
var binaryMagic = map[string][]byte{
	"an ELF executable": []byte("\x7fELF"),
	"a Mach-O binary":   {0xcf, 0xfa, 0xed, 0xfe},
	"a Windows PE":      []byte("MZ"),
	"a zip archive":     []byte("PK\x03\x04"),
	"a gzip archive":    {0x1f, 0x8b},
}

func TestNoCompiledBinariesAreTracked(t *testing.T) {
	root := tftest.RepoRoot()
	cmd := exec.Command("git", "ls-files", "-z")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("not a git checkout (%v): nothing to check", err)
	}
	files := strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	require.NotEmpty(t, files)
	for _, name := range files {
		if strings.HasPrefix(name, ".bin/") || name == ".bin" {
			t.Errorf("%s: the tools directory is never committed", name)
			continue
		}
		f, err := os.Open(filepath.Join(root, name))
		if err != nil {
			continue // deleted in the work tree, or a submodule
		}
		head := make([]byte, 4)
		n, _ := io.ReadFull(f, head)
		f.Close()
		for what, magic := range binaryMagic {
			if n >= len(magic) && bytes.Equal(head[:len(magic)], magic) {
				t.Errorf("%s is %s: build it, do not commit it", name, what)
			}
		}
	}
}
