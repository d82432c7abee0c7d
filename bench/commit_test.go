package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/store"
	"github.com/chatd/chatd/internal/store/pgtest"
	"github.com/chatd/chatd/internal/store/postgres"
	"github.com/chatd/chatd/internal/store/sqlite"
)

// The write path alone, without chatd around it: how much one batch of
// one-to-one sends costs store.CommitStream. It is what the optimizations
// of the send path were measured with (the commit messages quote it):
//
//	taskset -c 0 go test ./bench -run '^$' -bench CommitStream -benchtime 40x
//
// cpu-ns/msg is this process's CPU per message (on SQLite that is all of
// the store's work; on PostgreSQL the server's is elsewhere), wall-ns/msg
// the elapsed time per message with batches committed back to back.

// commitBatches are the messages per CommitStream call: about what the
// latency phase of `bench send` (1,000 sends/s) and its gateway phase
// gather per transaction.
var commitBatches = []int{4, 250}

// commitUsers are the accounts sending to each other.
const commitUsers = 500

func BenchmarkCommitStreamSQLite(b *testing.B) {
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "chatd.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	benchCommitStream(b, db)
}

func BenchmarkCommitStreamPostgres(b *testing.B) {
	db, err := postgres.Open(context.Background(), pgtest.NewDatabase(b), postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	benchCommitStream(b, db)
}

// benchCommitStream commits batches of sends, each a history row with its
// duplicate key and an entry in both users' streams, as message.SendC2C
// builds them for a client's send.
func benchCommitStream(b *testing.B, db *store.DB) {
	items := make([]im.AccountImport, commitUsers)
	for i := range items {
		items[i] = im.AccountImport{Account: im.Account{AppID: benchAppID, UserID: fmt.Sprintf("u%d", i), CreatedAt: 1}}
	}
	if err := db.ImportAccounts(context.Background(), items); err != nil {
		b.Fatal(err)
	}
	var sent int
	for _, size := range commitBatches {
		for _, callbacks := range []bool{false, true} {
			b.Run(fmt.Sprintf("batch=%d/callbacks=%v", size, callbacks), func(b *testing.B) { benchCommitBatches(b, db, size, callbacks, &sent) })
		}
	}
}

// benchCommitBatches commits batches of size sends; *sent numbers the
// messages across runs, so each one is new. With callbacks, each send
// also stores an after-send callback in the outbox, as with
// C2C.CallbackAfterSendMsg on.
func benchCommitBatches(b *testing.B, db *store.DB, size int, callbacks bool, sent *int) {
	ctx := context.Background()
	first, cpu0 := *sent, selfCPU()
	for b.Loop() {
		now := time.Now()
		writes := make([]im.StreamWrite, size)
		for i := range writes {
			*sent++
			n := *sent
			from, to := fmt.Sprintf("u%d", n%commitUsers), fmt.Sprintf("u%d", (n+1)%commitUsers)
			body := appendMsgBody(nil, n, now, defaultSendPayload)
			m := im.C2CMessage{AppID: benchAppID, From: from, To: to, Seq: uint32(n), Random: uint32(n), Time: now.Unix(), Body: body}
			payload := json.RawMessage(fmt.Sprintf(`{"Type":"C2CMsg","From_Account":%q,"To_Account":%q,"MsgSeq":%d,"MsgRandom":%d,"MsgTime":%d,"MsgKey":"%s","MsgBody":%s}`,
				from, to, m.Seq, m.Random, m.Time, m.Key(), body))
			expire := now.Add(7 * 24 * time.Hour).Unix()
			writes[i] = im.StreamWrite{AppID: benchAppID, Time: m.Time,
				C2C:        &im.C2CAppend{Msg: m, Keep: true, ContentHash: int64(n), DedupSince: now.Add(-2 * time.Minute).Unix()},
				UserEvents: []im.UserEventAppend{{UserID: to, Payload: payload, ExpireAt: expire}, {UserID: from, Payload: payload, ExpireAt: expire}}}
			if callbacks {
				writes[i].Callbacks = []im.Callback{{Key: fmt.Sprintf("bench-%012d", n), Owner: "bench", Seq: int64(n), AppID: benchAppID,
					Lane: from + "|" + to, Request: payload, UnreadOf: to}}
			}
		}
		if _, err := db.CommitStream(ctx, writes); err != nil {
			b.Fatal(err)
		}
	}
	msgs := float64(*sent - first)
	b.ReportMetric(float64(selfCPU()-cpu0)/msgs, "cpu-ns/msg")
	b.ReportMetric(float64(b.Elapsed())/msgs, "wall-ns/msg")
}
