package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/chatd/chatd/client"
)

// ExampleClient_AddFriends asks a user to be friends, and the other user's
// client, which gets the request as an event, accepts it both ways. It
// needs a running server, so it has no Output.
func ExampleClient_AddFriends() {
	ctx := context.Background()
	alice, err := client.Dial(ctx, "http://127.0.0.1:8080", 1400000001, "alice", "<alice's UserSig>")
	if err != nil {
		log.Fatal(err)
	}
	defer alice.Close()
	bob, err := client.Dial(ctx, "http://127.0.0.1:8080", 1400000001, "bob", "<bob's UserSig>")
	if err != nil {
		log.Fatal(err)
	}
	defer bob.Close()

	res, err := alice.AddFriends(ctx, client.AddBoth, client.AddFriendItem{To: "bob", AddSource: "AddSource_Type_App", AddWording: "hi!"})
	if err != nil {
		log.Fatal(err)
	}
	if res[0].ResultCode == 30539 { // bob confirms requests (AllowType_Type_NeedConfirm)
		for ev := range bob.Events() {
			if req, ok := ev.FriendRequest(); ok && req.From == "alice" {
				err := bob.RespondFriendRequest(ctx, client.FriendResponse{From: "alice", Action: client.FriendAgreeAndAdd, Remark: "Alice"})
				if err != nil {
					log.Fatal(err)
				}
				break
			}
		}
	}
	for ev := range alice.Events() {
		if added, ok := ev.FriendAdded(); ok {
			fmt.Println("friends now:", added.PairList)
			break
		}
	}
}
