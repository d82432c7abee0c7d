package message

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/chatd/chatd/internal/im"
)

// kind is the JSON shape a MsgContent field must have.
type kind int

const (
	kindString  kind = iota // a string
	kindNumber              // a number
	kindFlag2               // the number 2: "downloadable from the URL"
	kindStrings             // an array of strings
	kindObjects             // an array of objects, each checked against items
)

// field is one known MsgContent field. Fields not listed pass through
// unchecked, as do values of listed fields inside their shape.
type field struct {
	name     string
	kind     kind
	required bool
	items    []field // kindObjects only
}

// customElem may appear at most once in a message.
const customElem = "TIMCustomElem"

// imageInfo is one rendition of TIMImageElem.ImageInfoArray.
var imageInfo = []field{
	{name: "Type", kind: kindNumber},
	{name: "Size", kind: kindNumber},
	{name: "Width", kind: kindNumber, required: true},
	{name: "Height", kind: kindNumber, required: true},
	{name: "URL", kind: kindString, required: true},
}

// downloadable is a voice or file element: what a REST sender must fill,
// then the element's own fields.
func downloadable(own ...field) []field {
	return append([]field{
		{name: "Url", kind: kindString, required: true},
		{name: "UUID", kind: kindString, required: true},
		{name: "Download_Flag", kind: kindFlag2, required: true},
	}, own...)
}

// elemFields is S2's element table: each MsgType with its MsgContent fields.
// Required marks what a REST sender must fill in; media elements therefore
// need their URLs and download flags (the legacy client forms without them
// are not accepted over REST).
var elemFields = map[string][]field{
	"TIMTextElem": {{name: "Text", kind: kindString, required: true}},
	"TIMLocationElem": {
		{name: "Desc", kind: kindString},
		{name: "Latitude", kind: kindNumber, required: true},
		{name: "Longitude", kind: kindNumber, required: true},
	},
	"TIMFaceElem": {{name: "Index", kind: kindNumber, required: true}, {name: "Data", kind: kindString}},
	customElem: {
		{name: "Data", kind: kindString}, {name: "Desc", kind: kindString}, {name: "Ext", kind: kindString}, {name: "Sound", kind: kindString},
	},
	"TIMSoundElem": downloadable(field{name: "Size", kind: kindNumber}, field{name: "Second", kind: kindNumber}),
	"TIMImageElem": {
		{name: "UUID", kind: kindString, required: true},
		{name: "ImageFormat", kind: kindNumber},
		{name: "ImageInfoArray", kind: kindObjects, required: true, items: imageInfo},
	},
	"TIMFileElem": downloadable(field{name: "FileSize", kind: kindNumber}, field{name: "FileName", kind: kindString}),
	"TIMVideoFileElem": {
		{name: "VideoUrl", kind: kindString, required: true},
		{name: "VideoUUID", kind: kindString, required: true},
		{name: "VideoSize", kind: kindNumber},
		{name: "VideoSecond", kind: kindNumber},
		{name: "VideoFormat", kind: kindString},
		{name: "VideoDownloadFlag", kind: kindFlag2, required: true},
		{name: "ThumbUrl", kind: kindString, required: true},
		{name: "ThumbUUID", kind: kindString, required: true},
		{name: "ThumbSize", kind: kindNumber},
		{name: "ThumbWidth", kind: kindNumber, required: true},
		{name: "ThumbHeight", kind: kindNumber, required: true},
		{name: "ThumbFormat", kind: kindString},
		{name: "ThumbDownloadFlag", kind: kindFlag2, required: true},
	},
	// Forwarded bundles are stored and returned verbatim; only the shape of
	// the documented fields is checked.
	"TIMRelayElem": {
		{name: "Title", kind: kindString},
		{name: "MsgNum", kind: kindNumber},
		{name: "CompatibleText", kind: kindString},
		{name: "AbstractList", kind: kindStrings},
		{name: "MsgList", kind: kindObjects},
		{name: "JsonMsgKey", kind: kindString},
	},
}

// encodeBody checks a MsgBody against S2 and returns it as one compact JSON
// array. Contents are compacted, not re-encoded: every string keeps the
// exact text the sender wrote, escapes included. A failure is answered
// with code, the area's code for a malformed body.
func encodeBody(elems []im.MsgElem, code int) (json.RawMessage, error) {
	if len(elems) == 0 {
		return nil, &im.Error{Code: code, Info: "MsgBody must hold at least one element"}
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	customs := 0
	for i, e := range elems {
		fields, ok := elemFields[e.Type]
		if !ok {
			return nil, im.Errorf(code, "MsgBody[%d].MsgType %q is not a message element type", i, e.Type)
		}
		if e.Type == customElem {
			if customs++; customs > 1 {
				return nil, &im.Error{Code: code, Info: "a message may hold at most one TIMCustomElem"}
			}
		}
		if err := checkObject(e.Content, fields); err != nil {
			return nil, im.Errorf(code, "MsgBody[%d].MsgContent of %s: %v", i, e.Type, err)
		}
		if !utf8.Valid(e.Content) {
			return nil, im.Errorf(code, "MsgBody[%d].MsgContent is not valid UTF-8", i)
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		// The type is a name from elemFields: nothing in it needs escaping.
		buf.WriteString(`{"MsgType":"` + e.Type + `","MsgContent":`)
		if err := json.Compact(&buf, e.Content); err != nil {
			return nil, im.Errorf(code, "MsgBody[%d].MsgContent is not JSON", i)
		}
		buf.WriteByte('}')
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

// checkObject checks that raw is a JSON object whose listed fields have
// their kinds. A null field counts as absent.
func checkObject(raw json.RawMessage, fields []field) error {
	var obj map[string]json.RawMessage
	if b := bytes.TrimSpace(raw); len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &obj) != nil {
		return errors.New("must be a JSON object")
	}
	for _, f := range fields {
		v := bytes.TrimSpace(obj[f.name])
		if len(v) == 0 || string(v) == "null" {
			if f.required {
				return fmt.Errorf("%s is required", f.name)
			}
			continue
		}
		if err := checkValue(v, f); err != nil {
			return err
		}
	}
	return nil
}

func checkValue(v json.RawMessage, f field) error {
	switch f.kind {
	case kindString:
		if v[0] != '"' {
			return fmt.Errorf("%s must be a string", f.name)
		}
	case kindNumber:
		if v[0] != '-' && (v[0] < '0' || v[0] > '9') {
			return fmt.Errorf("%s must be a number", f.name)
		}
	case kindFlag2:
		if n, err := strconv.ParseFloat(string(v), 64); err != nil || n != 2 {
			return fmt.Errorf("%s must be 2", f.name)
		}
	case kindStrings:
		var list []string
		if v[0] != '[' || json.Unmarshal(v, &list) != nil {
			return fmt.Errorf("%s must be an array of strings", f.name)
		}
	case kindObjects:
		var list []json.RawMessage
		if v[0] != '[' || json.Unmarshal(v, &list) != nil {
			return fmt.Errorf("%s must be an array of objects", f.name)
		}
		if f.required && len(list) == 0 {
			return fmt.Errorf("%s must not be empty", f.name)
		}
		for i, item := range list {
			if err := checkObject(item, f.items); err != nil {
				return fmt.Errorf("%s[%d] %w", f.name, i, err)
			}
		}
	}
	return nil
}
