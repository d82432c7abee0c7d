package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/chatd/chatd/internal/usersig"
)

// defaultSigLifetime is the official generators' default validity.
const defaultSigLifetime = 180 * 24 * time.Hour

// runUserSig prints one UserSig and nothing else, so scripts can capture it.
func runUserSig(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usersig", flag.ContinueOnError)
	fs.SetOutput(stderr)
	appID := fs.Uint64("sdkappid", 0, "SDKAppID")
	key := fs.String("secret-key", "", "the app's secret key")
	identifier := fs.String("identifier", "", "UserID to sign for")
	expire := fs.Int64("expire", int64(defaultSigLifetime/time.Second), "validity in seconds")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *appID == 0 || *key == "" || *identifier == "" {
		fs.Usage()
		return errors.New("usersig: --sdkappid, --secret-key and --identifier are required")
	}
	_, err := fmt.Fprintln(stdout, usersig.Generate(*key, *appID, *identifier, *expire, time.Now()))
	return err
}
