package im

import "testing"

func TestPushConditionMatch(t *testing.T) {
	alice := PushProfile{Attrs: map[int]string{0: "pro", 1: "eu"}, Tags: map[string]bool{"vip": true, "beta": true}}
	for _, c := range []struct {
		name string
		cond PushCondition
		want bool
	}{
		{"empty", PushCondition{}, true},
		{"AttrsAnd all", PushCondition{AttrsAnd: map[int]string{0: "pro", 1: "eu"}}, true},
		{"AttrsAnd one wrong", PushCondition{AttrsAnd: map[int]string{0: "pro", 1: "us"}}, false},
		{"AttrsAnd one absent", PushCondition{AttrsAnd: map[int]string{0: "pro", 2: ""}}, false},
		{"AttrsOr one", PushCondition{AttrsOr: map[int]string{0: "free", 1: "eu"}}, true},
		{"AttrsOr none", PushCondition{AttrsOr: map[int]string{0: "free", 1: "us"}}, false},
		{"AttrsAnd and AttrsOr", PushCondition{AttrsAnd: map[int]string{0: "pro"}, AttrsOr: map[int]string{1: "us"}}, false},
		{"TagsAnd all", PushCondition{TagsAnd: []string{"vip", "beta"}}, true},
		{"TagsAnd one missing", PushCondition{TagsAnd: []string{"vip", "new"}}, false},
		{"TagsOr one", PushCondition{TagsOr: []string{"new", "beta"}}, true},
		{"TagsOr none", PushCondition{TagsOr: []string{"new"}}, false},
		{"TagsAnd and TagsOr", PushCondition{TagsAnd: []string{"vip"}, TagsOr: []string{"new"}}, false},
	} {
		if got := c.cond.Match(alice); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
		if got := c.cond.Match(PushProfile{}); got != c.cond.Empty() {
			t.Errorf("%s, a user with nothing: %v", c.name, got)
		}
	}
}
