package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhook defaults (webhooks.md, "Timeouts, retries, failure policy").
const (
	// DefaultWebhookTimeout is the vendor's fixed 2 s for every callback.
	DefaultWebhookTimeout = 2 * time.Second
	// MaxWebhookTimeout bounds what an operator may set: a before callback
	// holds the action that waits for it.
	MaxWebhookTimeout = 10 * time.Second
	// DefaultWebhookQueue is how many after callbacks of one app may wait
	// for delivery; beyond it they are dropped and counted.
	DefaultWebhookQueue = 10000
	// DefaultWebhookLog is how many deliveries of one app the delivery log
	// keeps.
	DefaultWebhookLog = 200

	// CallbacksAll switches every callback on (the default once a URL is
	// set).
	CallbacksAll = "all"
	// FailOpen lets an action proceed when its before callback fails (the
	// vendor's default); FailClosed refuses it.
	FailOpen   = "open"
	FailClosed = "closed"
)

// tlsVersions are the accepted values of Webhook.MinTLS.
var tlsVersions = []string{"1.0", "1.1", "1.2", "1.3"}

// Webhook is an app's callback configuration: where chatd posts the
// callbacks of webhooks.md, which ones, and how (docs/webhooks.md). No URL
// means no callbacks at all.
type Webhook struct {
	// URL is the app's callback URL: http:// or https://, a host name
	// following the vendor's rules or an IP address, an optional port and
	// path; a query string is kept and chatd's parameters are appended.
	URL string `json:"url,omitempty"`
	// Token turns on Sign and RequestTime in every request.
	Token string `json:"token,omitempty"`
	// Callbacks lists the command words sent (e.g.
	// "C2C.CallbackBeforeSendMsg"); empty or "all" sends every one.
	// Alert.RequestOverLimit is sent whenever URL is set.
	Callbacks []string `json:"callbacks,omitempty"`
	// BeforeFailure is what a before callback that fails (timeout, an
	// answer that is not HTTP 200 with JSON, no connection) does to its
	// action: FailOpen (default) lets it proceed, FailClosed refuses it.
	BeforeFailure string `json:"before_failure,omitempty"`
	// RetryAfterTimeout sends an after callback that timed out again (off
	// by default, as the vendor).
	RetryAfterTimeout bool `json:"retry_after_timeout,omitempty"`
	// Timeout bounds each request; 0 is DefaultWebhookTimeout.
	Timeout Duration `json:"timeout,omitempty"`
	// ClientCert and ClientKey are PEM files: the certificate chatd
	// presents when the app's server asks for one (mutual TLS).
	ClientCert string `json:"client_cert,omitempty"`
	ClientKey  string `json:"client_key,omitempty"`
	// CACert is a PEM bundle trusted besides the system roots to verify
	// the app's server certificate (host names are always verified).
	CACert string `json:"ca_cert,omitempty"`
	// MinTLS is the lowest TLS version offered: "1.2" by default; "1.0"
	// and "1.1" only for app servers configured like the vendor's sample.
	MinTLS string `json:"min_tls,omitempty"`
	// QueueSize and LogSize: 0 is DefaultWebhookQueue, DefaultWebhookLog.
	QueueSize int `json:"queue_size,omitempty"`
	LogSize   int `json:"log_size,omitempty"`
}

// Enabled reports whether the app has a callback URL.
func (w *Webhook) Enabled() bool { return w.URL != "" }

// Wants reports whether the command word is switched on: listed, or
// every one by default.
func (w *Webhook) Wants(command string) bool {
	if len(w.Callbacks) == 0 {
		return true
	}
	for _, c := range w.Callbacks {
		if c == CallbacksAll || c == command {
			return true
		}
	}
	return false
}

// FailsClosed reports whether a failed before callback refuses its action.
func (w *Webhook) FailsClosed() bool { return w.BeforeFailure == FailClosed }

// RequestTimeout returns the timeout of one request.
func (w *Webhook) RequestTimeout() time.Duration {
	if w.Timeout > 0 {
		return time.Duration(w.Timeout)
	}
	return DefaultWebhookTimeout
}

// Queue returns how many after callbacks may wait.
func (w *Webhook) Queue() int {
	if w.QueueSize > 0 {
		return w.QueueSize
	}
	return DefaultWebhookQueue
}

// Log returns how many deliveries the delivery log keeps.
func (w *Webhook) Log() int {
	if w.LogSize > 0 {
		return w.LogSize
	}
	return DefaultWebhookLog
}

// validate checks everything that needs no file or network: the URL's
// form, the policy, the timeout, the TLS version and that certificate and
// key come together. The command words are checked by the webhook package,
// which has their table.
func (w *Webhook) validate() error {
	if w.URL == "" {
		if w.Token != "" || len(w.Callbacks) > 0 || w.ClientCert != "" || w.CACert != "" {
			return errors.New("webhook: settings given without a callback URL")
		}
		return nil
	}
	if err := ValidCallbackURL(w.URL); err != nil {
		return err
	}
	switch {
	case w.BeforeFailure != "" && w.BeforeFailure != FailOpen && w.BeforeFailure != FailClosed:
		return fmt.Errorf("webhook: before_failure %q must be %s or %s", w.BeforeFailure, FailOpen, FailClosed)
	case w.Timeout < 0 || time.Duration(w.Timeout) > MaxWebhookTimeout:
		return fmt.Errorf("webhook: timeout must be between 0 (the default %v) and %v", DefaultWebhookTimeout, MaxWebhookTimeout)
	case (w.ClientCert == "") != (w.ClientKey == ""):
		return errors.New("webhook: client_cert and client_key go together")
	case w.MinTLS != "" && !slices.Contains(tlsVersions, w.MinTLS):
		return fmt.Errorf("webhook: min_tls %q must be one of %s", w.MinTLS, strings.Join(tlsVersions, ", "))
	case w.QueueSize < 0 || w.LogSize < 0:
		return errors.New("webhook: queue_size and log_size must not be negative")
	}
	return nil
}

// ValidCallbackURL checks a callback URL by the vendor's rules
// (webhooks.md, "Configuration"): http:// or https://, then an IP address
// or a host name of letters, digits and '-' in labels of at most 63
// characters that neither start nor end with '-' nor hold "--".
func ValidCallbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("webhook: url %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("webhook: url %q must be http:// or https:// followed by a host, without user info or fragment", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != p {
			return fmt.Errorf("webhook: url %q: port %q is not a port number", raw, p)
		}
	}
	host := u.Hostname()
	if net.ParseIP(host) != nil {
		return nil
	}
	for _, label := range strings.Split(host, ".") {
		if !validLabel(label) {
			return fmt.Errorf("webhook: url %q: host label %q must be 1-63 letters, digits or '-', not starting or ending with '-' nor holding \"--\"", raw, label)
		}
	}
	return nil
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' || strings.Contains(l, "--") {
		return false
	}
	for _, c := range l {
		if !(c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
