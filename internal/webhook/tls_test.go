package webhook

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// pki is a CA with chatd's client certificate and a server certificate,
// written to files as `chatd certs` writes them.
type pki struct {
	ca                        *Authority
	dir                       string
	caFile, certFile, keyFile string
}

func newPKI(t *testing.T, hosts ...string) (*pki, tls.Certificate) {
	t.Helper()
	now := time.Now()
	ca, _, err := NewAuthority("test CA", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{ca: ca, dir: t.TempDir()}
	clientCert, clientKey, err := ca.IssueClient("chatd", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	p.caFile, p.certFile, p.keyFile = p.write(t, "ca.pem", ca.CertPEM), p.write(t, "client.pem", clientCert), p.write(t, "client-key.pem", clientKey)
	serverCert, serverKey, err := ca.IssueServer(hosts, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(serverCert, serverKey)
	if err != nil {
		t.Fatal(err)
	}
	return p, pair
}

func (p *pki) write(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mtlsReceiver is an HTTPS receiver that requires a client certificate
// signed by clientCA.
func mtlsReceiver(t *testing.T, cert tls.Certificate, clientCA *Authority) *receiver {
	t.Helper()
	rc := newReceiver(t)
	pool := x509.NewCertPool()
	pool.AddCert(clientCA.Cert)
	rc.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	rc.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	rc.srv.StartTLS()
	return rc
}

// Mutual TLS with the generated certificates: chatd presents its client
// certificate and verifies the server's against the extra CA, host name
// included. Each way it can be wrong fails the callback.
func TestMutualTLS(t *testing.T) {
	p, serverCert := newPKI(t, "127.0.0.1", "localhost")
	other, otherCert := newPKI(t, "127.0.0.1")
	_, wrongHost := newPKI(t, "callbacks.example.com")
	good := mtlsReceiver(t, serverCert, p.ca)
	for _, tc := range []struct {
		name string
		rc   *receiver
		url  func(rc *receiver) string
		cfg  config.Webhook
		ok   bool
		want string // in the logged error
	}{
		{"both verified", good, nil, config.Webhook{ClientCert: p.certFile, ClientKey: p.keyFile, CACert: p.caFile}, true, ""},
		{"by host name", good, func(rc *receiver) string { return strings.Replace(rc.srv.URL, "127.0.0.1", "localhost", 1) },
			config.Webhook{ClientCert: p.certFile, ClientKey: p.keyFile, CACert: p.caFile}, true, ""},
		{"no client certificate", good, nil, config.Webhook{CACert: p.caFile}, false, "certificate"},
		{"client certificate of another CA", good, nil, config.Webhook{ClientCert: other.certFile, ClientKey: other.keyFile, CACert: p.caFile}, false, ""},
		{"server not trusted", mtlsReceiver(t, otherCert, p.ca), nil, config.Webhook{ClientCert: p.certFile, ClientKey: p.keyFile, CACert: p.caFile}, false, "certificate"},
		{"server certificate for another host", mtlsReceiver(t, wrongHost, p.ca), nil, config.Webhook{ClientCert: p.certFile, ClientKey: p.keyFile, CACert: p.caFile}, false, "certificate"},
		{"system roots only", good, nil, config.Webhook{ClientCert: p.certFile, ClientKey: p.keyFile}, false, "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.URL = tc.rc.srv.URL
			if tc.url != nil {
				tc.cfg.URL = tc.url(tc.rc)
			}
			tc.cfg.BeforeFailure = config.FailClosed
			s := newSender(t, nil, tc.cfg)
			g := &im.Group{AppID: testAppID, ID: "g1", Type: im.GroupPublic}
			err := s.Groups().BeforeApply(ctxClient(), g, "dave")
			got, _ := s.Deliveries(t.Context(), testAppID, 0)
			if (err == nil) != tc.ok || len(got) != 1 {
				t.Fatalf("err %v, log %+v", err, got)
			}
			if tc.ok {
				tc.rc.next()
				return
			}
			if got[0].Outcome != OutcomeNetwork || !strings.Contains(got[0].Error, tc.want) {
				t.Fatalf("logged %+v", got[0])
			}
		})
	}
}

// A CA written by NewAuthority is read back by LoadAuthority and issues
// certificates that chain to it.
func TestAuthorityReload(t *testing.T) {
	ca, key, err := NewAuthority("reload", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadAuthority(ca.CertPEM, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _, err := again.IssueServer([]string{"cb.example.com"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "cb.example.com", Roots: pool}); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAuthority(certPEM, key); err == nil {
		t.Fatal("a server certificate loaded as a CA")
	}
}
