// Command bench measures chatd against bare baseline servers on the same
// machine in the same run, and prints every figure as a ratio to its
// baseline next to the absolute numbers.
//
//	go run ./bench <scenario|all|list> [flags]
//	go run ./bench all --write-doc      # also regenerates docs/BENCHMARKS.md
//
// chatd is built once and run as a separate process (pinned to CPU 0 when
// taskset is available); the generator is this process (pinned to CPU 1).
// Each scenario is one file registering itself in the scenario table.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	if ok, err := runHidden(os.Args[1:]); ok {
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, true)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		os.Exit(1)
	}
}

// options are the flags every scenario shares.
type options struct {
	duration time.Duration
	pin      bool
	writeDoc bool
	docPath  string
	sources  int
	timeout  time.Duration
	chatd    string
	rev      string
	profile  string
}

func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: go run ./bench <scenario|all|list> [flags]")
	fmt.Fprintln(w, "\nscenarios:")
	for _, s := range scenarios {
		fmt.Fprintf(w, "  %-8s %s\n", s.Name, s.Description)
	}
	fmt.Fprintln(w, "\nflags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// run parses args, runs the chosen scenarios and prints their reports.
// reexec allows pinning the generator by re-executing it under taskset
// (not from tests, whose binary is not this command).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, reexec bool) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o options
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each timed load phase (rest, fanout, churn)")
	fs.BoolVar(&o.pin, "pin", true, "pin servers to CPU 0 and the generator to CPU 1 with taskset")
	fs.BoolVar(&o.writeDoc, "write-doc", false, "regenerate docs/BENCHMARKS.md with this run's results")
	fs.StringVar(&o.docPath, "doc", "docs/BENCHMARKS.md", "document written by --write-doc, relative to the module root")
	fs.IntVar(&o.sources, "sources", 16, "source addresses 127.0.0.2..127.0.0.N to dial from")
	fs.DurationVar(&o.timeout, "timeout", time.Hour, "bound on the whole run")
	fs.StringVar(&o.rev, "rev", "", "build chatd from this git revision (exported with git archive) instead of the working tree")
	fs.StringVar(&o.chatd, "chatd", "", "use this chatd binary instead of building ./cmd/chatd (e.g. a build with profiling)")
	fs.StringVar(&o.profile, "profile", "", "build chatd with a pprof listener and write CPU profiles of its timed phases into this directory (scenarios that support it: send, conns)")
	for _, s := range scenarios {
		if s.Flags != nil {
			s.Flags(fs)
		}
	}
	name, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, rest = args[0], args[1:]
	}
	if err := fs.Parse(rest); err != nil {
		printUsage(stderr, fs)
		return err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			printUsage(stderr, fs)
			return err
		}
	}
	if fs.NArg() > 0 {
		printUsage(stderr, fs)
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var chosen []Scenario
	switch name {
	case "", "list", "help":
		printUsage(stdout, fs)
		return nil
	case "all":
		chosen = scenarios
	default:
		s, ok := lookup(name)
		if !ok {
			printUsage(stderr, fs)
			return fmt.Errorf("unknown scenario %q", name)
		}
		chosen = []Scenario{s}
	}
	if o.pin && reexec {
		pinSelf(args)
	}

	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	env, cleanup, err := newEnv(ctx, o, stdout, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	facts := machineFacts(raiseFileLimit())
	header := runHeader{
		Command:  "go run ./bench " + strings.Join(args, " "),
		Revision: env.Revision,
		Date:     time.Now().UTC(),
		Machine:  facts,
		Place:    env.Place.String(),
		Sources:  env.Sources.String(),
	}
	header.print(stdout)

	var reports []*Report
	var failed []string
	for _, s := range chosen {
		if ctx.Err() != nil {
			break
		}
		env.logf("running %s", s.Name)
		rep, err := s.Run(ctx, env)
		if rep == nil {
			rep = &Report{}
		}
		rep.Scenario = s.Name
		if err != nil {
			rep.Err = err
			failed = append(failed, s.Name)
		}
		printReport(stdout, rep)
		reports = append(reports, rep)
	}
	if o.writeDoc {
		path := filepath.Join(env.Root, o.docPath)
		if err := writeDoc(path, header, reports); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nwrote %s\n", path)
	}
	if len(failed) > 0 {
		return fmt.Errorf("scenarios failed: %s", strings.Join(failed, ", "))
	}
	return ctx.Err()
}

// newEnv builds chatd and gathers what the scenarios share.
func newEnv(ctx context.Context, o options, stdout, stderr io.Writer) (*Env, func(), error) {
	root, err := findRoot()
	if err != nil {
		return nil, nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	tmp, err := os.MkdirTemp("", "chatd-bench-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { _ = os.RemoveAll(tmp) }
	bin, desc := o.chatd, ""
	profile := ""
	if o.profile != "" {
		if o.chatd != "" {
			cleanup()
			return nil, nil, errors.New("--profile builds chatd itself: it does not go with --chatd")
		}
		if profile, err = filepath.Abs(o.profile); err == nil {
			err = os.MkdirAll(profile, 0o755)
		}
		if err != nil {
			cleanup()
			return nil, nil, err
		}
	}
	if bin == "" {
		var src string
		if src, desc, err = chatdSource(ctx, root, o.rev, tmp); err == nil {
			fmt.Fprintf(stderr, "bench: building chatd from %s\n", desc)
			bin, err = buildChatd(ctx, src, tmp, profile != "")
		}
		if profile != "" {
			desc += ", with a pprof listener (--profile)"
		}
	} else {
		bin, err = filepath.Abs(bin)
		desc = "prebuilt binary " + bin
	}
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return &Env{
		Root:     root,
		Chatd:    bin,
		Revision: desc,
		Self:     self,
		TmpDir:   tmp,
		Duration: o.duration,
		Progress: stderr,
		Place:    placement(o.pin),
		Sources:  newSourcePool(o.sources),
		Profile:  profile,
	}, cleanup, nil
}
