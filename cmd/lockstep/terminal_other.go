//go:build !linux

package main

import "os"

// stdinIsTerminal reports whether stdin looks like a terminal: a character
// device (without the Linux ioctl, /dev/null also counts; the approval prompt
// then reads an empty answer and refuses).
func stdinIsTerminal() bool { return isTerminal(os.Stdin) }

// stdoutIsTerminal reports whether stdout looks like a terminal, where the
// summary is printed as plain text instead of Markdown.
func stdoutIsTerminal() bool { return isTerminal(os.Stdout) }

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
