// Command chatd is a self-hosted chat server that speaks the Tencent Cloud
// Chat server REST API. Subcommands: serve (the default), usersig, viewers,
// certs, webhooks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/chatd/chatd/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "chatd:", err)
		}
		os.Exit(1)
	}
}

// subcommands maps a name to its entry point; serve is also the default.
var subcommands = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{
	"serve":   runServe,
	"usersig": runUserSig,
	"viewers": func(ctx context.Context, args []string, stdout, _ io.Writer) error {
		return runViewers(ctx, args, stdout)
	},
	"certs":    runCerts,
	"webhooks": runWebhooks,
}

func init() {
	// viewers, like the welcome text, works on a fresh checkout without
	// flags: it signs with the app the server generated in its data dir.
	loadAppDefaults = func() (uint64, string, bool) {
		dir := os.Getenv(config.EnvPrefix + "DATA")
		if dir == "" {
			dir = config.DefaultDataDir
		}
		app, err := config.ReadApp(dir)
		return app.SDKAppID, app.SecretKey, err == nil
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		if sub, ok := subcommands[args[0]]; ok {
			return sub(ctx, args[1:], stdout, stderr)
		}
		if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			fmt.Fprintln(stdout, "usage: chatd [serve|usersig|viewers|certs|webhooks tail] [flags]   (chatd <subcommand> -h for flags)")
			return nil
		}
	}
	return runServe(ctx, args, stdout, stderr)
}
