package promtest

import (
	"os/exec"
	"syscall"
)

// dieWithParent kills Prometheus when the test binary dies, so that a
// crashed or interrupted test run leaves no server behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
