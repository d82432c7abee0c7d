package webhook

import (
	"context"
	"net"
	"strings"
)

// OptPlatform values (webhooks.md, "Request the server sends").
const (
	PlatformREST    = "RESTAPI"
	PlatformUnknown = "Unknown"
	// platformIOS is the iOS value of every callback but State.StateChange,
	// which spells it stateIOS.
	platformIOS = "iOS"
	stateIOS    = "IOS"
)

// clientPlatforms maps the platforms a client names at login
// (docs/client-protocol.md) to OptPlatform.
var clientPlatforms = map[string]string{
	"iPhone":  platformIOS,
	"Android": "Android",
	"Web":     "Web",
	"PC":      "Windows",
	"iPad":    "iPad",
	"Mac":     "Mac",
}

// ClientPlatform is the OptPlatform of a gateway client's platform.
func ClientPlatform(platform string) string {
	if p, ok := clientPlatforms[platform]; ok {
		return p
	}
	return PlatformUnknown
}

// Origin is what triggered an action, as the callbacks about it report:
// the platform and address of the REST caller or the client, and for REST
// calls the admin account and the command.
type Origin struct {
	// Platform is the OptPlatform value.
	Platform string
	// ClientIP is the caller's address, without port; "" when unknown.
	ClientIP string
	// Admin is the identifier of a REST call: the app admin.
	Admin string
	// Command is a REST call's path (e.g. "v4/openim/sendmsg").
	Command string
}

type originKey struct{}

// WithOrigin returns ctx carrying o: the REST transport and the gateway
// set it for each call, the callbacks read it.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginOf returns the origin ctx carries: Unknown when none, as for work
// chatd does on its own.
func OriginOf(ctx context.Context) Origin {
	if o, ok := ctx.Value(originKey{}).(Origin); ok {
		return o
	}
	return Origin{Platform: PlatformUnknown}
}

// HostOf is the address part of a "host:port" remote address.
func HostOf(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return strings.Trim(remote, "[]")
}
