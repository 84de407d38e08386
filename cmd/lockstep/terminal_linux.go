package main

import (
	"os"
	"syscall"
	"unsafe"
)

// stdinIsTerminal reports whether stdin is an interactive terminal: the
// TCGETS ioctl succeeds only on a tty (/dev/null is a character device too,
// so the file mode alone cannot tell).
func stdinIsTerminal() bool { return isTerminal(os.Stdin) }

// stdoutIsTerminal reports whether stdout is a terminal, where the summary
// is printed as plain text instead of Markdown.
func stdoutIsTerminal() bool { return isTerminal(os.Stdout) }

func isTerminal(f *os.File) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}
