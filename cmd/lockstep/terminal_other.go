//go:build !linux

package main

import "os"

// stdinIsTerminal reports whether stdin looks like a terminal: a character
// device (without the Linux ioctl, /dev/null also counts; the approval prompt
// then reads an empty answer and refuses).
func stdinIsTerminal() bool {
	fi, err := os.Stdin.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
