package webhook

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/chatd/chatd/internal/config"
)

// minVersions maps config.Webhook.MinTLS to TLS versions.
var minVersions = map[string]uint16{
	"":    tls.VersionTLS12,
	"1.0": tls.VersionTLS10,
	"1.1": tls.VersionTLS11,
	"1.2": tls.VersionTLS12,
	"1.3": tls.VersionTLS13,
}

// clientTLS is the TLS side of an app's callbacks: the system roots plus
// the app's extra CA bundle to verify its server (host names included),
// and the client certificate chatd presents when the server asks for one.
func clientTLS(cfg config.Webhook) (*tls.Config, error) {
	c := &tls.Config{MinVersion: minVersions[cfg.MinTLS]}
	if cfg.CACert != "" {
		pem, err := os.ReadFile(cfg.CACert)
		if err != nil {
			return nil, fmt.Errorf("ca_cert: %w", err)
		}
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, errors.New("ca_cert: no PEM certificate found")
		}
		c.RootCAs = roots
	}
	if cfg.ClientCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.ClientCert, cfg.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
