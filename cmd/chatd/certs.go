package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chatd/chatd/internal/webhook"
)

// Names of the files `chatd certs` writes.
const (
	caCertFile     = "ca.pem"
	caKeyFile      = "ca-key.pem"
	clientCertFile = "chatd-client.pem"
	clientKeyFile  = "chatd-client-key.pem"
)

// runCerts is `chatd certs`: it creates (or reuses) a CA in a directory,
// a client certificate chatd presents to callback servers, and, for each
// --domain, a server certificate for a callback domain, so an operator can
// run callbacks over mutual TLS without other tools (docs/webhooks.md).
func runCerts(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("certs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "./chatd-certs", "directory of the CA and the certificates; an existing CA there is reused")
	domains := fs.String("domain", "", "callback domain(s) to issue server certificates for, comma-separated (host names or IP addresses)")
	client := fs.Bool("client", true, "issue chatd's client certificate (skipped when it exists, unless -force)")
	days := fs.Int("days", 825, "validity of the issued certificates, in days (the CA's: ten times as long)")
	force := fs.Bool("force", false, "issue the client certificate again even when it exists")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *days < 1 {
		return errors.New("certs: --days must be at least 1")
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	now := time.Now()
	validFor := time.Duration(*days) * 24 * time.Hour
	ca, err := loadOrCreateCA(*dir, 10*validFor, now, stdout)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(*dir, clientCertFile)); *client && (*force || errors.Is(err, os.ErrNotExist)) {
		cert, key, err := ca.IssueClient("chatd", validFor, now)
		if err != nil {
			return err
		}
		if err := writePair(*dir, clientCertFile, clientKeyFile, cert, key); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "client certificate: %s (key %s)\n", filepath.Join(*dir, clientCertFile), filepath.Join(*dir, clientKeyFile))
	}
	for _, d := range strings.Split(*domains, ",") {
		if d = strings.TrimSpace(d); d == "" {
			continue
		}
		cert, key, err := ca.IssueServer([]string{d}, validFor, now)
		if err != nil {
			return err
		}
		name := strings.ReplaceAll(d, ":", "_")
		if err := writePair(*dir, name+".pem", name+"-key.pem", cert, key); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "server certificate for %s: %s (key %s)\n", d, filepath.Join(*dir, name+".pem"), filepath.Join(*dir, name+"-key.pem"))
	}
	fmt.Fprintf(stdout, "\nchatd:          --callback-cert %s --callback-key %s --callback-ca %s\n",
		filepath.Join(*dir, clientCertFile), filepath.Join(*dir, clientKeyFile), filepath.Join(*dir, caCertFile))
	fmt.Fprintf(stdout, "callback server: trust %s for client certificates (nginx: ssl_client_certificate + ssl_verify_client on)\n", filepath.Join(*dir, caCertFile))
	return nil
}

// loadOrCreateCA reuses the CA in dir or creates one.
func loadOrCreateCA(dir string, validFor time.Duration, now time.Time, stdout io.Writer) (*webhook.Authority, error) {
	certPEM, certErr := os.ReadFile(filepath.Join(dir, caCertFile))
	keyPEM, keyErr := os.ReadFile(filepath.Join(dir, caKeyFile))
	if certErr == nil && keyErr == nil {
		return webhook.LoadAuthority(certPEM, keyPEM)
	}
	if !errors.Is(certErr, os.ErrNotExist) || !errors.Is(keyErr, os.ErrNotExist) {
		return nil, fmt.Errorf("certs: %s holds only half a CA (%s, %s)", dir, caCertFile, caKeyFile)
	}
	ca, key, err := webhook.NewAuthority("chatd callbacks CA", validFor, now)
	if err != nil {
		return nil, err
	}
	if err := writePair(dir, caCertFile, caKeyFile, ca.CertPEM, key); err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "new CA: %s (key %s: keep it private)\n", filepath.Join(dir, caCertFile), filepath.Join(dir, caKeyFile))
	return ca, nil
}

// writePair writes a certificate (readable by all) and its key (by the
// owner only).
func writePair(dir, certName, keyName string, cert, key []byte) error {
	if err := os.WriteFile(filepath.Join(dir, certName), cert, 0o644); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, keyName), key, 0o600); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	return nil
}
