//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package terraform

import "os"

// tryFlock has no cross-process lock on this platform: inits sharing a
// plugin cache take turns within one lockstep process only.
func tryFlock(*os.File) (bool, error) { return true, nil }

func unflock(*os.File) error { return nil }
