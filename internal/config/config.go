// Package config holds chatd's configuration: defaults as named constants,
// loaded from an optional JSON file, then CHATD_* environment variables,
// then command-line flags, and checked by Validate.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// Defaults a fresh checkout runs with.
const (
	DefaultAddr    = "127.0.0.1:8080"
	DefaultDataDir = "./chatd-data"
	DefaultAdmin   = "administrator"
	DefaultMaxBody = 1 << 20 // overview.md §1.9: 1 MiB, 60002 beyond
	// DefaultSigCache is how many verified UserSigs a node remembers
	// (about 600 bytes each, the sig included): enough for every user of
	// a node holding 100,000 connections to log in again without a full
	// verification. Below the number of users reconnecting it helps none
	// of them, since the least recently used goes first.
	DefaultSigCache    = 100000
	DefaultDrainPeriod = 10 * time.Second
	// DefaultPresenceInterval makes a dead node stop counting after 6 s,
	// inside the vendor's 10 s staleness of get_online_member_num.
	DefaultPresenceInterval = 2 * time.Second

	// MaxAdmins is the vendor's cap on admin accounts per app (overview.md §2).
	MaxAdmins = 10

	// AppFileName is the file in the data dir that keeps the generated app.
	AppFileName = "app.json"

	// Generated SDKAppIDs fall in the vendor's range for new apps.
	minGeneratedAppID = 1400000000
	maxGeneratedAppID = 1499999999

	// RateLimitSpec means: use each API's documented per-second limit.
	RateLimitSpec = -1
)

// Group limits an app gets unless it sets its own (overview.md §7, the
// "this server" column; rest-groups.md S2 and the community section).
const (
	// DefaultGroupMemberLimit caps MaxMemberNum of Private (Work), Public
	// and ChatRoom (Meeting) groups: the vendor's highest edition value.
	DefaultGroupMemberLimit = 6000
	// DefaultCommunityMemberLimit caps MaxMemberNum of a Community.
	DefaultCommunityMemberLimit = 100000
	// DefaultJoinedGroupLimit is how many groups one user may belong to,
	// all types together (10037 beyond).
	DefaultJoinedGroupLimit = 1000
	// DefaultTopicLimit is how many topics one community may hold (10037
	// beyond).
	DefaultTopicLimit = 200
)

// memberLimitTypes are the group types whose member cap an app may set:
// an AVChatRoom has none.
var memberLimitTypes = map[string]int{
	"Private":   DefaultGroupMemberLimit,
	"Public":    DefaultGroupMemberLimit,
	"ChatRoom":  DefaultGroupMemberLimit,
	"Community": DefaultCommunityMemberLimit,
}

// Config is the whole server configuration.
type Config struct {
	Addr    string `json:"addr"`
	DataDir string `json:"data"`
	// Store selects the storage engine: "" for the embedded SQLite file in
	// DataDir, or a postgres:// URL.
	Store string `json:"store"`
	// StoreMaxConns and StoreMaxIdle size the PostgreSQL pool of this node
	// (0 = the store's defaults, 20 open and 10 idle).
	StoreMaxConns int `json:"store_max_conns"`
	StoreMaxIdle  int `json:"store_max_idle"`
	// Bus selects the event bus between nodes: "" for in-process (one
	// node), or a nats:// URL (several nodes).
	Bus string `json:"bus"`
	// BusPrefix is the first token of every NATS subject; nodes of one
	// cluster must share it, separate clusters on one NATS must not.
	BusPrefix string `json:"bus_prefix"`
	// PresenceInterval is how often a node publishes its live-room counts
	// to the others; a node silent for 3 intervals stops counting.
	PresenceInterval Duration `json:"presence_interval"`
	// RateLimit overrides every per-API limit: RateLimitSpec keeps the
	// documented ones, 0 turns limiting off, N allows N calls/s per API.
	RateLimit int `json:"rate_limit"`
	// MaxBodyBytes caps a REST request body.
	MaxBodyBytes int64 `json:"max_body_bytes"`
	// PublicURL is where app backends reach this server (e.g.
	// https://chat.example.com): the base of the archive download URLs
	// get_history hands out. Empty: http:// and the listen address.
	PublicURL string `json:"public_url,omitempty"`
	// IPList are the addresses GetIPList reports for this node (IPv4
	// addresses or CIDR ranges). Empty: the addresses it listens on.
	IPList []string `json:"ip_list,omitempty"`
	// Apps are the hosted apps. The flags --sdkappid/--secret-key/--admin
	// describe the first one.
	Apps []App `json:"apps"`
}

// App is one hosted app (SDKAppID) with its own key, admins and limits.
type App struct {
	SDKAppID  uint64   `json:"sdkappid"`
	SecretKey string   `json:"secret_key"`
	Admins    []string `json:"admins"`
	// RateLimits overrides the per-second limit of single APIs, keyed by
	// full path (e.g. "v4/group_open_http_svc/create_group").
	RateLimits map[string]int `json:"rate_limits,omitempty"`
	// Disabled lists add-on features switched off for this app; everything
	// is on by default. Features: "account_delete" (71000), "live_ban"
	// (10007), "group_attr" (group custom attributes, 10007),
	// "all_member_push" (push to all users, attributes and tags, 90045),
	// "group_counter" (group counters, 10059), "group_topic" (community
	// topics, 11000), "msg_extension" (message extensions, 10008),
	// "group_broadcast" (send_broadcast_msg, 10007), "group_msg_recall"
	// (group_msg_recall, 10041), and the commands "modify_group_base_info"
	// and "add_group_member" (10026).
	Disabled []string `json:"disabled,omitempty"`
	// GroupMemberLimits caps MaxMemberNum per group type, keyed by the
	// wire type ("Private", "Public", "ChatRoom", "Community"); a type
	// left out keeps DefaultGroupMemberLimit (DefaultCommunityMemberLimit
	// for Community). A group reaching its MaxMemberNum takes no more
	// members (10014, 10038). AVChatRoom groups have no cap.
	GroupMemberLimits map[string]int `json:"group_member_limits,omitempty"`
	// JoinedGroupLimit is how many groups one user may belong to (10037);
	// 0 = DefaultJoinedGroupLimit.
	JoinedGroupLimit int `json:"joined_group_limit,omitempty"`
	// TopicLimit is how many topics one community may hold (10037);
	// 0 = DefaultTopicLimit.
	TopicLimit int `json:"topic_limit,omitempty"`
	// MaxAccounts caps accounts (70398); 0 = unlimited.
	MaxAccounts int `json:"max_accounts,omitempty"`
	// ReimportCooldown is how long a deleted UserID cannot be imported
	// again (70399); 0 = none.
	ReimportCooldown Duration `json:"reimport_cooldown,omitempty"`

	// Users and relationships (rest-users.md S4, S5), as the vendor's
	// console declares them. CustomProfileFields are the app's
	// Tag_Profile_Custom_<key> fields (at most 20; an undeclared one is
	// refused with 40009); CustomFriendFields the keywords of its
	// Tag_SNS_Custom_<key> friend fields (at most 20; letters only, at
	// most 8).
	CustomProfileFields []ProfileField `json:"custom_profile_fields,omitempty"`
	CustomFriendFields  []string       `json:"custom_friend_fields,omitempty"`

	// PushDailyLimit is how many im_push calls the app may make per day
	// (Beijing time; 90047 beyond), 0 = the vendor's 100; PushInterval
	// how far apart they must be (90024), 0 = 1 s.
	PushDailyLimit int      `json:"push_daily_limit,omitempty"`
	PushInterval   Duration `json:"push_interval,omitempty"`
	// Webhook is where and how the app's callbacks are sent (webhooks.md);
	// without a URL none is.
	Webhook Webhook `json:"webhook,omitzero"`
}

// Duration is a time.Duration written as "90s" / "72h" in the config file.
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "90s"-style text or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs int64
		if err := json.Unmarshal(b, &secs); err != nil {
			return fmt.Errorf("duration must be text like \"90s\" or seconds: %w", err)
		}
		*d = Duration(time.Duration(secs) * time.Second)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Enabled reports whether the add-on feature is on for the app.
func (a *App) Enabled(feature string) bool {
	for _, f := range a.Disabled {
		if f == feature {
			return false
		}
	}
	return true
}

// MemberLimit returns the member cap of a group type (a wire type name),
// 0 for a type without one (AVChatRoom).
func (a *App) MemberLimit(groupType string) int {
	def, capped := memberLimitTypes[groupType]
	if !capped {
		return 0
	}
	if n := a.GroupMemberLimits[groupType]; n > 0 {
		return n
	}
	return def
}

// JoinedGroups returns how many groups one user may belong to.
func (a *App) JoinedGroups() int {
	if a.JoinedGroupLimit > 0 {
		return a.JoinedGroupLimit
	}
	return DefaultJoinedGroupLimit
}

// Topics returns how many topics one community may hold.
func (a *App) Topics() int {
	if a.TopicLimit > 0 {
		return a.TopicLimit
	}
	return DefaultTopicLimit
}

// IsAdmin reports whether userID is one of the app's admin accounts.
func (a *App) IsAdmin(userID string) bool {
	for _, id := range a.Admins {
		if id == userID {
			return true
		}
	}
	return false
}

// Default returns the configuration of a fresh checkout.
func Default() Config {
	return Config{
		Addr:             DefaultAddr,
		DataDir:          DefaultDataDir,
		RateLimit:        RateLimitSpec,
		MaxBodyBytes:     DefaultMaxBody,
		PresenceInterval: Duration(DefaultPresenceInterval),
	}
}

// Validate checks the configuration once it is complete.
func (c *Config) Validate() error {
	if c.Addr == "" {
		return errors.New("config: addr is empty")
	}
	if len(c.Apps) == 0 {
		return errors.New("config: no app configured")
	}
	seen := map[uint64]bool{}
	for i, a := range c.Apps {
		if a.SDKAppID == 0 {
			return fmt.Errorf("config: app %d: sdkappid is missing", i)
		}
		if seen[a.SDKAppID] {
			return fmt.Errorf("config: sdkappid %d configured twice", a.SDKAppID)
		}
		seen[a.SDKAppID] = true
		if a.SecretKey == "" {
			return fmt.Errorf("config: app %d: secret key is missing", a.SDKAppID)
		}
		if len(a.Admins) == 0 || len(a.Admins) > MaxAdmins {
			return fmt.Errorf("config: app %d: needs 1 to %d admins, has %d", a.SDKAppID, MaxAdmins, len(a.Admins))
		}
		if err := a.validateGroupLimits(); err != nil {
			return fmt.Errorf("config: app %d: %w", a.SDKAppID, err)
		}
		if err := a.Webhook.validate(); err != nil {
			return fmt.Errorf("config: app %d: %w", a.SDKAppID, err)
		}
	}
	if c.MaxBodyBytes <= 0 {
		return errors.New("config: max_body_bytes must be positive")
	}
	if c.PresenceInterval <= 0 {
		return errors.New("config: presence_interval must be positive")
	}
	if c.RateLimit < RateLimitSpec {
		return errors.New("config: rate_limit must be >= 0")
	}
	return nil
}

func (a *App) validateGroupLimits() error {
	for t, n := range a.GroupMemberLimits {
		if _, ok := memberLimitTypes[t]; !ok {
			return fmt.Errorf("group_member_limits: %q is not a group type with a member cap (Private, Public, ChatRoom, Community)", t)
		}
		if n < 1 {
			return fmt.Errorf("group_member_limits: %s must be at least 1", t)
		}
	}
	if a.JoinedGroupLimit < 0 || a.TopicLimit < 0 {
		return errors.New("joined_group_limit and topic_limit must not be negative")
	}
	return nil
}

// LoadOrCreateApp returns the app kept in dataDir, creating one with a
// random SDKAppID and secret key on first start. created says whether it
// was just made.
func LoadOrCreateApp(dataDir, admin string) (app App, created bool, err error) {
	app, err = ReadApp(dataDir)
	if !errors.Is(err, os.ErrNotExist) {
		return app, false, err
	}
	path := filepath.Join(dataDir, AppFileName)
	app, err = newRandomApp(admin)
	if err != nil {
		return App{}, false, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return App{}, false, fmt.Errorf("config: create data dir: %w", err)
	}
	b, _ := json.MarshalIndent(app, "", "  ")
	// Write then rename so a crash never leaves a half-written app file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return App{}, false, fmt.Errorf("config: write app file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return App{}, false, fmt.Errorf("config: write app file: %w", err)
	}
	return app, true, nil
}

// ReadApp returns the app kept in dataDir; the error wraps os.ErrNotExist
// when there is none.
func ReadApp(dataDir string) (App, error) {
	path := filepath.Join(dataDir, AppFileName)
	b, err := os.ReadFile(path)
	if err != nil {
		return App{}, fmt.Errorf("config: read %s: %w", path, err)
	}
	var app App
	if err := json.Unmarshal(b, &app); err != nil {
		return App{}, fmt.Errorf("config: read %s: %w", path, err)
	}
	return app, nil
}

func newRandomApp(admin string) (App, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(maxGeneratedAppID-minGeneratedAppID+1))
	if err != nil {
		return App{}, fmt.Errorf("config: random sdkappid: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return App{}, fmt.Errorf("config: random key: %w", err)
	}
	return App{
		SDKAppID:  uint64(minGeneratedAppID + n.Int64()),
		SecretKey: hex.EncodeToString(key),
		Admins:    []string{admin},
	}, nil
}
