package client

import (
	"context"
	"encoding/json"
)

// TagValue is one profile or friend field (Tag_Profile_IM_Nick,
// Tag_SNS_IM_Remark, ...) with its JSON value: a number, a string, or for
// Tag_SNS_IM_Group an array of strings.
type TagValue struct {
	Tag   string          `json:"Tag"`
	Value json.RawMessage `json:"Value"`
}

// Field builds a TagValue; value is encoded as JSON.
func Field(tag string, value any) TagValue {
	v, _ := json.Marshal(value)
	return TagValue{Tag: tag, Value: v}
}

// UserProfile is one account's profile fields; ResultCode 40003 when it is
// not an account.
type UserProfile struct {
	UserID      string     `json:"To_Account"`
	ProfileItem []TagValue `json:"ProfileItem"`
	ResultCode  int        `json:"ResultCode"`
	ResultInfo  string     `json:"ResultInfo"`
}

// GetProfiles reads profiles: the user's own when userIDs is empty, the
// fields named by tags or, without tags, every field the user may read.
// Only fields that are set are returned.
func (c *Client) GetProfiles(ctx context.Context, userIDs []string, tags ...string) ([]UserProfile, error) {
	var out struct {
		UserProfileItem []UserProfile `json:"UserProfileItem"`
	}
	err := c.request(ctx, "get_profile", map[string]any{"To_Account": userIDs, "TagList": tags}, &out)
	return out.UserProfileItem, err
}

// SetProfile writes fields of the user's own profile. The server checks
// them as the REST API does (40009 unknown tag, 40008 not writable by
// users, 40610 wrong kind, 40605 bad value, 40601 too long); the user's
// other devices and the users whose friend table holds them get a
// ProfileChanged event.
func (c *Client) SetProfile(ctx context.Context, fields ...TagValue) error {
	return c.request(ctx, "set_profile", map[string]any{"ProfileItem": fields}, nil)
}

// GlobalMute is what is left of the user's app-wide mutes, in seconds: 0
// not muted, 4294967295 for ever.
type GlobalMute struct {
	C2C   int64 `json:"C2CmsgNospeakingTime"`
	Group int64 `json:"GroupmsgNospeakingTime"`
}

// GlobalMute reads the user's global mute.
func (c *Client) GlobalMute(ctx context.Context) (*GlobalMute, error) {
	var out GlobalMute
	if err := c.request(ctx, "get_global_mute", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AddType values of AddFriends.
const (
	AddBoth   = "Add_Type_Both"
	AddSingle = "Add_Type_Single"
)

// AddFriendItem is one user to add as a friend. AddSource is
// "AddSource_Type_" and up to 8 letters.
type AddFriendItem struct {
	To         string `json:"To_Account"`
	AddSource  string `json:"AddSource"`
	Remark     string `json:"Remark,omitempty"`
	GroupName  string `json:"GroupName,omitempty"`
	AddWording string `json:"AddWording,omitempty"`
}

// ItemResult is one target's outcome of a batch call.
type ItemResult struct {
	To         string `json:"To_Account"`
	ResultCode int    `json:"ResultCode"`
	ResultInfo string `json:"ResultInfo"`
}

// AddFriends asks to add friends, AddBoth or AddSingle, with the REST
// API's per-target codes: 0 added, 30539 a request now awaits the target's
// answer (their AllowType is NeedConfirm), 30516 they take no requests,
// 30515 / 30525 a blocklist stands between, 30001 already a friend.
func (c *Client) AddFriends(ctx context.Context, addType string, items ...AddFriendItem) ([]ItemResult, error) {
	var out struct {
		ResultItem []ItemResult `json:"ResultItem"`
	}
	err := c.request(ctx, "add_friend", map[string]any{"AddType": addType, "AddFriendItem": items}, &out)
	return out.ResultItem, err
}

// Answers to a friend request.
const (
	// FriendAgree adds the user to the requester's friends only.
	FriendAgree = "Response_Action_Agree"
	// FriendAgreeAndAdd adds each to the other's friends.
	FriendAgreeAndAdd = "Response_Action_AgreeAndAdd"
	// FriendReject drops the request.
	FriendReject = "Response_Action_Reject"
)

// FriendResponse answers the pending request From sent the user; Remark
// and GroupName are what the user keeps about them with FriendAgreeAndAdd.
type FriendResponse struct {
	From      string `json:"From_Account"`
	Action    string `json:"ResponseAction"`
	Remark    string `json:"Remark,omitempty"`
	GroupName string `json:"GroupName,omitempty"`
}

// RespondFriendRequest answers a pending friend request: 30614 when there
// is none.
func (c *Client) RespondFriendRequest(ctx context.Context, r FriendResponse) error {
	return c.request(ctx, "respond_friend_request", r, nil)
}

// FriendRequest is a pending friend request, and the "FriendRequest"
// event both sides get when it is made.
type FriendRequest struct {
	From       string `json:"From_Account"`
	To         string `json:"To_Account"`
	AddSource  string `json:"AddSource"`
	AddWording string `json:"AddWording"`
	AddType    string `json:"AddType"`
	AddTime    int64  `json:"AddTime"`
}

// FriendRequests lists the pending requests the user sent and received.
func (c *Client) FriendRequests(ctx context.Context) ([]FriendRequest, error) {
	var out struct {
		RequestItem []FriendRequest `json:"RequestItem"`
	}
	err := c.request(ctx, "get_friend_requests", nil, &out)
	return out.RequestItem, err
}

// DeleteFriends removes friends from the user's table, and with both the
// user from theirs; a target that is not a friend gets 31704.
func (c *Client) DeleteFriends(ctx context.Context, both bool, userIDs ...string) ([]ItemResult, error) {
	deleteType := "Delete_Type_Single"
	if both {
		deleteType = "Delete_Type_Both"
	}
	var out struct {
		ResultItem []ItemResult `json:"ResultItem"`
	}
	err := c.request(ctx, "delete_friend", map[string]any{"To_Account": userIDs, "DeleteType": deleteType}, &out)
	return out.ResultItem, err
}

// UpdateFriend changes what the user keeps about a friend:
// Tag_SNS_IM_Remark, Tag_SNS_IM_Group (the lists, replaced) or a custom
// friend field. It fails with the friend's code (30001 not a friend).
func (c *Client) UpdateFriend(ctx context.Context, userID string, fields ...TagValue) error {
	var out struct {
		ResultItem []ItemResult `json:"ResultItem"`
	}
	item := map[string]any{"To_Account": userID, "SnsItem": fields}
	if err := c.request(ctx, "update_friend", map[string]any{"UpdateItem": []any{item}}, &out); err != nil {
		return err
	}
	if len(out.ResultItem) == 1 && out.ResultItem[0].ResultCode != 0 {
		return &Error{Code: out.ResultItem[0].ResultCode, Info: out.ResultItem[0].ResultInfo}
	}
	return nil
}

// Friend is one entry of the user's friend table with every field set.
type Friend struct {
	UserID    string     `json:"To_Account"`
	ValueItem []TagValue `json:"ValueItem"`
}

// Friends returns the user's whole friend table, in UserID order.
func (c *Client) Friends(ctx context.Context) ([]Friend, error) {
	var all []Friend
	for start := 0; ; {
		var page struct {
			UserDataItem   []Friend `json:"UserDataItem"`
			CompleteFlag   int      `json:"CompleteFlag"`
			NextStartIndex int      `json:"NextStartIndex"`
		}
		if err := c.request(ctx, "get_friends", map[string]any{"StartIndex": start}, &page); err != nil {
			return nil, err
		}
		all = append(all, page.UserDataItem...)
		if page.CompleteFlag != 0 || page.NextStartIndex <= start {
			return all, nil
		}
		start = page.NextStartIndex
	}
}

// FriendProfile is one friend's fields, friend and profile ones mixed
// (ResultCode 30001 when not a friend).
type FriendProfile struct {
	UserID     string     `json:"To_Account"`
	Fields     []TagValue `json:"SnsProfileItem"`
	ResultCode int        `json:"ResultCode"`
	ResultInfo string     `json:"ResultInfo"`
}

// FriendProfiles reads the fields named by tags — friend fields
// (Tag_SNS_IM_Remark, ...) and profile fields (Tag_Profile_IM_Nick, ...)
// — of up to 100 friends.
func (c *Client) FriendProfiles(ctx context.Context, userIDs []string, tags ...string) ([]FriendProfile, error) {
	var out struct {
		InfoItem []FriendProfile `json:"InfoItem"`
	}
	err := c.request(ctx, "get_friend_profiles", map[string]any{"To_Account": userIDs, "TagList": tags}, &out)
	return out.InfoItem, err
}

// checkItem is one answer of a check.
type checkItem struct {
	To       string `json:"To_Account"`
	Relation string `json:"Relation"`
}

// Relations of CheckFriends and CheckBlocks, without their
// CheckResult_Type_ / BlackCheckResult_Type_ prefix: "BothWay", "AWithB"
// (the other user is in the user's table or blocklist), "BWithA" (the
// user is in theirs), "NoRelation" or "NO".
func relations(items []checkItem, prefix string) map[string]string {
	out := make(map[string]string, len(items))
	for _, it := range items {
		out[it.To] = it.Relation[min(len(prefix), len(it.Relation)):]
	}
	return out
}

// CheckFriends reports the friendship between the user and each of
// userIDs: with both, both tables are read; otherwise only the user's.
func (c *Client) CheckFriends(ctx context.Context, both bool, userIDs ...string) (map[string]string, error) {
	checkType := "CheckResult_Type_Single"
	if both {
		checkType = "CheckResult_Type_Both"
	}
	var out struct {
		InfoItem []checkItem `json:"InfoItem"`
	}
	if err := c.request(ctx, "check_friend", map[string]any{"To_Account": userIDs, "CheckType": checkType}, &out); err != nil {
		return nil, err
	}
	return relations(out.InfoItem, "CheckResult_Type_"), nil
}

// AddFriendLists creates friend lists and puts the named friends into all
// of them.
func (c *Client) AddFriendLists(ctx context.Context, names []string, friends ...string) ([]ItemResult, error) {
	req := map[string]any{"GroupName": names}
	if len(friends) > 0 {
		req["To_Account"] = friends
	}
	var out struct {
		ResultItem []ItemResult `json:"ResultItem"`
	}
	err := c.request(ctx, "add_friend_list", req, &out)
	return out.ResultItem, err
}

// DeleteFriendLists deletes friend lists; their friends stay friends.
func (c *Client) DeleteFriendLists(ctx context.Context, names ...string) error {
	return c.request(ctx, "delete_friend_list", map[string]any{"GroupName": names}, nil)
}

// FriendList is one of the user's friend lists with its members.
type FriendList struct {
	Name         string   `json:"GroupName"`
	FriendNumber int      `json:"FriendNumber"`
	Members      []string `json:"To_Account"`
}

// FriendLists returns the user's friend lists in creation order.
func (c *Client) FriendLists(ctx context.Context) ([]FriendList, error) {
	var out struct {
		ResultItem []FriendList `json:"ResultItem"`
	}
	err := c.request(ctx, "get_friend_lists", map[string]any{"LastSequence": 0, "NeedFriend": "Need_Friend_Type_Yes"}, &out)
	return out.ResultItem, err
}

// Block puts users on the user's blocklist, which ends a friendship with
// them either way; they can no longer send the user one-to-one messages
// (20007).
func (c *Client) Block(ctx context.Context, userIDs ...string) ([]ItemResult, error) {
	var out struct {
		ResultItem []ItemResult `json:"ResultItem"`
	}
	err := c.request(ctx, "add_blocklist", map[string]any{"To_Account": userIDs}, &out)
	return out.ResultItem, err
}

// Unblock takes users off the user's blocklist.
func (c *Client) Unblock(ctx context.Context, userIDs ...string) ([]ItemResult, error) {
	var out struct {
		ResultItem []ItemResult `json:"ResultItem"`
	}
	err := c.request(ctx, "delete_blocklist", map[string]any{"To_Account": userIDs}, &out)
	return out.ResultItem, err
}

// Blocked is one entry of the user's blocklist.
type Blocked struct {
	UserID string `json:"To_Account"`
	Time   int64  `json:"AddBlackTimeStamp"`
}

// Blocklist returns the user's whole blocklist, oldest first.
func (c *Client) Blocklist(ctx context.Context) ([]Blocked, error) {
	var all []Blocked
	for start := 0; ; {
		var page struct {
			BlackListItem []Blocked `json:"BlackListItem"`
			StartIndex    int       `json:"StartIndex"`
		}
		if err := c.request(ctx, "get_blocklist", map[string]any{"StartIndex": start, "MaxLimited": 1000}, &page); err != nil {
			return nil, err
		}
		all = append(all, page.BlackListItem...)
		if page.StartIndex <= start {
			return all, nil
		}
		start = page.StartIndex
	}
}

// CheckBlocks reports the blocklist relation between the user and each
// of userIDs ("BothWay", "AWithB", "BWithA", "NO").
func (c *Client) CheckBlocks(ctx context.Context, both bool, userIDs ...string) (map[string]string, error) {
	checkType := "BlackCheckResult_Type_Single"
	if both {
		checkType = "BlackCheckResult_Type_Both"
	}
	var out struct {
		Items []checkItem `json:"BlackListCheckItem"`
	}
	if err := c.request(ctx, "check_blocklist", map[string]any{"To_Account": userIDs, "CheckType": checkType}, &out); err != nil {
		return nil, err
	}
	return relations(out.Items, "BlackCheckResult_Type_"), nil
}
