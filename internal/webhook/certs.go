package webhook

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// Authority is a certificate authority for mutual TLS between chatd and an
// app's callback server, the self-hosted counterpart of the vendor's CA
// file: it issues chatd's client certificate and, for operators who want
// it, the server certificate of a callback domain (webhooks.md, "Webhook
// Mutual Authentication").
type Authority struct {
	Cert    *x509.Certificate
	CertPEM []byte
	key     crypto.Signer
}

// NewAuthority creates a CA named name, valid from now for validFor, and
// returns it with its private key in PEM.
func NewAuthority(name string, validFor time.Duration, now time.Time) (*Authority, []byte, error) {
	key, keyPEM, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: name, Organization: []string{"chatd"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validFor),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	certPEM, cert, err := sign(tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	return &Authority{Cert: cert, CertPEM: certPEM, key: key}, keyPEM, nil
}

// LoadAuthority reads a CA written by NewAuthority (or any CA with an
// ECDSA, RSA or Ed25519 key in PKCS #8 PEM).
func LoadAuthority(certPEM, keyPEM []byte) (*Authority, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, errors.New("webhook: CA certificate or key is not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("webhook: CA certificate: %w", err)
	}
	if !cert.IsCA {
		return nil, errors.New("webhook: the certificate is not a CA")
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("webhook: CA key: %w", err)
	}
	key, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("webhook: CA key cannot sign")
	}
	return &Authority{Cert: cert, CertPEM: certPEM, key: key}, nil
}

// IssueClient issues the certificate chatd presents to callback servers
// (extended key usage: client authentication).
func (a *Authority) IssueClient(name string, validFor time.Duration, now time.Time) (certPEM, keyPEM []byte, err error) {
	return a.issue(name, nil, x509.ExtKeyUsageClientAuth, validFor, now)
}

// IssueServer issues a server certificate for a callback server's host
// names and IP addresses (extended key usage: server authentication).
func (a *Authority) IssueServer(hosts []string, validFor time.Duration, now time.Time) (certPEM, keyPEM []byte, err error) {
	if len(hosts) == 0 {
		return nil, nil, errors.New("webhook: a server certificate needs a host name")
	}
	return a.issue(hosts[0], hosts, x509.ExtKeyUsageServerAuth, validFor, now)
}

func (a *Authority) issue(name string, hosts []string, usage x509.ExtKeyUsage, validFor time.Duration, now time.Time) ([]byte, []byte, error) {
	key, keyPEM, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: name, Organization: []string{"chatd"}},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(validFor),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	certPEM, _, err := sign(tmpl, a.Cert, key.Public(), a.key)
	if err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, nil
}

func newKey() (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("webhook: new key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("webhook: encode key: %w", err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func sign(tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) ([]byte, *x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("webhook: serial: %w", err)
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		return nil, nil, fmt.Errorf("webhook: sign certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), cert, nil
}
