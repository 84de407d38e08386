package bench

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// peak is the memory one run of an operation added on top of what was in use
// before it (the plan JSON and text, already in memory, are not counted: in
// lockstep the JSON streams from Terraform and is never held).
type peak struct {
	// heap is the peak of heap memory occupied by objects, live or not yet
	// swept (runtime/metrics /memory/classes/heap/objects:bytes), sampled
	// every 100 µs by a goroutine while the operation runs. It is what the
	// Go heap actually reached under the default GOGC=100, so it includes
	// garbage the collector had not freed yet.
	heap uint64
	// rss is the growth of the process's peak resident set (VmHWM, reset
	// through /proc/self/clear_refs after returning free memory to the OS):
	// the operating system's own count. 0 where /proc is not writable.
	rss uint64
}

const heapObjects = "/memory/classes/heap/objects:bytes"

// measure runs f once and returns the memory it added at its peak.
func measure(f func()) peak {
	samples := []metrics.Sample{{Name: heapObjects}}
	read := func() uint64 {
		metrics.Read(samples)
		return samples[0].Value.Uint64()
	}
	runtime.GC()
	debug.FreeOSMemory()
	rssBase, rssOK := resetPeakRSS()
	base := read()

	var highest uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(100 * time.Microsecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				highest = max(highest, read())
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	highest = max(highest, read())

	var p peak
	if highest > base {
		p.heap = highest - base
	}
	if hwm, ok := procStatus("VmHWM"); rssOK && ok && hwm > rssBase {
		p.rss = hwm - rssBase
	}
	return p
}

// resetPeakRSS resets VmHWM to the current RSS and returns it.
func resetPeakRSS() (uint64, bool) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return 0, false
	}
	return procStatus("VmRSS")
}

// procStatus reads a kB field of /proc/self/status, in bytes.
func procStatus(field string) (uint64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), field+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		return kb << 10, err == nil
	}
	return 0, false
}
