package release

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	other  = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
)

func TestParseImageRef(t *testing.T) {
	tests := []struct {
		name    string
		ref     string
		want    ImageRef
		wantErr string
	}{
		{name: "ghcr", ref: "ghcr.io/lockstep-ci/lockstep@" + digest, want: ImageRef{Name: "ghcr.io/lockstep-ci/lockstep", Digest: digest}},
		{name: "registry with a port", ref: "registry.example.com:5000/team/lockstep@" + digest, want: ImageRef{Name: "registry.example.com:5000/team/lockstep", Digest: digest}},
		{name: "docker hub", ref: "lockstep@" + digest, want: ImageRef{Name: "lockstep", Digest: digest}},
		{name: "no digest", ref: "ghcr.io/lockstep-ci/lockstep", wantErr: `"ghcr.io/lockstep-ci/lockstep" has no digest`},
		{name: "a tag instead of a digest", ref: "ghcr.io/lockstep-ci/lockstep:v1.2.3", wantErr: "has no digest"},
		{name: "a tag beside the digest", ref: "ghcr.io/lockstep-ci/lockstep:v1.2.3@" + digest, wantErr: "has a tag (:v1.2.3) beside its digest"},
		{name: "empty digest", ref: "ghcr.io/o/lockstep@", wantErr: `digest "" is not "sha256:" followed by 64 lowercase hex digits`},
		{name: "short digest", ref: "ghcr.io/o/lockstep@sha256:abc", wantErr: `digest "sha256:abc" is not`},
		{name: "long digest", ref: "ghcr.io/o/lockstep@" + digest + "0", wantErr: "is not \"sha256:\" followed by 64"},
		{name: "upper-case hex", ref: "ghcr.io/o/lockstep@" + strings.ToUpper(digest[:9]) + strings.ToUpper(digest[9:]), wantErr: "64 lowercase hex digits"},
		{name: "another algorithm", ref: "ghcr.io/o/lockstep@sha512:" + strings.Repeat("a", 128), wantErr: `digest "sha512:`},
		{name: "no name", ref: "@" + digest, wantErr: "has no name before the @"},
		{name: "upper-case name", ref: "ghcr.io/Lockstep-CI/lockstep@" + digest, wantErr: `"ghcr.io/Lockstep-CI/lockstep" is not a lower-case image name`},
		// The name lands unquoted in action.yml: nothing that YAML would read as
		// more than one value may pass.
		{name: "newline in the name", ref: "ghcr.io/o/lockstep\n  using: node20\n#@" + digest, wantErr: "is not a lower-case image name"},
		{name: "space and comment", ref: "ghcr.io/o/lock #x@" + digest, wantErr: "is not a lower-case image name"},
		{name: "docker scheme", ref: "docker://ghcr.io/o/lockstep@" + digest, wantErr: "is not a lower-case image name"},
		{name: "two digests", ref: "ghcr.io/o/lockstep@" + digest + "@" + digest, wantErr: "is not \"sha256:\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseImageRef(tt.ref)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.ref, got.String())
		})
	}
}

func TestPinImage(t *testing.T) {
	ref := ImageRef{Name: "ghcr.io/lockstep-ci/lockstep", Digest: digest}
	pinned := "docker://ghcr.io/lockstep-ci/lockstep@" + digest
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{
			name: "the Dockerfile",
			in:   "name: x\n# image: Dockerfile in a comment stays\nruns:\n  using: docker\n  image: Dockerfile\n",
			want: "name: x\n# image: Dockerfile in a comment stays\nruns:\n  using: docker\n  image: " + pinned + "\n",
		},
		{
			name: "already pinned to another digest",
			in:   "runs:\n  using: docker\n  image: docker://ghcr.io/lockstep-ci/lockstep@" + other + "\n",
			want: "runs:\n  using: docker\n  image: " + pinned + "\n",
		},
		{
			name: "quoted, with a trailing comment, no final newline",
			in:   "runs:\n  image: \"Dockerfile\"   # built per job\n  using: 'docker'",
			want: "runs:\n  image: " + pinned + "   # built per job\n  using: 'docker'",
		},
		{
			name: "single-quoted",
			in:   "runs:\n  using: docker\n  image: 'Dockerfile'\n",
			want: "runs:\n  using: docker\n  image: " + pinned + "\n",
		},
		{
			name: "CRLF line endings and args after it",
			in:   "runs:\r\n  using: docker\r\n  image: Dockerfile\r\n  args: [action]\r\n",
			want: "runs:\r\n  using: docker\r\n  image: " + pinned + "\r\n  args: [action]\r\n",
		},
		{
			name: "an image key elsewhere is not the action's",
			in:   "inputs:\n  image:\n    default: Dockerfile\nruns:\n  using: docker\n  image: Dockerfile\n",
			want: "inputs:\n  image:\n    default: Dockerfile\nruns:\n  using: docker\n  image: " + pinned + "\n",
		},
		{
			name: "non-ASCII text on earlier lines",
			in:   "description: déploie ☂\nruns:\n  using: docker # é\n  image: Dockerfile # ü\n",
			want: "description: déploie ☂\nruns:\n  using: docker # é\n  image: " + pinned + " # ü\n",
		},
		{name: "flow style", in: "runs: {using: docker, image: Dockerfile}\n", wantErr: `line 1 of action.yml has "}" after runs.image's value`},
		{name: "a JavaScript action", in: "runs:\n  using: node20\n  main: index.js\n", wantErr: "is not a Docker action"},
		{name: "no runs", in: "name: x\n", wantErr: "has no runs: mapping"},
		{name: "no image", in: "runs:\n  using: docker\n", wantErr: "has no runs.image to pin"},
		{name: "block scalar", in: "runs:\n  using: docker\n  image: >-\n    Dockerfile\n", wantErr: "is a block scalar"},
		{name: "alias", in: "x: &img Dockerfile\nruns:\n  using: docker\n  image: *img\n", wantErr: "is not a plain value"},
		{name: "escaped", in: "runs:\n  using: docker\n  image: \"Docker\\x66ile\"\n", wantErr: "does not hold runs.image's value"},
		{name: "not YAML", in: "runs: [\n", wantErr: "parsing action.yml"},
		{name: "a list", in: "- runs\n", wantErr: "is not a YAML mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PinImage([]byte(tt.in), ref)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, string(got))

			again, err := PinImage(got, ref)
			require.NoError(t, err)
			require.Equal(t, string(got), string(again), "pinning twice changes nothing")
		})
	}
}

func TestPinImageRefusesABadReference(t *testing.T) {
	in := []byte("runs:\n  using: docker\n  image: Dockerfile\n")
	for _, ref := range []ImageRef{
		{Name: "ghcr.io/o/lockstep", Digest: "sha256:abc"},
		{Name: "ghcr.io/o/lockstep"},
		{Name: "ghcr.io/o/lockstep\n  using: node20", Digest: digest},
	} {
		_, err := PinImage(in, ref)
		require.Error(t, err, "%+v", ref)
	}
}
