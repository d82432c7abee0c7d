package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// exactKeys drops the object members of data whose names are not exactly a
// field of t. encoding/json matches names case-insensitively, but the
// vendor's field names are case-sensitive (overview.md §1.3): "userid" is an
// unknown field, ignored, not UserID. Bodies whose keys all match exactly
// (the normal case) are returned as they are, without re-encoding.
func exactKeys(data []byte, t reflect.Type) []byte {
	if !hasInexactKey(data, t) {
		return data
	}
	return filterKeys(data, t)
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
		out, _ := json.Marshal(items)
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
		out, _ := json.Marshal(obj)
		return out
	}
	return data
}
