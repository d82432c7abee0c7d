package client_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/chatd/chatd/client"
)

// A one-to-one conversation from bob's side: read what alice sent, mark it
// read (alice's devices get the receipt), and follow recalls and edits.
func ExampleClient_MarkC2CRead() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "http://127.0.0.1:8080", 1400000001, "bob", "<bob's UserSig>")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for ev := range c.Events() {
		if m, ok := ev.C2CMessage(); ok && m.From == "alice" {
			fmt.Println("alice:", m.MsgBody)
			if _, err := c.MarkC2CRead(ctx, "alice", time.Unix(m.MsgTime, 0)); err != nil {
				log.Print(err)
			}
		}
		if r, ok := ev.C2CMsgRecalled(); ok {
			fmt.Println("recalled:", r.MsgKey)
		}
		if m, ok := ev.C2CMsgModified(); ok {
			fmt.Println("edited:", m.MsgKey, m.MsgBody)
		}
		if r, ok := ev.C2CRead(); ok && r.Reader == "alice" {
			fmt.Println("alice read up to", r.MsgReadTime)
		}
	}
}

// Sending, then recalling within two minutes.
func ExampleClient_RecallC2C() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "http://127.0.0.1:8080", 1400000001, "alice", "<alice's UserSig>")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	sent, err := c.SendC2C(ctx, "bob", []client.MsgElem{client.Text("wrong chat!")})
	if err != nil {
		log.Fatal(err)
	}
	if err := c.RecallC2C(ctx, "bob", sent.MsgKey); err != nil {
		log.Fatal(err) // 20016 after two minutes
	}
}

// Paging through a conversation's history, newest first, and the unread
// counts.
func ExampleClient_C2CHistory() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "http://127.0.0.1:8080", 1400000001, "bob", "<bob's UserSig>")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	q := client.HistoryQuery{MaxCnt: 50}
	for {
		page, err := c.C2CHistory(ctx, "alice", q)
		if err != nil {
			log.Fatal(err)
		}
		for i := len(page.Messages) - 1; i >= 0; i-- {
			m := page.Messages[i]
			fmt.Println(m.MsgTimeStamp, m.From, m.MsgBody, m.IsPeerRead == 1, m.MsgFlagBits == 8)
		}
		var more bool
		if q, more = page.Next(q); !more {
			break
		}
	}
	total, perPeer, err := c.C2CUnread(ctx, "alice", "carol")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(total, perPeer["alice"], perPeer["carol"])
}
