package sealed

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/lockstep-ci/lockstep/pkg/binding"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
)

// KeyEnv is the environment variable that holds the passphrase.
const KeyEnv = "LOCKSTEP_PLAN_KEY"

// Suffix is appended to the plan file's path for its sealed form.
const Suffix = ".age"

const (
	magic        = "lockstep-sealed-plan/1"
	recordPrefix = "record-sha256 "
)

// workFactor is scrypt's log2(N) for sealing; age's own default (18: about a
// second and 256 MiB). maxWorkFactor caps what Open accepts, so a planted
// file cannot ask for gigabytes of memory. Tests in this package lower
// workFactor; nothing else may.
var (
	workFactor    = 18
	maxWorkFactor = 18
)

// Path is where the sealed form of planFile lives.
func Path(planFile string) string { return planFile + Suffix }

// DecryptError says a sealed plan did not open: wrong key, a truncated or
// altered file, or a binding record other than the one it was sealed with.
type DecryptError struct {
	Path string
	err  error
}

func (e *DecryptError) Error() string {
	return fmt.Sprintf("decrypting the sealed plan %s: %v", e.Path, e.err)
}

func (e *DecryptError) Unwrap() error { return e.err }

// Seal encrypts the plan at planPath with passphrase and writes it, mode
// 0600, to Path(planPath), binding it to the record at recordPath. The file
// appears complete or not at all.
func Seal(planPath, recordPath, passphrase string) error {
	out := Path(planPath)
	recordSum, err := binding.FileSHA256(recordPath)
	if err != nil {
		return fmt.Errorf("sealing %s: %w", planPath, err)
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return fmt.Errorf("sealing %s: %w", planPath, err)
	}
	r.SetWorkFactor(workFactor)
	in, err := os.Open(planPath)
	if err != nil {
		return fmt.Errorf("sealing %s: %w", planPath, err)
	}
	defer in.Close()
	return writeAtomic(out, func(w io.Writer) error {
		enc, err := age.Encrypt(w, r)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(enc, "%s\n%s%s\n\n", magic, recordPrefix, recordSum); err != nil {
			return err
		}
		if _, err := io.Copy(enc, in); err != nil {
			return err
		}
		return enc.Close()
	})
}

// Open decrypts the sealed plan at sealedPath with passphrase and writes the
// plan, mode 0600, to planPath, replacing whatever is there, but only once
// the whole file decrypted and authenticated and the record at recordPath is
// the one it was sealed with. On any error planPath is left as it was and the
// error is a *DecryptError (or an error reading the files).
func Open(sealedPath, recordPath, planPath, passphrase string) error {
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return &DecryptError{Path: sealedPath, err: err}
	}
	id.SetMaxWorkFactor(maxWorkFactor)
	f, err := os.Open(sealedPath)
	if err != nil {
		return fmt.Errorf("opening the sealed plan: %w", err)
	}
	defer f.Close()
	recordSum, err := binding.FileSHA256(recordPath)
	if err != nil {
		return fmt.Errorf("opening the sealed plan %s: %w", sealedPath, err)
	}
	dec, err := age.Decrypt(f, id)
	if err != nil {
		if errors.As(err, new(*age.NoIdentityMatchError)) {
			err = errors.New("wrong key (LOCKSTEP_PLAN_KEY is not the one the plan job sealed it with)")
		}
		return &DecryptError{Path: sealedPath, err: err}
	}
	br := bufio.NewReader(dec)
	sealedSum, err := readHeader(br)
	if err != nil {
		return &DecryptError{Path: sealedPath, err: err}
	}
	if sealedSum != recordSum {
		return &DecryptError{Path: sealedPath, err: fmt.Errorf("the binding record %s is not the one sealed with this plan", filepath.Base(recordPath))}
	}
	err = writeAtomic(planPath, func(w io.Writer) error {
		_, err := io.Copy(w, br)
		return err
	})
	if err != nil {
		return &DecryptError{Path: sealedPath, err: err}
	}
	return nil
}

func readHeader(br *bufio.Reader) (string, error) {
	var got []string
	for len(got) < 3 {
		// ReadSlice stops at the reader's buffer size: a header line is
		// never longer than that.
		line, err := br.ReadSlice('\n')
		if err != nil {
			return "", err // age's own words: corrupted or tampered with
		}
		got = append(got, strings.TrimSuffix(string(line), "\n"))
	}
	if got[0] != magic || !strings.HasPrefix(got[1], recordPrefix) || got[2] != "" {
		return "", errors.New("it is not a lockstep sealed plan")
	}
	return strings.TrimPrefix(got[1], recordPrefix), nil
}

// writeAtomic writes path through a temporary file in its directory, mode
// 0600, renamed into place only when write succeeded.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".lockstep-sealed-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
