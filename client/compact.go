package client

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// fullEvent restores a pushed event to the form syncs return it in: in
// protocol 2 the server leaves out of a push's event the GroupId and MsgSeq
// its frame carries at the top level, and a group message's MsgPriority
// when it is Normal. An event that has them is returned as it is.
func fullEvent(event json.RawMessage, groupID string, msgSeq int64) json.RawMessage {
	var has struct {
		Type        string           `json:"Type"`
		GroupID     *json.RawMessage `json:"GroupId"`
		MsgSeq      *json.RawMessage `json:"MsgSeq"`
		MsgPriority *json.RawMessage `json:"MsgPriority"`
	}
	if json.Unmarshal(event, &has) != nil {
		return event
	}
	var add []string
	if groupID != "" && has.GroupID == nil {
		id, _ := json.Marshal(groupID)
		add = append(add, `"GroupId":`+string(id))
	}
	if msgSeq != 0 && has.MsgSeq == nil {
		add = append(add, `"MsgSeq":`+strconv.FormatInt(msgSeq, 10))
	}
	if has.Type == "GroupMsg" && has.MsgPriority == nil {
		add = append(add, `"MsgPriority":"Normal"`)
	}
	if len(add) == 0 {
		return event
	}
	rest := bytes.TrimSpace(event)[1:] // after '{'
	out := append([]byte{'{'}, strings.Join(add, ",")...)
	if trimmed := bytes.TrimSpace(rest); len(trimmed) > 0 && trimmed[0] != '}' {
		out = append(out, ',')
	}
	return append(out, rest...)
}
