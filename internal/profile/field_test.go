package profile

import (
	"encoding/json"
	"testing"

	"github.com/chatd/chatd/internal/config"
)

// TestCustomFieldDeclarations: declarations that break the vendor's rules
// (S4: letters only, at most 8, string or bytes, at most 20) stop the
// service from starting; good ones are served.
func TestCustomFieldDeclarations(t *testing.T) {
	tests := []struct {
		decl string
		ok   bool
	}{
		{`[{"key":"Hobby","kind":"string"},{"key":"Avatar","kind":"bytes","read":["user"],"write":["admin","user"]}]`, true},
		{`[{"key":"Hobby1","kind":"string"}]`, false},
		{`[{"key":"TooLongKey","kind":"string"}]`, false},
		{`[{"key":"","kind":"string"}]`, false},
		{`[{"key":"Age","kind":"uint32"}]`, false},
		{`[{"key":"Hobby","kind":"string"},{"key":"Hobby","kind":"bytes"}]`, false},
		{`[{"key":"Hobby","kind":"string","read":["everyone"]}]`, false},
		{twentyOne(), false},
	}
	for _, tt := range tests {
		app := config.App{SDKAppID: 1}
		if err := json.Unmarshal([]byte(tt.decl), &app.CustomProfileFields); err != nil {
			t.Fatal(err)
		}
		_, err := NewService(Deps{Apps: []config.App{app}})
		if (err == nil) != tt.ok {
			t.Errorf("declarations %s: error %v, want ok=%v", tt.decl, err, tt.ok)
		}
	}
}

// twentyOne declares one field more than an app may have.
func twentyOne() string {
	var fields []config.ProfileField
	for i := range MaxCustomFields + 1 {
		fields = append(fields, config.ProfileField{Key: "K" + string(rune('a'+i)), Kind: "string"})
	}
	b, _ := json.Marshal(fields)
	return string(b)
}
