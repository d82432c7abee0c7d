package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/chatd/chatd/client"
)

// A vote on a one-to-one message: each party sets its own key, naming the
// Seq it last saw, and keeps a cache of the pairs up to date with the
// changes the other party makes. It needs a running server.
func ExampleClient_SetExtensions() {
	ctx := context.Background()
	alice, err := client.Dial(ctx, "http://127.0.0.1:8080", 1400000001, "alice", "eJw...")
	if err != nil {
		log.Fatal(err)
	}
	defer alice.Close()
	sent, err := alice.SendC2C(ctx, "bob", []client.MsgElem{client.Text("Lunch at noon?")}, client.WithExtensions())
	if err != nil {
		log.Fatal(err)
	}
	msg := client.C2CMsgRef("alice", "bob", sent.MsgKey)

	// A new key is set with Seq 0.
	res, err := alice.SetExtensions(ctx, msg, client.Extension{Key: "alice", Value: "yes"})
	if err != nil {
		log.Fatal(err)
	}
	if r := res.Results[0]; r.ErrorCode == client.CodeExtensionConflict {
		// Someone set the key first: r.Extension is what they wrote.
		// Overwrite it knowingly by naming its Seq.
		_, err = alice.SetExtensions(ctx, msg, client.Extension{Key: "alice", Value: "yes", Seq: r.Extension.Seq})
		if err != nil {
			log.Fatal(err)
		}
	}

	cache := map[string]client.Extension{}
	all, err := alice.Extensions(ctx, msg)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range all.Pairs {
		cache[p.Key] = p
	}
	for ev := range alice.Events() {
		if x, ok := ev.ExtensionChange(); ok && x.MsgKey == sent.MsgKey {
			x.Apply(cache)
			fmt.Println(x.Operator, "voted:", cache)
		}
	}
}

// Applying the changes of a message's extensions, in the order the events
// arrive, to a cache of its pairs.
func ExampleExtensionChange_Apply() {
	cache := map[string]client.Extension{}
	for _, x := range []client.ExtensionChange{
		{OperateType: 1, Set: []client.Extension{{Key: "yes", Value: "1", Seq: 1}, {Key: "no", Value: "1", Seq: 2}}},
		{OperateType: 1, Set: []client.Extension{{Key: "yes", Value: "2", Seq: 3}}},
		{OperateType: 2, DeletedKeys: []string{"no"}},
		{OperateType: 3, ClearSeq: 3},
		{OperateType: 1, Set: []client.Extension{{Key: "maybe", Value: "1", Seq: 4}}, ClearSeq: 3},
	} {
		x.Apply(cache)
		fmt.Println(cache)
	}
	// Output:
	// map[no:no=1@2 yes:yes=1@1]
	// map[no:no=1@2 yes:yes=2@3]
	// map[yes:yes=2@3]
	// map[]
	// map[maybe:maybe=1@4]
}
