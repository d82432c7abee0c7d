package ops

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// Message archives (get_history). An hour's archive is made from the
// message tables on the first request after the hour ended, stored, and
// served from then on as it was made, for 7 days: every node serves the
// same files, whose sizes and MD5s get_history reported. Each file is
// gzip-compressed JSON Lines, one message per line, with the field names
// of the history APIs (docs/compatibility.md).

// Archive settings.
const (
	// ArchivePath starts every download URL: ArchivePath + token + ".gz".
	ArchivePath = "/archive/"
	// DefaultArchivePartBytes caps one file before compression; a larger
	// hour is split into several files.
	DefaultArchivePartBytes = 64 << 20
	// ArchiveKeep is how long an hour's archive is kept after the hour.
	ArchiveKeep = 7 * 24 * time.Hour
	// archiveAfter is how long after its end an hour is archived, so a
	// message committed at the hour's last instant is in it.
	archiveAfter = time.Minute
	// urlLifetime is how long a download URL works.
	urlLifetime = time.Hour
)

// The chat types of get_history.
const (
	ChatC2C   = "C2C"
	ChatGroup = "Group"
)

// Download failures, which the HTTP side answers with 404 and 410.
var (
	ErrNoArchive  = errors.New("ops: no such archive")
	ErrURLExpired = errors.New("ops: download URL expired")
)

// File is one archive file of get_history's answer.
type File struct {
	URL        string
	ExpireTime string // YYYY-MM-DD HH:MM:SS, Beijing time
	FileSize   int64
	FileMD5    string
	GzipSize   int64
	GzipMD5    string
}

// History returns the download files of one hour's archive of one chat
// type: 1001 for a chat type other than C2C and Group or an hour not
// written YYYYMMDDHH, 1004 for an hour not archived yet (it must have
// ended a minute ago) or without messages, 1005 for an hour past its 7
// days.
func (s *Service) History(ctx context.Context, app *config.App, chatType, msgTime string) ([]File, error) {
	if chatType != ChatC2C && chatType != ChatGroup {
		return nil, im.Errorf(im.CodeOpsBadRequest, "ChatType must be %s or %s", ChatC2C, ChatGroup)
	}
	start, err := time.ParseInLocation("2006010215", msgTime, im.VendorZone)
	if err != nil || len(msgTime) != 10 {
		return nil, im.Errorf(im.CodeOpsBadRequest, "MsgTime must be an hour written YYYYMMDDHH (Beijing time), got %q", msgTime)
	}
	now := s.now()
	end := start.Add(time.Hour)
	switch {
	case now.Before(end.Add(archiveAfter)):
		return nil, im.Errorf(im.CodeArchiveNotReady, "the archive of %s is made after the hour ends", msgTime)
	case !now.Before(end.Add(ArchiveKeep)):
		return nil, im.Errorf(im.CodeArchiveExpired, "archives are kept %v after their hour", ArchiveKeep)
	}
	parts, err := s.store.ArchiveParts(ctx, app.SDKAppID, chatType, start.Unix())
	if err != nil {
		return nil, fmt.Errorf("ops: archive parts: %w", err)
	}
	if len(parts) == 0 {
		if parts, err = s.makeArchive(ctx, app.SDKAppID, chatType, start.Unix()); err != nil {
			return nil, err
		}
	}
	if len(parts) == 0 {
		return nil, im.Errorf(im.CodeArchiveNotReady, "no %s messages were sent in %s", chatType, msgTime)
	}
	expires := min(now.Add(urlLifetime).Unix(), end.Add(ArchiveKeep).Unix())
	files := make([]File, len(parts))
	for i, p := range parts {
		files[i] = File{
			URL:        s.baseURL + ArchivePath + downloadToken(app, p, expires) + ".gz",
			ExpireTime: time.Unix(expires, 0).In(im.VendorZone).Format(time.DateTime),
			FileSize:   p.RawSize, FileMD5: p.RawMD5, GzipSize: p.GzSize, GzipMD5: p.GzMD5,
		}
	}
	return files, nil
}

// makeArchive archives an hour, a minute of messages at a time, and stores
// it. Another node that made it meanwhile wins: its archive is returned.
func (s *Service) makeArchive(ctx context.Context, appID uint64, chatType string, hour int64) ([]im.ArchivePart, error) {
	w := &partWriter{max: s.partSize, base: im.ArchivePart{AppID: appID, ChatType: chatType, Hour: hour, Created: s.now().Unix()}}
	for from := hour; from < hour+3600; from += 60 {
		lines, err := s.archiveLines(ctx, appID, chatType, from, from+60)
		if err != nil {
			return nil, err
		}
		for _, line := range lines {
			if err := w.add(line); err != nil {
				return nil, fmt.Errorf("ops: archive: %w", err)
			}
		}
	}
	parts, err := w.finish()
	if err != nil {
		return nil, fmt.Errorf("ops: archive: %w", err)
	}
	if len(parts) == 0 {
		return nil, nil
	}
	err = s.store.PutArchive(ctx, parts)
	if errors.Is(err, im.ErrConflict) {
		if parts, err = s.store.ArchiveParts(ctx, appID, chatType, hour); err == nil {
			return parts, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("ops: store archive: %w", err)
	}
	if err := s.store.PruneArchives(ctx, hour-int64(ArchiveKeep/time.Second)); err != nil {
		s.log.Warn("ops: old archives not pruned", "err", err)
	}
	for i := range parts {
		parts[i].Data = nil
	}
	return parts, nil
}

// c2cLine is a one-to-one message in an archive: admin_getroammsg's
// fields.
type c2cLine struct {
	ChatType        string
	From_Account    string
	To_Account      string
	MsgSeq          uint32
	MsgRandom       uint32
	MsgTimeStamp    int64
	MsgFlagBits     int
	MsgKey          string
	MsgBody         json.RawMessage
	CloudCustomData string
}

// groupLine is a group message in an archive: group_msg_get_simple's
// fields with the group.
type groupLine struct {
	ChatType        string
	GroupId         string
	From_Account    string
	MsgSeq          int64
	MsgRandom       uint32
	MsgPriority     int
	MsgTimeStamp    int64
	IsPlaceMsg      int // 2: recalled, its body is gone
	MsgBody         json.RawMessage
	CloudCustomData string
}

// archiveLines returns the messages of [from, to) as archive lines.
func (s *Service) archiveLines(ctx context.Context, appID uint64, chatType string, from, to int64) ([][]byte, error) {
	var lines []any
	if chatType == ChatC2C {
		msgs, err := s.store.ListC2CBetween(ctx, appID, from, to)
		if err != nil {
			return nil, fmt.Errorf("ops: archive messages: %w", err)
		}
		for _, m := range msgs {
			lines = append(lines, c2cLine{ChatType: ChatC2C, From_Account: m.From, To_Account: m.To, MsgSeq: m.Seq, MsgRandom: m.Random,
				MsgTimeStamp: m.Time, MsgFlagBits: m.FlagBits & im.WireFlagBits, MsgKey: m.Key(), MsgBody: m.Body,
				CloudCustomData: m.CloudCustomData})
		}
	} else {
		msgs, err := s.store.ListGroupBetween(ctx, appID, from, to)
		if err != nil {
			return nil, fmt.Errorf("ops: archive messages: %w", err)
		}
		for _, m := range msgs {
			l := groupLine{ChatType: ChatGroup, GroupId: m.GroupID, From_Account: m.From, MsgSeq: m.Seq, MsgRandom: m.Random,
				MsgPriority: m.Priority, MsgTimeStamp: m.Time, MsgBody: m.Body, CloudCustomData: m.CloudCustomData}
			if m.Recalled {
				l.IsPlaceMsg = 2
			}
			lines = append(lines, l)
		}
	}
	out := make([][]byte, len(lines))
	for i, l := range lines {
		b, err := im.EncodeJSON(l)
		if err != nil {
			return nil, fmt.Errorf("ops: encode archive line: %w", err)
		}
		out[i] = append(b, '\n')
	}
	return out, nil
}

// partWriter compresses lines into parts of at most max bytes each
// before compression (a single longer line gets a part of its own).
type partWriter struct {
	max   int
	base  im.ArchivePart
	parts []im.ArchivePart
	buf   bytes.Buffer
	gz    *gzip.Writer
	raw   hash.Hash
	size  int64
}

func (w *partWriter) add(line []byte) error {
	if w.gz != nil && w.size+int64(len(line)) > int64(w.max) {
		if err := w.close(); err != nil {
			return err
		}
	}
	if w.gz == nil {
		w.buf.Reset()
		w.gz, w.raw, w.size = gzip.NewWriter(&w.buf), md5.New(), 0
	}
	w.size += int64(len(line))
	w.raw.Write(line)
	_, err := w.gz.Write(line)
	return err
}

// close ends the current part.
func (w *partWriter) close() error {
	if err := w.gz.Close(); err != nil {
		return err
	}
	data := bytes.Clone(w.buf.Bytes())
	gzSum := md5.Sum(data)
	p := w.base
	p.Part, p.RawSize, p.RawMD5 = len(w.parts), w.size, hex.EncodeToString(w.raw.Sum(nil))
	p.GzSize, p.GzMD5, p.Data = int64(len(data)), hex.EncodeToString(gzSum[:]), data
	w.parts = append(w.parts, p)
	w.gz = nil
	return nil
}

func (w *partWriter) finish() ([]im.ArchivePart, error) {
	if w.gz != nil {
		if err := w.close(); err != nil {
			return nil, err
		}
	}
	return w.parts, nil
}

// A download token names one archive file and when its URL expires, signed
// with the app's secret key so that nobody without it can make or alter
// one: app (8 bytes) | chat type (1) | hour (8) | part (2) | expiry (8) |
// the first 16 bytes of the HMAC-SHA256.
const (
	tokenPayload = 8 + 1 + 8 + 2 + 8
	tokenMAC     = 16
)

func downloadToken(app *config.App, p im.ArchivePart, expires int64) string {
	b := make([]byte, 0, tokenPayload+tokenMAC)
	b = binary.BigEndian.AppendUint64(b, app.SDKAppID)
	kind := byte(0)
	if p.ChatType == ChatGroup {
		kind = 1
	}
	b = append(b, kind)
	b = binary.BigEndian.AppendUint64(b, uint64(p.Hour))
	b = binary.BigEndian.AppendUint16(b, uint16(p.Part))
	b = binary.BigEndian.AppendUint64(b, uint64(expires))
	return base64.RawURLEncoding.EncodeToString(append(b, tokenSum(app, b)...))
}

func tokenSum(app *config.App, payload []byte) []byte {
	mac := hmac.New(sha256.New, []byte(app.SecretKey))
	mac.Write([]byte("chatd archive\n"))
	mac.Write(payload)
	return mac.Sum(nil)[:tokenMAC]
}

// Download returns the archive file a download URL's path names
// (ArchivePath + token + ".gz"): ErrNoArchive for a path that names none
// (malformed, not signed by the app, or pruned), ErrURLExpired past the
// URL's expiry.
func (s *Service) Download(ctx context.Context, path string) ([]byte, error) {
	token, ok := strings.CutPrefix(path, ArchivePath)
	token, gz := strings.CutSuffix(token, ".gz")
	b, err := base64.RawURLEncoding.DecodeString(token)
	if !ok || !gz || err != nil || len(b) != tokenPayload+tokenMAC {
		return nil, ErrNoArchive
	}
	payload := b[:tokenPayload]
	app := s.apps[binary.BigEndian.Uint64(payload)]
	if app == nil || !hmac.Equal(b[tokenPayload:], tokenSum(app, payload)) {
		return nil, ErrNoArchive
	}
	chatType := ChatC2C
	if payload[8] == 1 {
		chatType = ChatGroup
	}
	hour := int64(binary.BigEndian.Uint64(payload[9:]))
	part := int(binary.BigEndian.Uint16(payload[17:]))
	if s.now().Unix() > int64(binary.BigEndian.Uint64(payload[19:])) {
		return nil, ErrURLExpired
	}
	data, err := s.store.ArchiveData(ctx, app.SDKAppID, chatType, hour, part)
	if errors.Is(err, im.ErrNotFound) {
		return nil, ErrNoArchive
	}
	if err != nil {
		return nil, fmt.Errorf("ops: download: %w", err)
	}
	return data, nil
}
