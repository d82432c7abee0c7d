package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatd/chatd/internal/store/postgres"
	"github.com/chatd/chatd/internal/store/sqlite"
)

// The store baseline is what a one-to-one send must cost at least: the
// rows chatd's CommitStream writes for one message to another user whose
// sender's devices get it too — the history row, its duplicate key, the
// recipient's and the sender's stream entries and the two counter updates
// that number them — written by plain prepared statements, one per row,
// with the same durability (SQLite WAL with synchronous=FULL, or a
// PostgreSQL commit) and group-committed the way chatd's committer does
// it: concurrent writers wait, and what arrives while one transaction
// commits goes into the next one. The schema is chatd's own (its
// migrations create it), so tables, keys and indexes are the same; nothing
// else of chatd runs: no HTTP, no JSON decoding, no checks, no pushes.
func init() { hidden["baseline-store"] = runBaselineStore }

// storeBaseResult is what one baseline-store run prints as its last line.
type storeBaseResult struct {
	Messages int64   // committed inside the measured window
	Seconds  float64 // the window
	CPU      float64 // this process's CPU over the window, % of a core
	Other    float64 // the rest of the machine's CPU (PostgreSQL), % of a core
	Wait     float64 // this process's threads runnable but waiting for a CPU, % of the window
	Batches  int64
	P50, P99 float64 // submit-to-commit latency, ms
	Dropped  int64   // paced sends not issued because every writer was busy
}

// storeBaseMaxBatch is the committer's batch bound: chatd's
// (batch.DefaultMaxItems).
const storeBaseMaxBatch = 1000

func runBaselineStore(args []string) error {
	fs := flag.NewFlagSet("baseline-store", flag.ContinueOnError)
	engine := fs.String("engine", "sqlite", "sqlite or postgres")
	dsn := fs.String("dsn", "", "SQLite file to create, or the URL of an empty PostgreSQL database")
	users := fs.Int("users", 500, "accounts; writer i sends as user i mod users to the next user")
	writers := fs.Int("writers", 500, "concurrent writers, each waiting for its commit")
	warmup := fs.Duration("warmup", time.Second, "unmeasured load first")
	duration := fs.Duration("duration", 10*time.Second, "measured window")
	rate := fs.Int("rate", 0, "messages per second, paced; 0: as fast as the writers go")
	payload := fs.Int("payload", defaultSendPayload, "bytes of custom data per message")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	db, rebind, err := openBaseStore(ctx, *engine, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	b := &storeBase{db: db, rebind: rebind, reqs: make(chan *baseMsg, storeBaseMaxBatch)}
	ids := userIDs("base_", max(2, *users))
	if err := b.createAccounts(ctx, ids); err != nil {
		return err
	}
	if err := b.prepare(ctx); err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	committed := make(chan struct{})
	go func() { b.commitLoop(runCtx); close(committed) }()

	lat := &histogram{}
	var messages, dropped atomic.Int64
	var firstErr atomic.Value
	begin := time.Now().Add(*warmup)
	end := begin.Add(*duration)
	var tokens chan struct{}
	if *rate > 0 {
		tokens = make(chan struct{}, *writers)
		paceCtx, cancel := context.WithDeadline(ctx, end)
		defer cancel()
		go pace(paceCtx, tokens, *rate, &dropped)
	}
	var wg sync.WaitGroup
	for w := range *writers {
		from, to := ids[w%len(ids)], ids[(w+1)%len(ids)]
		wg.Go(func() {
			for seq := 0; ; seq++ {
				if tokens != nil {
					if _, ok := <-tokens; !ok {
						return
					}
				}
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				m := newBaseMsg(from, to, uint32(w)<<20|uint32(seq), t0, *payload)
				b.reqs <- m
				if err := <-m.done; err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				if t1 := time.Now(); !t0.Before(begin) && t1.Before(end) {
					messages.Add(1)
					lat.record(t1.Sub(t0))
				}
			}
		})
	}
	time.Sleep(time.Until(begin))
	cpu0, busy0, wait0, batches0 := selfCPU(), machineBusy(), runqueueWait(os.Getpid()), b.batches.Load()
	time.Sleep(time.Until(end))
	cpu, busy, wait, batches := selfCPU()-cpu0, machineBusy()-busy0, runqueueWait(os.Getpid())-wait0, b.batches.Load()-batches0
	wg.Wait()
	stop()
	<-committed
	if v := firstErr.Load(); v != nil {
		return v.(error)
	}
	res := storeBaseResult{
		Messages: messages.Load(), Seconds: duration.Seconds(), Batches: batches, Dropped: dropped.Load(),
		CPU: pct(cpu, *duration), Other: pct(max(0, busy-cpu), *duration), Wait: pct(wait, *duration),
		P50: ms(lat.quantile(0.5)), P99: ms(lat.quantile(0.99)),
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// openBaseStore creates chatd's schema through chatd's own open (which
// migrates), closes it, and opens a plain pool with the same durability
// settings. rebind adapts ? placeholders to the engine.
func openBaseStore(ctx context.Context, engine, dsn string) (*sql.DB, func(string) string, error) {
	switch engine {
	case "sqlite":
		st, err := sqlite.Open(dsn)
		if err != nil {
			return nil, nil, err
		}
		_ = st.Close()
		// chatd's pragmas (store/sqlite): WAL, synchronous=FULL, foreign
		// keys (user_events references accounts), the writer's 64 MiB page cache,
		// one writer connection.
		db, err := sql.Open("sqlite", dsn+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"+
			"&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=cache_size(-65536)&_txlock=immediate")
		if err != nil {
			return nil, nil, err
		}
		db.SetMaxOpenConns(1)
		return db, func(q string) string { return q }, nil
	case "postgres":
		st, err := postgres.Open(ctx, dsn, postgres.Options{})
		if err != nil {
			return nil, nil, err
		}
		_ = st.Close()
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, nil, err
		}
		db.SetMaxOpenConns(1) // one committer, one transaction at a time
		return db, numberPlaceholders, nil
	}
	return nil, nil, fmt.Errorf("baseline-store: engine %q: want sqlite or postgres", engine)
}

// numberPlaceholders turns ? into $1, $2, ... (the baseline's SQL has no
// quoted question marks).
func numberPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// storeBase is the baseline's store and its one committer.
type storeBase struct {
	db      *sql.DB
	rebind  func(string) string
	reqs    chan *baseMsg
	stmts   [4]*sql.Stmt
	batches atomic.Int64
}

// baseMsg is one message with its rows' values, built by its writer.
type baseMsg struct {
	from, to    string
	lo, hi      string // the conversation's two UserIDs in byte order
	seq, random uint32
	time        int64
	body        string
	payload     string
	contentHash int64
	done        chan error
}

// newBaseMsg builds a message the size chatd stores for the harness's
// sends: the same MsgBody, an event payload of the same shape.
func newBaseMsg(from, to string, random uint32, at time.Time, size int) *baseMsg {
	body := string(appendMsgBody(nil, int(random), at, size))
	seq, now := rand.Uint32(), at.Unix()
	payload := fmt.Sprintf(`{"Type":"C2CMsg","From_Account":%q,"To_Account":%q,"MsgSeq":%d,"MsgRandom":%d,"MsgTime":%d,"MsgKey":"%d_%d_%d","MsgBody":%s}`,
		from, to, seq, random, now, seq, random, now, body)
	h := sha256.Sum256([]byte(body))
	lo, hi := from, to
	if hi < lo {
		lo, hi = hi, lo
	}
	return &baseMsg{from: from, to: to, lo: lo, hi: hi, seq: seq, random: random, time: now, body: body, payload: payload,
		contentHash: int64(binary.BigEndian.Uint64(h[:])), done: make(chan error, 1)}
}

func (b *storeBase) createAccounts(ctx context.Context, ids []string) error {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, b.rebind(`INSERT INTO accounts (app_id, user_id, created_at) VALUES (?, ?, ?)`),
			benchAppID, id, time.Now().Unix()); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("baseline-store: accounts: %w", err)
		}
	}
	return tx.Commit()
}

// The statements, as CommitStream runs them (store/stream.go).
const (
	baseCounter = `UPDATE accounts SET event_seq = event_seq + 1 WHERE app_id = ? AND user_id = ? RETURNING event_seq`
	baseDedup   = `INSERT INTO c2c_dedup (app_id, from_account, to_account, msg_seq, msg_random, content_hash, msg_time)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (app_id, from_account, to_account, msg_seq, msg_random, content_hash)
		DO UPDATE SET msg_time = excluded.msg_time WHERE c2c_dedup.msg_time < ?`
	baseHistory = `INSERT INTO c2c_messages (app_id, user_lo, user_hi, msg_time, msg_seq, msg_random,
		from_account, to_account, msg_body, cloud_custom_data, offline_push_info, flag_bits, support_ext, need_receipt,
		peer_read, hidden_from_sender, hidden_from_recipient)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (app_id, user_lo, user_hi, msg_time, msg_seq, msg_random) DO NOTHING`
	baseEvent = `INSERT INTO user_events (app_id, user_id, seq, event_time, expire_at, payload) VALUES (?, ?, ?, ?, ?, ?)`
)

func (b *storeBase) prepare(ctx context.Context) error {
	for i, q := range []string{baseCounter, baseDedup, baseHistory, baseEvent} {
		st, err := b.db.PrepareContext(ctx, b.rebind(q))
		if err != nil {
			return fmt.Errorf("baseline-store: prepare: %w", err)
		}
		b.stmts[i] = st
	}
	return nil
}

// commitLoop is the group committer: it takes what is queued (up to
// storeBaseMaxBatch messages) into one transaction, commits, answers, and
// starts over.
func (b *storeBase) commitLoop(ctx context.Context) {
	batch := make([]*baseMsg, 0, storeBaseMaxBatch)
	for {
		select {
		case m := <-b.reqs:
			batch = append(batch[:0], m)
		case <-ctx.Done():
			return
		}
	drain:
		for len(batch) < storeBaseMaxBatch {
			select {
			case m := <-b.reqs:
				batch = append(batch, m)
			default:
				break drain
			}
		}
		err := b.commit(ctx, batch)
		b.batches.Add(1)
		for _, m := range batch {
			m.done <- err
		}
	}
}

func (b *storeBase) commit(ctx context.Context, batch []*baseMsg) error {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	var st [4]*sql.Stmt
	for i, s := range b.stmts {
		st[i] = tx.StmtContext(ctx, s)
	}
	counter, dedup, history, event := st[0], st[1], st[2], st[3]
	for _, m := range batch {
		// No CloudCustomData or OfflinePushInfo, flags off, kept 7 days;
		// a duplicate key older than 120 s is taken over.
		expireAt, dedupSince := m.time+7*24*3600, m.time-120
		var toSeq, fromSeq int64
		err := errors.Join(
			counter.QueryRowContext(ctx, benchAppID, m.to).Scan(&toSeq),
			counter.QueryRowContext(ctx, benchAppID, m.from).Scan(&fromSeq))
		if err == nil {
			_, err = dedup.ExecContext(ctx, benchAppID, m.from, m.to, int64(m.seq), int64(m.random), m.contentHash, m.time, dedupSince)
		}
		if err == nil {
			_, err = history.ExecContext(ctx, benchAppID, m.lo, m.hi, m.time, int64(m.seq), int64(m.random), m.from, m.to, m.body,
				[]byte{}, "", 0, false, false, false, false, false)
		}
		if err == nil {
			_, err = event.ExecContext(ctx, benchAppID, m.to, toSeq, m.time, expireAt, m.payload)
		}
		if err == nil {
			_, err = event.ExecContext(ctx, benchAppID, m.from, fromSeq, m.time, expireAt, m.payload)
		}
		if err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("baseline-store: %w", err)
		}
	}
	return tx.Commit()
}
