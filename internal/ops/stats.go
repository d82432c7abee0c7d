package ops

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// StatsDays is how many days getappinfo reports: today and the 29 before.
const StatsDays = 30

// metric is one name of S10 and how it is counted. Figures chatd keeps no
// rows for (logins, APNs pushes, peaks, removals, webhooks) are always 0;
// docs/compatibility.md says which are exact.
type metric func(app *config.App, d im.DayStats) string

func count(f func(d im.DayStats) int64) metric {
	return func(_ *config.App, d im.DayStats) string { return strconv.FormatInt(f(d), 10) }
}

var zero = count(func(im.DayStats) int64 { return 0 })

// metrics are S10's names, "Date" apart.
var metrics = map[string]metric{
	"AppName":              func(*config.App, im.DayStats) string { return "" },
	"AppId":                func(app *config.App, _ im.DayStats) string { return strconv.FormatUint(app.SDKAppID, 10) },
	"Company":              func(*config.App, im.DayStats) string { return "" },
	"ActiveUserNum":        count(func(d im.DayStats) int64 { return d.Senders }),
	"RegistUserNumOneDay":  count(func(d im.DayStats) int64 { return d.NewAccounts }),
	"RegistUserNumTotal":   count(func(d im.DayStats) int64 { return d.Accounts }),
	"LoginTimes":           zero,
	"LoginUserNum":         zero,
	"UpMsgNum":             count(func(d im.DayStats) int64 { return d.C2CMsgs + d.GroupMsgs }),
	"DownMsgNum":           count(func(d im.DayStats) int64 { return d.C2CMsgs + d.GroupDeliveries }),
	"SendMsgUserNum":       count(func(d im.DayStats) int64 { return d.Senders }),
	"APNSMsgNum":           zero,
	"C2CUpMsgNum":          count(func(d im.DayStats) int64 { return d.C2CMsgs }),
	"C2CDownMsgNum":        count(func(d im.DayStats) int64 { return d.C2CMsgs }),
	"C2CSendMsgUserNum":    count(func(d im.DayStats) int64 { return d.C2CSenders }),
	"C2CAPNSMsgNum":        zero,
	"GroupUpMsgNum":        count(func(d im.DayStats) int64 { return d.GroupMsgs }),
	"GroupDownMsgNum":      count(func(d im.DayStats) int64 { return d.GroupDeliveries }),
	"GroupSendMsgUserNum":  count(func(d im.DayStats) int64 { return d.GroupSenders }),
	"GroupAPNSMsgNum":      zero,
	"MaxOnlineNum":         zero,
	"ChainIncrease":        count(func(d im.DayStats) int64 { return d.NewFriends }),
	"ChainDecrease":        zero,
	"GroupSendMsgGroupNum": count(func(d im.DayStats) int64 { return d.GroupsWithMsgs }),
	"GroupJoinGroupTimes":  count(func(d im.DayStats) int64 { return d.GroupJoins }),
	"GroupQuitGroupTimes":  zero,
	"GroupNewGroupNum":     count(func(d im.DayStats) int64 { return d.NewGroups }),
	"GroupAllGroupNum":     count(func(d im.DayStats) int64 { return d.Groups }),
	"GroupDestroyGroupNum": zero,
	"CallBackReq":          zero,
	"CallBackRsp":          zero,
}

// dateField is returned whatever was asked for.
const dateField = "Date"

// AppInfo returns the app's figures of the last StatsDays days (today
// first, as far as it went), each with its Date, as getappinfo answers:
// the metrics named (every one when names is empty; unknown names are
// left out), each a decimal string.
func (s *Service) AppInfo(ctx context.Context, app *config.App, names []string) ([]map[string]string, error) {
	if len(names) == 0 {
		for name := range metrics {
			names = append(names, name)
		}
	}
	days, err := s.dailyStats(ctx, app.SDKAppID)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]string, len(days))
	for i, d := range days {
		row := map[string]string{dateField: dayDate(d.Day)}
		for _, name := range names {
			if m, ok := metrics[name]; ok {
				row[name] = m(app, d)
			}
		}
		out[len(days)-1-i] = row
	}
	return out, nil
}

// dailyStats returns the last StatsDays days oldest first. Finished days
// are counted once per node and kept; today is counted on every call.
func (s *Service) dailyStats(ctx context.Context, appID uint64) ([]im.DayStats, error) {
	today := dayOf(s.now())
	first := today - StatsDays + 1
	s.statsMu.Lock()
	known := s.days[appID]
	if known == nil {
		known = map[int64]im.DayStats{}
		s.days[appID] = known
	}
	from := today // the first day to count
	for d := first; d < today; d++ {
		if _, ok := known[d]; !ok {
			from = d
			break
		}
	}
	s.statsMu.Unlock()
	counted, err := s.store.DailyStats(ctx, appID, from, today, im.VendorUTCOffset)
	if err != nil {
		return nil, fmt.Errorf("ops: daily statistics: %w", err)
	}
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	for _, d := range counted {
		if d.Day < today {
			known[d.Day] = d
		}
	}
	for d := range known {
		if d < first {
			delete(known, d)
		}
	}
	out := make([]im.DayStats, 0, StatsDays)
	for d := first; d < today; d++ {
		out = append(out, known[d])
	}
	return append(out, counted[len(counted)-1]), nil
}

// dayOf is the day number of t in the vendor's zone.
func dayOf(t time.Time) int64 { return (t.Unix() + im.VendorUTCOffset) / 86400 }

// dayDate formats a day number as YYYYMMDD.
func dayDate(day int64) string { return time.Unix(day*86400, 0).UTC().Format("20060102") }
