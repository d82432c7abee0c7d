package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
)

// Placement says where the server and the generator run.
type Placement struct {
	// ServerCPU is the CPU list given to taskset for server processes;
	// empty when not pinned.
	ServerCPU string
	// Generator describes the generator's own placement.
	Generator string
	taskset   string
}

// pinnedEnv marks a generator already re-executed under taskset.
const pinnedEnv = "CHATD_BENCH_PINNED"

// Where server and generator run when pinned: one core each, so neither
// steals the other's CPU and a figure of one is not the noise of the other.
const (
	serverCPU    = "0"
	generatorCPU = "1"
)

// pinSelf re-executes this program under `taskset -c 1` so every thread of
// the generator, and the Go scheduler's GOMAXPROCS, see CPU 1 only. It
// returns only when it does not re-execute.
func pinSelf(args []string) {
	if os.Getenv(pinnedEnv) != "" || runtime.NumCPU() < 2 {
		return
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		return
	}
	self, err := os.Executable()
	if err != nil {
		return
	}
	argv := append([]string{"taskset", "-c", generatorCPU, self}, args...)
	env := append(os.Environ(), pinnedEnv+"=1")
	_ = syscall.Exec(taskset, argv, env) // returns only on failure: run unpinned
}

// placement describes where this run's processes go.
func placement(pin bool) Placement {
	mine := cpusAllowed()
	if !pin {
		return Placement{Generator: "not pinned (--pin=false), CPUs " + mine}
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		return Placement{Generator: "not pinned (no taskset), CPUs " + mine}
	}
	if os.Getenv(pinnedEnv) == "" {
		return Placement{Generator: "not pinned (fewer than 2 CPUs or re-exec failed), CPUs " + mine}
	}
	return Placement{ServerCPU: serverCPU, Generator: "CPU " + mine + " (taskset)", taskset: taskset}
}

// String is the one-line description used in reports.
func (p Placement) String() string {
	server := "not pinned"
	if p.ServerCPU != "" {
		server = "CPU " + p.ServerCPU + " (taskset)"
	}
	return fmt.Sprintf("server %s, generator %s, generator GOMAXPROCS %d", server, p.Generator, runtime.GOMAXPROCS(0))
}

// cpusAllowed is this process's Cpus_allowed_list.
func cpusAllowed() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(rest)
		}
	}
	return "?"
}

// wantFiles is the descriptor limit asked for: room for 100k+ sockets.
const wantFiles = 1 << 20

// raiseFileLimit raises RLIMIT_NOFILE as far as allowed and returns the
// soft limit now in force. Servers started afterwards inherit it. Setting
// it explicitly (rather than relying on the Go runtime's own raise) is what
// makes children inherit the raised value.
func raiseFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	want := syscall.Rlimit{Cur: wantFiles, Max: max(lim.Max, wantFiles)}
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want) != nil {
		// Without CAP_SYS_RESOURCE the hard limit cannot grow: take it.
		want = syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want)
	}
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	return lim.Cur
}

// Machine is the facts printed with the results.
type Machine struct {
	CPUs      int
	Model     string
	MemTotal  string
	Kernel    string
	GoVersion string
	FileLimit uint64
	// LoadAvg is /proc/loadavg at the start: a busy machine makes a run
	// noisy, and each phase also reports the CPU other processes took.
	LoadAvg string
}

func machineFacts(fileLimit uint64) Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), FileLimit: fileLimit, Model: "?", MemTotal: "?", Kernel: "?", LoadAvg: "?"}
	if n := nproc(); n > 0 {
		m.CPUs = n
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				m.MemTotal = strings.TrimSpace(rest)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(data)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	return m
}

// nproc counts the machine's online CPUs, not the ones this (possibly
// pinned) process may use.
func nproc() int {
	data, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return 0
	}
	n := 0
	for part := range strings.SplitSeq(strings.TrimSpace(string(data)), ",") {
		var lo, hi int
		if _, err := fmt.Sscanf(part, "%d-%d", &lo, &hi); err == nil {
			n += hi - lo + 1
		} else if _, err := fmt.Sscanf(part, "%d", &lo); err == nil {
			n++
		}
	}
	return n
}
