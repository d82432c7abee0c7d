package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The fixed app every chatd under test hosts.
const (
	benchAppID = 1400054321
	benchKey   = "b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2"
	benchAdmin = "administrator"
)

// Env is what every scenario gets: the binaries, where to run them, the
// source addresses to dial from and the common flags.
type Env struct {
	Root     string // module root (holds go.mod)
	Chatd    string // the chatd binary built for this run
	Revision string // which chatd source it was built from
	Self     string // this program, re-executed for the baselines
	TmpDir   string
	Duration time.Duration // length of each timed load phase
	Progress io.Writer     // progress lines
	Place    Placement
	Sources  *sourcePool
	// Profile, when set, is the directory CPU profiles of chatd go to
	// (--profile); Chatd is then built with a pprof listener.
	Profile string
	// ProfileTag is added to the profiles' names, so a scenario that runs
	// one phase under several settings keeps each setting's profile.
	ProfileTag string
}

// logf prints a progress line.
func (e *Env) logf(format string, args ...any) {
	fmt.Fprintf(e.Progress, "bench: "+format+"\n", args...)
}

// buildChatd compiles src/cmd/chatd once into dir; with profiling, a
// pprof listener is compiled in (see profile.go).
func buildChatd(ctx context.Context, src, dir string, profiling bool) (string, error) {
	bin := filepath.Join(dir, "chatd")
	args := []string{"build", "-o", bin}
	if profiling {
		overlay, err := pprofOverlay(src, dir)
		if err != nil {
			return "", err
		}
		args = append(args, "-overlay", overlay)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./cmd/chatd")...)
	cmd.Dir = src
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build chatd: %w\n%s", err, out.String())
	}
	return bin, nil
}

// findRoot walks up from the working directory to the directory of go.mod.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("bench: no go.mod above the working directory; run from the chatd module")
		}
		dir = parent
	}
}

// Proc is a server process under measurement: chatd or a baseline.
type Proc struct {
	Name   string
	URL    string // http://host:port
	Addr   string // host:port
	pprof  string // host:port of chatd's pprof listener when profiling
	data   string // chatd's data directory
	extra  []string
	cmd    *exec.Cmd
	logs   *tail
	exited chan struct{}
	err    error // set before exited closes
}

var listeningRE = regexp.MustCompile(`listening on http://(\S+)`)

// startChatd runs chatd on a free loopback port with a fresh data dir, the
// fixed app and rate limiting off; extra are more serve flags (--store).
func (e *Env) startChatd(ctx context.Context, extra ...string) (*Proc, error) {
	data, err := os.MkdirTemp(e.TmpDir, "data-")
	if err != nil {
		return nil, err
	}
	return e.startChatdIn(ctx, data, extra...)
}

// restartChatd stops p and starts chatd again on its data and flags, on a
// new port: what a node's users meet after a restart.
func (e *Env) restartChatd(ctx context.Context, p *Proc) (*Proc, error) {
	p.Stop()
	return e.startChatdIn(ctx, p.data, p.extra...)
}

func (e *Env) startChatdIn(ctx context.Context, data string, extra ...string) (p *Proc, err error) {
	defer func() {
		if p != nil {
			p.data, p.extra = data, extra
		}
	}()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data,
		"--sdkappid", strconv.Itoa(benchAppID), "--secret-key", benchKey, "--rate-limit", "0"}, extra...)
	if e.Profile == "" {
		return e.start(ctx, "chatd", e.Chatd, nil, args...)
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	p, err = e.start(ctx, "chatd", e.Chatd, []string{pprofEnv + "=" + addr}, args...)
	if p != nil {
		p.pprof = addr
	}
	return p, err
}

// startBaseline runs this program's hidden baseline subcommand kind.
func (e *Env) startBaseline(ctx context.Context, kind string, args ...string) (*Proc, error) {
	return e.start(ctx, kind, e.Self, nil, append([]string{kind, "--addr", "127.0.0.1:0"}, args...)...)
}

// start launches bin (on the server CPU when pinning) with env added to
// the environment and waits until it prints its address and answers
// /healthz.
func (e *Env) start(ctx context.Context, name, bin string, env []string, args ...string) (*Proc, error) {
	argv := append([]string{bin}, args...)
	if e.Place.ServerCPU != "" {
		argv = append([]string{e.Place.taskset, "-c", e.Place.ServerCPU}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append(os.Environ(), "CHATD_CONFIG="), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &Proc{Name: name, cmd: cmd, logs: &tail{max: 64 << 10}, exited: make(chan struct{})}
	cmd.Stderr = p.logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	addrs := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addrs <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	select {
	case p.Addr = <-addrs:
	case <-p.exited:
		return nil, fmt.Errorf("%s exited before listening: %v\n%s", name, p.err, p.logs)
	case <-time.After(30 * time.Second):
		p.kill()
		return nil, fmt.Errorf("%s did not print its address within 30s\n%s", name, p.logs)
	case <-ctx.Done():
		p.kill()
		return nil, ctx.Err()
	}
	p.URL = "http://" + p.Addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.kill()
			return nil, fmt.Errorf("%s: /healthz not OK within 10s: %v", name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop asks the process to exit (SIGTERM) and kills it after 20 s.
func (p *Proc) Stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		p.kill()
	}
}

func (p *Proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// Alive reports an error when the process has exited.
func (p *Proc) Alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited: %v\n%s", p.Name, p.err, p.logs)
	default:
		return nil
	}
}

// RSS is the resident set size in bytes (VmRSS of /proc/<pid>/status).
func (p *Proc) RSS() (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("rss: %w", err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("rss: %q: %w", line, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("rss: no VmRSS line")
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// CPU is the user+system time the process has used (/proc/<pid>/stat).
func (p *Proc) CPU() (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("cpu: %w", err)
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("cpu: malformed stat")
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errors.New("cpu: short stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("cpu: %w", err)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// RunqueueWait is the time the process's threads spent runnable but
// waiting for a CPU (the second field of /proc/<pid>/task/*/schedstat):
// on a server pinned to one CPU, time other processes took from it, and
// time its own threads waited for each other (a thread back from fsync
// while another runs Go code). Threads that have exited are not counted.
func (p *Proc) RunqueueWait() time.Duration { return runqueueWait(p.cmd.Process.Pid) }

func runqueueWait(pid int) time.Duration {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var total int64
	for _, t := range tasks {
		data, err := os.ReadFile(filepath.Join(dir, t.Name(), "schedstat"))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(data)); len(f) >= 2 {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			total += n
		}
	}
	return time.Duration(total)
}

// selfCPU is the generator's own user+system time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// usage measures CPU over a phase: start it, run the phase, call String.
type usage struct {
	p                              *Proc
	at                             time.Time
	server, generator, total, wait time.Duration
}

func startUsage(p *Proc) usage {
	cpu, _ := p.CPU()
	return usage{p: p, at: time.Now(), server: cpu, generator: selfCPU(), total: machineBusy(), wait: p.RunqueueWait()}
}

// serverCPU is the CPU time the server used since the start.
func (u usage) serverCPU() time.Duration {
	cpu, _ := u.p.CPU()
	return cpu - u.server
}

// String says how busy both sides were, as a share of one core, so a
// saturated generator (≈100%) is visible next to the figures, and how much
// CPU the rest of the machine took meanwhile (a build or test elsewhere
// makes a run noisy).
func (u usage) String() string {
	wall := time.Since(u.at)
	cpu, _ := u.p.CPU()
	server, gen := cpu-u.server, selfCPU()-u.generator
	other := max(0, machineBusy()-u.total-server-gen)
	s := fmt.Sprintf("%s CPU %.0f%% of a core, generator CPU %.0f%% of a core, other processes %.0f%% of a core, over %.1fs",
		u.p.Name, pct(server, wall), pct(gen, wall), pct(other, wall), wall.Seconds())
	if wait := u.p.RunqueueWait() - u.wait; pct(wait, wall) >= 1 {
		s += fmt.Sprintf("; %s threads waited for a CPU %.0f%% of the time", u.p.Name, pct(wait, wall))
	}
	if pct(gen, wall) >= saturated {
		s += " — generator saturated: this figure is the generator's limit, a floor for the server's"
	}
	return s
}

// machineBusy is the CPU time all CPUs spent not idle since boot
// (/proc/stat), to tell how much of a phase's CPU went to other processes.
func machineBusy() time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest time is already counted in user
			break
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks
}

// saturated is the generator CPU share (percent of a core) from which a
// figure is flagged as limited by the generator.
const saturated = 90

func pct(d, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return 100 * float64(d) / float64(wall)
}

// waitIdle waits until the process uses under 5% of a core over 250 ms,
// at most for limit: after a burst (closing thousands of sockets) the next
// phase should not pay for the previous one.
func waitIdle(p *Proc, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		before, _ := p.CPU()
		time.Sleep(250 * time.Millisecond)
		after, _ := p.CPU()
		if pct(after-before, 250*time.Millisecond) < 5 {
			return
		}
	}
}

// tail keeps the last max bytes written, for error messages.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

// Write keeps p, dropping the oldest bytes beyond max.
func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// String returns the bytes kept.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
