package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Profiling (--profile DIR): chatd is built with one more file, given to
// `go build -overlay` so the source tree is not touched, that serves
// net/http/pprof on a separate loopback listener named by pprofEnv. A
// scenario that supports it records a CPU profile of chatd over each timed
// phase into DIR; read them with `go tool pprof -top DIR/<name>.pprof`.

// pprofEnv names the listen address of the profiling build's pprof server.
const pprofEnv = "CHATD_BENCH_PPROF"

// pprofSource is the file the overlay adds to cmd/chatd.
const pprofSource = `package main

import (
	"net"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
	"runtime"
)

// Added by the bench harness (--profile) through go build -overlay; it is
// not part of chatd's source. chatd's own server does not use
// http.DefaultServeMux, so pprof is only on this listener.
func init() {
	addr := os.Getenv("` + pprofEnv + `")
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		panic("bench pprof: " + err.Error())
	}
	// Waits are what a CPU profile cannot show: record where goroutines
	// block (every event) and which mutexes they contend on.
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)
	go func() { _ = http.Serve(ln, nil) }()
}
`

// pprofOverlay writes the overlay adding pprofSource to src/cmd/chatd and
// returns the overlay file's path.
func pprofOverlay(src, dir string) (string, error) {
	file := filepath.Join(dir, "bench_pprof.go")
	if err := os.WriteFile(file, []byte(pprofSource), 0o644); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(filepath.Join(src, "cmd", "chatd", "zz_bench_pprof.go"))
	if err != nil {
		return "", err
	}
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {abs: file}})
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "overlay.json")
	return path, os.WriteFile(path, overlay, 0o644)
}

// freePort returns a loopback address nothing listens on right now.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// profileCPU starts recording p's CPU profile for d into the profile
// directory as name.pprof, and where its goroutines blocked and contended
// and what it allocated over the same time as name.block.pprof,
// name.mutex.pprof and name.allocs.pprof, when
// profiling; wait returns once the files are written (or the attempt
// failed, which is logged, not fatal).
func (e *Env) profileCPU(ctx context.Context, p *Proc, name string, d time.Duration) (wait func()) {
	if e.Profile == "" || p.pprof == "" {
		return func() {}
	}
	name += e.ProfileTag
	var wg sync.WaitGroup
	for _, k := range []struct{ kind, file string }{{"profile", name}, {"block", name + ".block"}, {"mutex", name + ".mutex"}, {"allocs", name + ".allocs"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := filepath.Join(e.Profile, k.file+".pprof")
			url := fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", p.pprof, k.kind, max(1, int(d.Seconds())))
			if err := fetchProfile(ctx, url, path); err != nil {
				e.logf("profile %s: %v", k.file, err)
				return
			}
			e.logf("profile: wrote %s", path)
		}()
	}
	return wg.Wait
}

func fetchProfile(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, msg)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
