// Package jsonobj splits a JSON object into its members without decoding
// them, for hot paths that only pick or drop members of an object: a push
// the gateway compacts for every message, a UserSig document at every
// login that misses the verifier's cache.
package jsonobj

import "strings"

// Member is one member of an object: Raw is `"key":value` as written,
// Value its value, Start and End the value's offsets in the object. Key is
// the key as written between its quotes, escapes kept: an escaped key
// matches no plain name.
type Member struct {
	Key        string
	Raw, Value []byte
	Start, End int
}

// Members splits obj into its members, in order. It checks the structure
// it walks (strings, nesting, separators, nothing after the object), not
// every literal: a caller decodes the values it uses.
func Members(obj []byte) ([]Member, bool) {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil, false
	}
	i = skipSpace(obj, i+1)
	out := make([]Member, 0, 8) // the objects this splits are small
	if i < len(obj) && obj[i] == '}' {
		return out, skipSpace(obj, i+1) == len(obj)
	}
	for i < len(obj) {
		from := i
		keyEnd, ok := skipString(obj, i)
		if !ok {
			return nil, false
		}
		i = skipSpace(obj, keyEnd)
		if i >= len(obj) || obj[i] != ':' {
			return nil, false
		}
		start := skipSpace(obj, i+1)
		end, ok := skipValue(obj, start)
		if !ok {
			return nil, false
		}
		out = append(out, Member{Key: string(obj[from+1 : keyEnd-1]), Raw: obj[from:end], Value: obj[start:end], Start: start, End: end})
		i = skipSpace(obj, end)
		switch {
		case i < len(obj) && obj[i] == ',':
			i = skipSpace(obj, i+1)
		case i < len(obj) && obj[i] == '}':
			return out, skipSpace(obj, i+1) == len(obj)
		default:
			return nil, false
		}
	}
	return nil, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// skipString returns the offset after the string starting at b[i].
func skipString(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// skipValue returns the offset after the value starting at b[i].
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, ok := skipString(b, i)
				if !ok {
					return 0, false
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	}
	start := i
	for i < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[i])) {
		i++
	}
	return i, i > start
}
