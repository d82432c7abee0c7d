package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/ops"
)

// The operations commands' codes: getappinfo's statistics codes, and for
// get_history and GetIPList the "Operations statistics download" codes of
// overview.md §5.4.
var (
	statsDomain = Domain{BadParam: im.CodeStatsBadRequest, Internal: im.CodeStatsQuery}
	opsDomain   = Domain{BadParam: im.CodeOpsBadRequest, Internal: im.CodeOpsInternal}
)

// opsAPI is the Operations management section of rest-users.md.
type opsAPI struct{ svc *ops.Service }

func (a opsAPI) commands() []Command {
	return []Command{
		command("v4/openconfigsvr/getappinfo", 200, statsDomain, a.appInfo),
		command("v4/open_msg_svc/get_history", 10, opsDomain, a.history),
		command("v4/ConfigSvc/GetIPList", 200, opsDomain, a.ipList),
	}
}

// opsCommands are the commands of operations, chatbots and push to all
// users.
func opsCommands(s Services) []Command {
	all := opsAPI{s.Ops}.commands()
	all = append(all, robotAPI{s.Bots}.commands()...)
	return append(all, pushAPI{s.Push}.commands()...)
}

type appInfoReq struct {
	RequestField []string
}

type appInfoResp struct {
	Result []map[string]string
}

func (a opsAPI) appInfo(ctx context.Context, call *Call, req *appInfoReq) (*appInfoResp, error) {
	rows, err := a.svc.AppInfo(ctx, call.App, req.RequestField)
	if err != nil {
		return nil, err
	}
	return &appInfoResp{Result: rows}, nil
}

type archiveReq struct {
	ChatType string
	MsgTime  string
}

type historyFilesResp struct {
	File []ops.File
}

func (a opsAPI) history(ctx context.Context, call *Call, req *archiveReq) (*historyFilesResp, error) {
	files, err := a.svc.History(ctx, call.App, req.ChatType, req.MsgTime)
	if err != nil {
		return nil, err
	}
	return &historyFilesResp{File: files}, nil
}

type ipListResp struct {
	IPList []string
}

func (a opsAPI) ipList(ctx context.Context, _ *Call, _ *struct{}) (*ipListResp, error) {
	addrs, err := a.svc.IPList(ctx)
	if err != nil {
		return nil, err
	}
	return &ipListResp{IPList: addrs}, nil
}

// Archives serves the files get_history lists: GET (or HEAD)
// ops.ArchivePath + token + ".gz". The token in the path is the
// credential; an unknown or forged one is 404, an expired URL 410.
type Archives interface {
	Download(ctx context.Context, path string) ([]byte, error)
}

// serveArchive answers a download of an archive file.
func (s *Server) serveArchive(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	data, err := s.archives.Download(r.Context(), r.URL.Path)
	switch {
	case errors.Is(err, ops.ErrNoArchive):
		http.Error(w, "no such archive", http.StatusNotFound)
		return
	case errors.Is(err, ops.ErrURLExpired):
		http.Error(w, "download URL expired: call get_history again", http.StatusGone)
		return
	case err != nil:
		s.log.Error("archive download", "err", err)
		http.Error(w, "unavailable, retry later", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(data)
	}
}
