package api

import (
	"context"

	"github.com/chatd/chatd/internal/account"
	"github.com/chatd/chatd/internal/im"
)

// accountAPI is the Account management section of rest-users.md.
type accountAPI struct{ svc *account.Service }

func (a accountAPI) commands() []Command {
	return []Command{
		command("v4/im_open_login_svc/account_import", 200, accountDomain, a.importOne),
		command("v4/im_open_login_svc/multiaccount_import", 100, accountDomain, a.importMany),
		command("v4/im_open_login_svc/account_delete", 100, accountDomain, a.delete),
		command("v4/im_open_login_svc/account_check", 100, accountDomain, a.check),
		command("v4/im_open_login_svc/kick", 200, accountDomain, a.kick),
		command("v4/openim/query_online_status", 200, accountDomain, a.onlineStatus),
	}
}

// profileFields are the optional profile fields of an import; a field left
// out keeps the stored value of an existing account.
type profileFields struct {
	Nick    *string
	FaceUrl *string
}

func (p profileFields) apply(userID string) im.AccountImport {
	it := im.AccountImport{Account: im.Account{UserID: userID}, SetNick: p.Nick != nil, SetFaceURL: p.FaceUrl != nil}
	if p.Nick != nil {
		it.Nick = *p.Nick
	}
	if p.FaceUrl != nil {
		it.FaceURL = *p.FaceUrl
	}
	return it
}

// accountID is the account a request imports or kicks: UserID, or
// Identifier, the field's name in earlier revisions of the API that client
// libraries still send (the current name wins when both are present).
type accountID struct {
	UserID     *string
	Identifier *string
}

// id is the account named, nil when neither field is present.
func (a accountID) id() *string {
	if a.UserID != nil {
		return a.UserID
	}
	return a.Identifier
}

type accountImportReq struct {
	accountID
	profileFields
}

type empty struct{}

func (a accountAPI) importOne(ctx context.Context, call *Call, req *accountImportReq) (*empty, error) {
	id := req.id()
	if id == nil {
		return nil, &im.Error{Code: im.CodeAccountBadParam, Info: "UserID is required"}
	}
	_, err := a.svc.Import(ctx, call.App, []im.AccountImport{req.apply(*id)}, call.Now)
	if err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type multiImportReq struct {
	Accounts    []string
	AccountList []struct {
		accountID
		profileFields
	}
}

type multiImportResp struct {
	FailAccounts []string
}

func (a accountAPI) importMany(ctx context.Context, call *Call, req *multiImportReq) (*multiImportResp, error) {
	if (req.Accounts == nil) == (req.AccountList == nil) {
		return nil, &im.Error{Code: im.CodeAccountBadParam, Info: "send exactly one of Accounts and AccountList"}
	}
	n := max(len(req.Accounts), len(req.AccountList))
	if n == 0 || n > account.MaxBatch {
		return nil, im.Errorf(im.CodeAccountBadParam, "1 to %d accounts per request, got %d", account.MaxBatch, n)
	}
	items := make([]im.AccountImport, 0, n)
	for _, id := range req.Accounts {
		items = append(items, im.AccountImport{Account: im.Account{UserID: id}})
	}
	for _, it := range req.AccountList {
		id := it.id()
		if id == nil {
			return nil, &im.Error{Code: im.CodeAccountBadParam, Info: "AccountList.UserID is required"}
		}
		items = append(items, it.apply(*id))
	}
	failed, err := a.svc.Import(ctx, call.App, items, call.Now)
	if err != nil && len(failed) == 0 {
		return nil, err
	}
	// In the batch form a cap or cool-down refusal is per ID, not a failure.
	return &multiImportResp{FailAccounts: nonNil(failed)}, nil
}

type userItem struct {
	UserID *string
}

// userIDs validates a DeleteItem/CheckItem list.
func userIDs(items []userItem, field string) ([]string, error) {
	if len(items) == 0 || len(items) > account.MaxBatch {
		return nil, im.Errorf(im.CodeAccountBadParam, "%s must hold 1 to %d items, got %d", field, account.MaxBatch, len(items))
	}
	ids := make([]string, len(items))
	for i, it := range items {
		if it.UserID == nil || *it.UserID == "" {
			return nil, im.Errorf(im.CodeAccountBadParam, "%s.UserID is required", field)
		}
		ids[i] = *it.UserID
	}
	return ids, nil
}

type deleteReq struct {
	DeleteItem []userItem
}

type resultItem struct {
	UserID        string
	ResultCode    int
	ResultInfo    string
	AccountStatus string `json:",omitempty"`
}

type resultResp struct {
	ResultItem []resultItem
}

func (a accountAPI) delete(ctx context.Context, call *Call, req *deleteReq) (*resultResp, error) {
	ids, err := userIDs(req.DeleteItem, "DeleteItem")
	if err != nil {
		return nil, err
	}
	results, err := a.svc.Delete(ctx, call.App, ids, call.Now)
	if err != nil {
		return nil, err
	}
	resp := &resultResp{ResultItem: make([]resultItem, len(results))}
	for i, r := range results {
		resp.ResultItem[i] = resultItem{UserID: r.UserID, ResultCode: r.Code}
		if r.Code == im.CodeAccountNotFound {
			resp.ResultItem[i].ResultInfo = "Err_TLS_PT_Open_Login_Account_Not_Exist"
		}
	}
	return resp, nil
}

type checkReq struct {
	CheckItem []userItem
}

func (a accountAPI) check(ctx context.Context, call *Call, req *checkReq) (*resultResp, error) {
	ids, err := userIDs(req.CheckItem, "CheckItem")
	if err != nil {
		return nil, err
	}
	found, err := a.svc.Exists(ctx, call.App.SDKAppID, ids)
	if err != nil {
		return nil, err
	}
	resp := &resultResp{ResultItem: make([]resultItem, len(ids))}
	for i, id := range ids {
		status := "NotImported"
		if _, ok := found[id]; ok {
			status = "Imported"
		}
		resp.ResultItem[i] = resultItem{UserID: id, AccountStatus: status}
	}
	return resp, nil
}

// nonNil makes an absent list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

type kickReq struct {
	accountID
}

func (a accountAPI) kick(ctx context.Context, call *Call, req *kickReq) (*empty, error) {
	id := req.id()
	if id == nil || *id == "" {
		return nil, &im.Error{Code: im.CodeAccountBadParam, Info: "UserID is required"}
	}
	if err := a.svc.Kick(ctx, call.App, *id, call.Now); err != nil {
		return nil, err
	}
	return &empty{}, nil
}
