package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/chatd/chatd/client"
)

// A member sends a message that asks for read receipts, learns who read
// it, and recalls it; the group's other members see the recall. (It needs
// a running server, so it has no Output to check.)
func ExampleClient_RecallGroupMessage() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "http://127.0.0.1:8080", 1400000001, "alice", "<alice's UserSig>")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	sent, err := c.SendGroup(ctx, "team", []client.MsgElem{client.Text("lunch at noon?")}, client.WithReadReceipt())
	if err != nil {
		log.Fatal(err)
	}
	for ev := range c.Events() {
		if r, ok := ev.GroupMsgReceipt(); ok {
			fmt.Printf("%s read it: %+v\n", r.Reader, r.Receipts)
			break
		}
	}
	if err := c.RecallGroupMessage(ctx, "team", sent.MsgSeq); err != nil {
		log.Fatal(err) // 10031 once 2 minutes have passed
	}
}

// A member reads a group message and tells its sender.
func ExampleClient_SendGroupReceipt() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "http://127.0.0.1:8080", 1400000001, "bob", "<bob's UserSig>")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for ev := range c.Events() {
		switch {
		case ev.Type == client.TypeGroupMsg:
			m, _ := ev.GroupMessage()
			if m.NeedReadReceipt == 1 {
				_ = c.SendGroupReceipt(ctx, m.GroupID, m.MsgSeq)
			}
		case ev.Type == client.TypeGroupMsgRecalled:
			r, _ := ev.GroupMsgRecalled()
			fmt.Println("recalled:", r.GroupID, r.MsgSeqList)
		}
	}
}

// A community member posts in a topic and catches up with it after being
// away.
func ExampleClient_SyncTopic() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "http://127.0.0.1:8080", 1400000001, "carol", "<carol's UserSig>")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	const community, topic = "@TGS#_@TGS#cKQ2M8ZP1D", "@TGS#_@TGS#cKQ2M8ZP1D@TOPIC#_releases"
	if _, err := c.SendGroup(ctx, community, []client.MsgElem{client.Text("v2.4 is out")}, client.InTopic(topic)); err != nil {
		log.Fatal(err)
	}
	const lastSeen = 7 // saved from the previous session
	page, err := c.SyncTopic(ctx, community, topic, lastSeen)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range page.Messages {
		fmt.Println(m.MsgSeq, m.Message.From, m.Message.MsgBody)
	}
	fmt.Println("save for the next session:", page.MsgSeq)
}
