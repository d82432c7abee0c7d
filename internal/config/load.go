package config

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix starts the environment variable of every setting:
// --secret-key is read from CHATD_SECRET_KEY.
const EnvPrefix = "CHATD_"

// setting is one flat option that a flag and an env var can set.
type setting struct {
	name  string
	usage string
	apply func(c *Config, value string) error
}

var settings = []setting{
	{"addr", "listen address", func(c *Config, v string) error { c.Addr = v; return nil }},
	{"data", "data directory (SQLite file and generated app)", func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"store", "storage: empty for embedded SQLite in the data dir, or a postgres:// URL", func(c *Config, v string) error { c.Store = v; return nil }},
	{"store-max-conns", "PostgreSQL: most open connections of this node (default 20)", intSetting(func(c *Config, n int) { c.StoreMaxConns = n })},
	{"store-max-idle", "PostgreSQL: most idle connections kept (default 10)", intSetting(func(c *Config, n int) { c.StoreMaxIdle = n })},
	{"bus", "event bus between nodes: empty for in-process, or a nats:// URL", func(c *Config, v string) error { c.Bus = v; return nil }},
	{"bus-prefix", "first token of every NATS subject; shared by the nodes of one cluster", func(c *Config, v string) error { c.BusPrefix = v; return nil }},
	{"presence-interval", "how often a node publishes its live-room counts (e.g. 2s); a dead node stops counting after 3 intervals", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("presence-interval %q must be a positive duration like 2s", v)
		}
		c.PresenceInterval = Duration(d)
		return nil
	}},
	{"sdkappid", "SDKAppID of the hosted app", func(c *Config, v string) error {
		id, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("sdkappid %q is not a number", v)
		}
		firstApp(c).SDKAppID = id
		return nil
	}},
	{"secret-key", "secret key of the hosted app", func(c *Config, v string) error { firstApp(c).SecretKey = v; return nil }},
	{"admin", "admin UserID(s) of the hosted app, comma-separated", func(c *Config, v string) error {
		firstApp(c).Admins = strings.Split(v, ",")
		return nil
	}},
	{"public-url", "where app backends reach this server (e.g. https://chat.example.com): the base of get_history's download URLs", func(c *Config, v string) error { c.PublicURL = v; return nil }},
	{"rate-limit", "set every per-API limit to N calls/s (0 = off); default: the documented limits", intSetting(func(c *Config, n int) { c.RateLimit = n })},
	{"callback-url", "the hosted app's callback URL (http:// or https://); callbacks are off without one", webhookSetting(func(w *Webhook, v string) error {
		w.URL = v
		return ValidCallbackURL(v)
	})},
	{"callback-token", "callback token: adds Sign and RequestTime to every callback", webhookSetting(func(w *Webhook, v string) error { w.Token = v; return nil })},
	{"callbacks", "callback command words to send, comma-separated, or all (default all)", webhookSetting(func(w *Webhook, v string) error {
		w.Callbacks = strings.Split(v, ",")
		return nil
	})},
	{"callback-failure", "what a failed before callback does to its action: open (proceed, default) or closed (refuse)", webhookSetting(func(w *Webhook, v string) error {
		w.BeforeFailure = v
		return nil
	})},
	{"callback-retry", "send an after callback that timed out once more: true or false (default false)", webhookSetting(func(w *Webhook, v string) error {
		b, err := strconv.ParseBool(v)
		w.RetryAfterTimeout = b
		return err
	})},
	{"callback-timeout", "timeout of one callback request (default 2s)", webhookSetting(func(w *Webhook, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q must be a positive duration like 2s", v)
		}
		w.Timeout = Duration(d)
		return nil
	})},
	{"callback-cert", "PEM client certificate chatd presents to the callback server (mutual TLS)", webhookSetting(func(w *Webhook, v string) error { w.ClientCert = v; return nil })},
	{"callback-key", "PEM private key of --callback-cert", webhookSetting(func(w *Webhook, v string) error { w.ClientKey = v; return nil })},
	{"callback-ca", "PEM CA bundle trusted, besides the system roots, for the callback server's certificate", webhookSetting(func(w *Webhook, v string) error { w.CACert = v; return nil })},
	{"callback-min-tls", "lowest TLS version offered to the callback server: 1.0, 1.1, 1.2 (default) or 1.3", webhookSetting(func(w *Webhook, v string) error { w.MinTLS = v; return nil })},
}

// webhookSetting sets a callback option of the first app.
func webhookSetting(set func(w *Webhook, v string) error) func(c *Config, v string) error {
	return func(c *Config, v string) error { return set(&firstApp(c).Webhook, v) }
}

// intSetting parses a non-negative integer setting.
func intSetting(set func(c *Config, n int)) func(c *Config, v string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("%q must be a number >= 0", v)
		}
		set(c, n)
		return nil
	}
}

func firstApp(c *Config) *App {
	if len(c.Apps) == 0 {
		c.Apps = append(c.Apps, App{})
	}
	return &c.Apps[0]
}

// Loaded is the result of Load: the configuration and whether the app was
// generated on this start (so main can print how to use it).
type Loaded struct {
	Config     Config
	AppCreated bool
}

// Load builds the serve configuration from defaults, the optional --config
// JSON file, CHATD_* env vars and flags, in that order of precedence (later
// wins). With no app configured it loads, or creates, the one in the data
// dir.
func Load(args []string, getenv func(string) string, stderr io.Writer) (Loaded, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", getenv(EnvPrefix+"CONFIG"), "optional JSON config file")
	flagValues := map[string]*string{}
	for _, s := range settings {
		flagValues[s.name] = fs.String(s.name, "", s.usage)
	}
	if err := fs.Parse(args); err != nil {
		return Loaded{}, err
	}
	if fs.NArg() > 0 {
		return Loaded{}, fmt.Errorf("config: unexpected argument %q", fs.Arg(0))
	}

	cfg := Default()
	if *configPath != "" {
		b, err := os.ReadFile(*configPath)
		if err != nil {
			return Loaded{}, fmt.Errorf("config: %w", err)
		}
		if err := json.Unmarshal(b, &cfg); err != nil {
			return Loaded{}, fmt.Errorf("config: parse %s: %w", *configPath, err)
		}
	}
	for _, s := range settings {
		if v := getenv(EnvPrefix + envName(s.name)); v != "" {
			if err := s.apply(&cfg, v); err != nil {
				return Loaded{}, fmt.Errorf("config: %s%s: %w", EnvPrefix, envName(s.name), err)
			}
		}
	}
	var flagErr error
	fs.Visit(func(f *flag.Flag) {
		for _, s := range settings {
			if s.name == f.Name && flagErr == nil {
				if err := s.apply(&cfg, *flagValues[s.name]); err != nil {
					flagErr = fmt.Errorf("config: --%s: %w", s.name, err)
				}
			}
		}
	})
	if flagErr != nil {
		return Loaded{}, flagErr
	}

	loaded := Loaded{Config: cfg}
	if len(cfg.Apps) == 0 || cfg.Apps[0].SDKAppID == 0 && cfg.Apps[0].SecretKey == "" {
		admin := DefaultAdmin
		if len(cfg.Apps) > 0 && len(cfg.Apps[0].Admins) > 0 {
			admin = cfg.Apps[0].Admins[0]
		}
		app, created, err := LoadOrCreateApp(cfg.DataDir, admin)
		if err != nil {
			return Loaded{}, err
		}
		if len(cfg.Apps) > 0 && len(cfg.Apps[0].Admins) > 0 {
			app.Admins = cfg.Apps[0].Admins
		}
		if len(cfg.Apps) > 0 {
			app.Webhook = cfg.Apps[0].Webhook
		}
		loaded.Config.Apps = append([]App{app}, cfg.Apps[min(1, len(cfg.Apps)):]...)
		loaded.AppCreated = created
	}
	for i := range loaded.Config.Apps {
		if len(loaded.Config.Apps[i].Admins) == 0 {
			loaded.Config.Apps[i].Admins = []string{DefaultAdmin}
		}
	}
	if err := loaded.Config.Validate(); err != nil {
		return Loaded{}, err
	}
	return loaded, nil
}

func envName(flagName string) string {
	return strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
