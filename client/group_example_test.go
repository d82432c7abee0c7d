package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/chatd/chatd/client"
)

// A user creates a Public group that needs approval, another applies, the
// owner approves from the event it receives, and both see the new member.
func Example_groups() {
	ctx := context.Background()
	const server, app = "http://127.0.0.1:8080", 1400000001
	owner, err := client.Dial(ctx, server, app, "alice", "<alice's UserSig>")
	if err != nil {
		log.Fatal(err)
	}
	defer owner.Close()
	groupID, err := owner.CreateGroup(ctx, client.NewGroup{Type: "Public", Name: "Book club", ApplyJoinOption: "NeedPermission"})
	if err != nil {
		log.Fatal(err)
	}

	bob, err := client.Dial(ctx, server, app, "bob", "<bob's UserSig>")
	if err != nil {
		log.Fatal(err)
	}
	defer bob.Close()
	joined, err := bob.ApplyToJoin(ctx, groupID, "I read a lot")
	var refused *client.Error
	if errors.As(err, &refused) && refused.Code == 10013 {
		joined = true // a member already
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println("joined at once:", joined)

	for e := range owner.Events() {
		if a, ok := e.JoinApplication(); ok && a.GroupID == groupID {
			if err := owner.ApproveApplication(ctx, groupID, a.Applicant); err != nil {
				log.Fatal(err)
			}
		}
		if j, ok := e.MemberJoined(); ok && j.GroupID == groupID {
			fmt.Println(j.Members, "joined; approved by", j.Operator, "at EventSeq", e.EventSeq)
			break
		}
	}
	members, err := bob.GroupMembers(ctx, groupID, client.MemberQuery{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("members:", members.MemberNum)
}
