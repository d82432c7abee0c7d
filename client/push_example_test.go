package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/chatd/chatd/client"
)

// ExampleClient_SyncPushes reads the pushes the app made to all users
// while this user was away, then those that arrive while it is connected.
// It needs a running server, so it has no Output.
func ExampleClient_SyncPushes() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "http://127.0.0.1:8080", 1400000001, "alice", "<alice's UserSig>")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	var saved int64 // the position kept from the last session
	missed, pos, err := c.SyncPushes(ctx, saved)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range missed {
		fmt.Println("missed:", p.TaskID, p.MsgBody)
	}
	for ev := range c.Events() {
		if p, ok := ev.AllMemberPush(); ok && p.PushSeq > pos {
			pos = p.PushSeq
			fmt.Println("pushed:", p.TaskID, p.MsgBody)
		}
	}
}
