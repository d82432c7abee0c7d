package im

import (
	"context"
	"time"
)

// DayStats are one day of an app's figures (rest-users.md S10) as the
// store can count them from the rows it keeps: what was deleted since is
// not counted, and what leaves no row (logins, removals) is not here.
type DayStats struct {
	// Day is the day number: (Unix seconds + the zone's offset) / 86400.
	Day int64
	// NewAccounts were created that day; Accounts exist, created by the
	// day's end.
	NewAccounts, Accounts int64
	// C2CMsgs are stored one-to-one messages sent that day, by
	// C2CSenders distinct senders.
	C2CMsgs, C2CSenders int64
	// GroupMsgs are stored group messages sent that day, by GroupSenders
	// distinct senders, in GroupsWithMsgs groups; GroupDeliveries counts
	// each message once per other member of its group now.
	GroupMsgs, GroupSenders, GroupsWithMsgs, GroupDeliveries int64
	// Senders are the distinct senders of both kinds.
	Senders int64
	// NewFriends are friend-table entries made that day (one per
	// direction).
	NewFriends int64
	// GroupJoins are current members who joined that day.
	GroupJoins int64
	// NewGroups were created that day; Groups exist, created by the day's
	// end.
	NewGroups, Groups int64
}

// ArchivePart is one file of an hour's message archive (get_history).
type ArchivePart struct {
	AppID    uint64
	ChatType string // "C2C" or "Group"
	Hour     int64  // the hour's first Unix second
	Part     int    // from 0
	RawSize  int64  // before compression
	RawMD5   string // hex, before compression
	GzSize   int64
	GzMD5    string
	Data     []byte // the gzip file; nil when listed without it
	Created  int64
}

// OpsStore serves the operations API: statistics counted from the other
// domains' tables, the message archives, and the nodes' addresses.
type OpsStore interface {
	// DailyStats returns one entry per day from firstDay to lastDay
	// (inclusive, day numbers as DayStats.Day with offset), oldest first.
	DailyStats(ctx context.Context, appID uint64, firstDay, lastDay, offset int64) ([]DayStats, error)
	// ListC2CBetween returns the stored one-to-one messages with from <=
	// MsgTime < to, in time order.
	ListC2CBetween(ctx context.Context, appID uint64, from, to int64) ([]C2CMessage, error)
	// ListGroupBetween returns the stored group messages (not topics')
	// with from <= MsgTime < to, in time order.
	ListGroupBetween(ctx context.Context, appID uint64, from, to int64) ([]GroupMessage, error)
	// PutArchive stores every part of one hour's archive at once. It
	// returns ErrConflict when the hour has an archive already.
	PutArchive(ctx context.Context, parts []ArchivePart) error
	// ArchiveParts lists an hour's parts without their data, in order;
	// none when it has no archive.
	ArchiveParts(ctx context.Context, appID uint64, chatType string, hour int64) ([]ArchivePart, error)
	// ArchiveData returns one part's file, ErrNotFound when there is none.
	ArchiveData(ctx context.Context, appID uint64, chatType string, hour int64, part int) ([]byte, error)
	// PruneArchives deletes the archives of hours before the given one.
	PruneArchives(ctx context.Context, before int64) error
	// SeeNodeAddrs records that a node serves on addrs now.
	SeeNodeAddrs(ctx context.Context, addrs []string, now int64) error
	// NodeAddrs returns every address seen at or after since, sorted.
	NodeAddrs(ctx context.Context, since int64) ([]string, error)
}

// VendorUTCOffset is the vendor's zone, Beijing time (UTC+8), in seconds:
// get_history's hours, getappinfo's days and the push quota's days are
// counted in it.
const VendorUTCOffset = 8 * 3600

// VendorZone is the vendor's zone as a time.Location.
var VendorZone = time.FixedZone("UTC+8", VendorUTCOffset)
