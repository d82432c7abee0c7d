package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"github.com/chatd/chatd/internal/im"
)

// exactKeys drops the object members of data whose names are not exactly a
// field of t. encoding/json matches names case-insensitively, but the
// vendor's field names are case-sensitive (overview.md §1.3): "userid" is an
// unknown field, ignored, not UserID. Bodies whose keys all match exactly
// (the normal case) are returned as they are, without re-encoding.
func exactKeys(data []byte, t reflect.Type) []byte {
	if !hasSuspectKey(data, namesOf(t)) || !hasInexactKey(data, t) {
		return data
	}
	return filterKeys(data, t)
}

// keyNames are the field names of a request type at every depth: a cheap
// first test that most bodies pass without being decoded twice.
type keyNames struct {
	exact  map[string]bool
	folded map[string]bool // ASCII lower case of each name
}

var namesCache sync.Map // reflect.Type -> *keyNames

func namesOf(t reflect.Type) *keyNames {
	if cached, ok := namesCache.Load(t); ok {
		return cached.(*keyNames)
	}
	n := &keyNames{exact: map[string]bool{}, folded: map[string]bool{}}
	var walk func(t reflect.Type, depth int)
	walk = func(t reflect.Type, depth int) {
		t = deref(t)
		switch {
		case depth > 8:
		case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
			walk(t.Elem(), depth+1)
		case t.Kind() == reflect.Struct:
			for name, ft := range fieldsOf(t) {
				n.exact[name] = true
				n.folded[strings.ToLower(name)] = true
				walk(ft, depth+1)
			}
		}
	}
	walk(t, 0)
	namesCache.Store(t, n)
	return n
}

// hasSuspectKey scans the object keys of a JSON text (valid, as checked
// before) and reports whether one could be matched to a field only by
// encoding/json's case-insensitive rule: not a field name itself, yet equal
// to one ignoring ASCII case, or not ASCII at all (Unicode folding).
func hasSuspectKey(data []byte, names *keyNames) bool {
	var lower [64]byte
	for i := 0; i < len(data); i++ {
		if data[i] != '"' {
			continue
		}
		start := i + 1
		for i++; i < len(data) && data[i] != '"'; i++ {
			if data[i] == '\\' {
				i++
			}
		}
		key := data[start:min(i, len(data))]
		j := i + 1
		for j < len(data) && (data[j] == ' ' || data[j] == '\t' || data[j] == '\n' || data[j] == '\r') {
			j++
		}
		if j >= len(data) || data[j] != ':' || names.exact[string(key)] {
			continue // a string value, or an exact field name
		}
		if len(key) > len(lower) {
			return true
		}
		for k, c := range key {
			if c >= 0x80 || c == '\\' {
				return true
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			lower[k] = c
		}
		if names.folded[string(lower[:len(key)])] {
			return true
		}
	}
	return false
}

// fieldsOf returns t's JSON field names and types, cached per type.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if cached, ok := fieldCache.Load(t); ok {
		return cached.(map[string]reflect.Type)
	}
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Tag.Get("json") == "" && deref(f.Type).Kind() == reflect.Struct {
			// encoding/json promotes an embedded struct's fields.
			for name, ft := range fieldsOf(deref(f.Type)) {
				fields[name] = ft
			}
			continue
		}
		name := f.Name
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == "-" {
			continue
		} else if tag != "" {
			name = tag
		}
		fields[name] = f.Type
	}
	fieldCache.Store(t, fields)
	return fields
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// hasInexactKey reports whether any object key in data, at any depth that
// t describes, is not an exact field name.
func hasInexactKey(data []byte, t reflect.Type) bool {
	t = deref(t)
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(data, &items) != nil {
			return false // the real decode reports the type error
		}
		for _, it := range items {
			if hasInexactKey(it, t.Elem()) {
				return true
			}
		}
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			return false
		}
		fields := fieldsOf(t)
		for k, v := range obj {
			ft, ok := fields[k]
			if !ok && foldsToField(k, fields) || ok && hasInexactKey(v, ft) {
				return true
			}
		}
	}
	return false
}

// foldsToField reports whether an unknown key would still be matched to a
// field by encoding/json's case-insensitive rule; other unknown keys are
// ignored by the decoder anyway.
func foldsToField(key string, fields map[string]reflect.Type) bool {
	for name := range fields {
		if strings.EqualFold(key, name) {
			return true
		}
	}
	return false
}

func filterKeys(data []byte, t reflect.Type) []byte {
	t = deref(t)
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(data, &items) != nil || items == nil {
			return data
		}
		for i := range items {
			items[i] = filterKeys(items[i], t.Elem())
		}
		out, _ := im.EncodeJSON(items)
		return out
	case reflect.Struct:
		if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
			return data
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			return data
		}
		fields := fieldsOf(t)
		for k, v := range obj {
			if ft, ok := fields[k]; ok {
				obj[k] = filterKeys(v, ft)
			} else {
				delete(obj, k)
			}
		}
		out, _ := im.EncodeJSON(obj)
		return out
	}
	return data
}
