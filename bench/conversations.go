package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatd/chatd/internal/batch"
	"github.com/chatd/chatd/internal/conversation"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/store"
	"github.com/chatd/chatd/internal/store/postgres"
	"github.com/chatd/chatd/internal/store/sqlite"
)

func init() {
	register(Scenario{
		Name:  "conversations",
		Order: 60,
		Description: "the conversation list, in process on SQLite and on PostgreSQL: get_list's first page (100 conversations) for a " +
			"user with 10,000 one-to-one conversations, and its deepest page; and the cost of keeping conversations per send: " +
			"durable one-to-one sends/s through the group-committed CommitStream (both users' stream entries, as a send) with the " +
			"conversation upkeep and without it",
		Baseline: "get_list: the same first page for a user with 100 conversations (a page costs the page, not the list); sends: " +
			"the same CommitStream with the upkeep switched off (store.WithoutConversationUpkeep), alternated with it in one run",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&convCfg.engines, "conv-engines", "sqlite,postgres", "conversations: storage engines, comma-separated")
			fs.StringVar(&convCfg.postgres, "conv-postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
				"conversations: PostgreSQL URL to CREATE DATABASE from")
			fs.IntVar(&convCfg.list, "conv-list", 10000, "conversations: one-to-one conversations of the listed user")
			fs.IntVar(&convCfg.writers, "conv-writers", 128, "conversations: concurrent senders")
			fs.IntVar(&convCfg.users, "conv-users", 1000, "conversations: users the senders write between")
		},
		Run: runConversations,
	})
}

var convCfg struct {
	engines, postgres    string
	list, writers, users int
}

// convApp is the SDKAppID of the bench's data.
const convApp = 1400000001

func runConversations(ctx context.Context, env *Env) (*Report, error) {
	rep := &Report{}
	for engine := range strings.SplitSeq(convCfg.engines, ",") {
		engine = strings.TrimSpace(engine)
		label, ok := engineLabels[engine]
		if !ok {
			return rep, fmt.Errorf("conversations: engine %q: want sqlite or postgres", engine)
		}
		db, analyze, done, err := openConvStore(ctx, env, engine)
		if err != nil {
			if engine == "postgres" {
				rep.Rows = append(rep.Rows, skipRow(label, "PostgreSQL not reachable"))
				rep.addNote("%s: skipped — %v", label, err)
				continue
			}
			return rep, err
		}
		err = convOnEngine(ctx, env, rep, db, analyze, label)
		done()
		if err != nil {
			return rep, fmt.Errorf("conversations: %s: %w", label, err)
		}
	}
	rep.addNote("PostgreSQL runs ANALYZE after the fill, as autovacuum would on a live database: without statistics its planner " +
		"may read a user's whole list through the primary key and sort it (measured: ~10× for 10,000 conversations)")
	rep.addNote("in process: the bench opens the store as chatd does (SQLite WAL with synchronous=FULL; PostgreSQL over pgx) and calls " +
		"conversation.Service.List and a batch.Committer over CommitStream, so the figures are the store's and the SQL's, without HTTP")
	return rep, nil
}

// openConvStore opens a fresh store of the engine; analyze refreshes
// PostgreSQL's statistics after the bulk fill, as autovacuum does on a
// live database within a minute (nil for SQLite, whose plans need none).
func openConvStore(ctx context.Context, env *Env, engine string) (db *store.DB, analyze func() error, done func(), err error) {
	if engine == "sqlite" {
		db, err := sqlite.Open(filepath.Join(env.TmpDir, fmt.Sprintf("conv-%d.db", time.Now().UnixNano())))
		if err != nil {
			return nil, nil, nil, err
		}
		return db, nil, func() { db.Close() }, nil
	}
	if err := pingPostgres(ctx, convCfg.postgres); err != nil {
		return nil, nil, nil, err
	}
	url, drop, err := newPostgresDatabase(ctx, convCfg.postgres)
	if err != nil {
		return nil, nil, nil, err
	}
	db, err = postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		drop()
		return nil, nil, nil, err
	}
	analyze = func() error {
		raw, err := sql.Open("pgx", url)
		if err != nil {
			return err
		}
		defer raw.Close()
		_, err = raw.ExecContext(ctx, "ANALYZE")
		return err
	}
	return db, analyze, func() { db.Close(); drop() }, nil
}

// convMessage is the i-th bench message from -> to.
func convMessage(from, to string, i int64, at int64) im.C2CMessage {
	return im.C2CMessage{AppID: convApp, From: from, To: to, Seq: uint32(i), Random: uint32(i >> 32), Time: at,
		Body: []byte(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]`), CloudCustomData: strings.Repeat("x", 100)}
}

func convOnEngine(ctx context.Context, env *Env, rep *Report, db *store.DB, analyze func() error, label string) error {
	if err := convList(ctx, env, rep, db, analyze, label); err != nil {
		return err
	}
	return convSends(ctx, env, rep, db, label)
}

// convList fills a user with convCfg.list conversations (one message from
// each peer, a second apart) and another with 100, and times pages.
func convList(ctx context.Context, env *Env, rep *Report, db *store.DB, analyze func() error, label string) error {
	env.logf("conversations: %s: filling %d conversations", label, convCfg.list)
	base := time.Now().Unix() - int64(convCfg.list) - 10
	fill := func(owner string, n int) error {
		var writes []im.StreamWrite
		for i := range n {
			m := convMessage(fmt.Sprintf("peer%06d", i), owner, int64(i)+1, base+int64(i))
			writes = append(writes, im.StreamWrite{AppID: convApp, Time: m.Time, C2C: &im.C2CAppend{Msg: m, Keep: true}})
			if len(writes) == 1000 || i == n-1 {
				if _, err := db.CommitStream(ctx, writes); err != nil {
					return err
				}
				writes = writes[:0]
			}
		}
		return nil
	}
	if err := fill("big", convCfg.list); err != nil {
		return err
	}
	if err := fill("small", 100); err != nil {
		return err
	}
	if analyze != nil {
		if err := analyze(); err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
	}
	svc := conversation.NewService(conversation.Deps{Store: db})
	// The deepest page's cursor, by paging once.
	var deep conversation.ListInput
	in := conversation.ListInput{Owner: "big", AssistFlags: conversation.FlagPins}
	pages := 0
	for {
		page, err := svc.List(ctx, convApp, in)
		if err != nil {
			return err
		}
		pages++
		if page.Complete {
			deep = in
			break
		}
		in.Ordinary, in.Top = page.Ordinary, page.Top
	}
	timeList := func(in conversation.ListInput) (float64, error) {
		var n int
		start := time.Now()
		for time.Since(start) < env.Duration/4 || n < 10 {
			if _, err := svc.List(ctx, convApp, in); err != nil {
				return 0, err
			}
			n++
		}
		return float64(time.Since(start).Microseconds()) / float64(n), nil
	}
	small, err := timeList(conversation.ListInput{Owner: "small", AssistFlags: conversation.FlagPins})
	if err != nil {
		return err
	}
	first, err := timeList(conversation.ListInput{Owner: "big", AssistFlags: conversation.FlagPins})
	if err != nil {
		return err
	}
	last, err := timeList(deep)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s, get_list, %s conversations", label, groupThousands(int64(convCfg.list)))
	rep.Rows = append(rep.Rows,
		Row{Case: name, Metric: "first page (100) latency", Unit: "µs", Value: first, Baseline: small,
			Target: "cost of the page, not the list (ratio ≈ 1)", Status: check(first <= 2*small)},
		Row{Case: name, Metric: fmt.Sprintf("deepest page (%d of %d) latency", pages, pages), Unit: "µs", Value: last, Baseline: small,
			Target: "cost of the page, not the list (ratio ≈ 1)", Status: check(last <= 2*small)})
	return nil
}

// convSends measures durable sends/s with and without the upkeep,
// alternating the two four times so drift hits both alike.
func convSends(ctx context.Context, env *Env, rep *Report, db *store.DB, label string) error {
	users := make([]im.AccountImport, convCfg.users)
	for i := range users {
		users[i] = im.AccountImport{Account: im.Account{AppID: convApp, UserID: fmt.Sprintf("u%05d", i), CreatedAt: 1}}
	}
	for start := 0; start < len(users); start += 100 {
		if err := db.ImportAccounts(ctx, users[start:min(len(users), start+100)]); err != nil {
			return fmt.Errorf("import accounts: %w", err)
		}
	}
	env.logf("conversations: %s: sends with and without the upkeep", label)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	committers := map[bool]*batch.Committer[im.StreamWrite, im.StreamResult]{}
	for _, upkeep := range []bool{true, false} {
		committers[upkeep] = batch.New(runCtx, batch.DefaultMaxItems, func(ctx context.Context, ws []im.StreamWrite) ([]im.StreamResult, error) {
			if !upkeep {
				ctx = store.WithoutConversationUpkeep(ctx)
			}
			return db.CommitStream(ctx, ws)
		})
	}
	var seq atomic.Int64
	phase := func(upkeep bool, d time.Duration) (int64, error) {
		var sent atomic.Int64
		var failed atomic.Value
		deadline := time.Now().Add(d)
		var wg sync.WaitGroup
		for w := range convCfg.writers {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					i := seq.Add(1)
					from := users[(int(i)+w)%len(users)].UserID
					to := users[(int(i)+w*7+1)%len(users)].UserID
					now := time.Now().Unix()
					m := convMessage(from, to, i, now)
					payload := []byte(`{"Type":"C2CMsg","MsgKey":"` + m.Key() + `"}`)
					write := im.StreamWrite{AppID: convApp, Time: now,
						C2C: &im.C2CAppend{Msg: m, Keep: true, ContentHash: i, DedupSince: now - 120},
						UserEvents: []im.UserEventAppend{{UserID: to, Payload: payload, ExpireAt: now + 3600},
							{UserID: from, Payload: payload, ExpireAt: now + 3600}}}
					if _, err := committers[upkeep].One(ctx, write); err != nil {
						failed.Store(err)
						return
					}
					sent.Add(1)
				}
			})
		}
		wg.Wait()
		if err, _ := failed.Load().(error); err != nil {
			return 0, err
		}
		return sent.Load(), nil
	}
	// Warm up both, then alternate.
	if _, err := phase(true, time.Second); err != nil {
		return err
	}
	if _, err := phase(false, time.Second); err != nil {
		return err
	}
	counts := map[bool]int64{}
	slot := env.Duration / 4
	for _, upkeep := range []bool{true, false, false, true, true, false, false, true} {
		n, err := phase(upkeep, slot)
		if err != nil {
			return err
		}
		counts[upkeep] += n
	}
	secs := 4 * slot.Seconds()
	with, without := float64(counts[true])/secs, float64(counts[false])/secs
	name := fmt.Sprintf("%s, CommitStream sends, %d writers", label, convCfg.writers)
	rep.Rows = append(rep.Rows, Row{Case: name, Metric: "durable sends/s with the upkeep (baseline: without)", Unit: "/s",
		Value: with, Baseline: without})
	rep.addNote("%s: %s sends with the upkeep, %s without, in 4 alternating slots of %s each; %s users, %d writers; every send "+
		"writes its history row, its duplicate key and both users' stream entries, and with the upkeep one multi-row upsert of "+
		"both users' conversation rows per committed batch; the cost per send is %.1f µs of commit time",
		label, groupThousands(counts[true]), groupThousands(counts[false]), slot, groupThousands(int64(convCfg.users)), convCfg.writers,
		math.Max(0, 1e6/with-1e6/without))
	return nil
}
