package main

import (
	"fmt"
	"io"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/usersig"
)

// printWelcome tells a newcomer everything needed for a first call: the
// app, an admin UserSig, a curl to paste and how to fill a live room.
func printWelcome(w io.Writer, cfg config.Config, created bool, addr string) {
	app := cfg.Apps[0]
	admin := app.Admins[0]
	sig := usersig.Generate(app.SecretKey, app.SDKAppID, admin, int64(defaultSigLifetime/time.Second), time.Now())
	base := "http://" + addr
	query := fmt.Sprintf("sdkappid=%d&identifier=%s&usersig=%s&random=1&contenttype=json", app.SDKAppID, admin, sig)
	state := "using the app in " + cfg.DataDir
	if created {
		state = "created a new app, kept in " + cfg.DataDir
	}
	fmt.Fprintf(w, `chatd is listening on %s (%s)

  SDKAppID:   %d
  Admin:      %s
  Admin UserSig (valid 180 days):
    %s

Try it:
  curl -s -X POST '%s/v4/im_open_login_svc/account_check?%s' \
       -d '{"CheckItem":[{"UserID":"%s"}]}'

Create a live room and watch its online count move:
  curl -s -X POST '%s/v4/group_open_http_svc/create_group?%s' \
       -d '{"Type":"AVChatRoom","GroupId":"demo-room","Name":"Demo"}'
  go run ./cmd/chatd viewers --server %s --group demo-room --count 100
  curl -s -X POST '%s/v4/group_open_http_svc/get_online_member_num?%s' \
       -d '{"GroupId":"demo-room"}'

`, base, state, app.SDKAppID, admin, sig, base, query, admin, base, query, base, base, query)
}
