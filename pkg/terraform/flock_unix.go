//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package terraform

import (
	"errors"
	"os"
	"syscall"
)

// tryFlock takes an exclusive flock on f without blocking; ok is false when
// another open file description holds it.
func tryFlock(f *os.File) (ok bool, err error) {
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		default:
			return false, err
		}
	}
}

func unflock(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
