package api

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chatd/chatd/internal/account"
	"github.com/chatd/chatd/internal/group"
)

// specTable is the master list of REST paths, beside the repository as
// DEVELOPERS.md lays it out (shared/spec/endpoints.tsv).
const specTable = "../../../shared/spec/endpoints.tsv"

// TestCommandTableMatchesSpec checks every row of the command table against
// endpoints.tsv: the path exists there and the rate is its per_second.
func TestCommandTableMatchesSpec(t *testing.T) {
	f, err := os.Open(specTable)
	if err != nil {
		t.Skipf("spec table not found beside the repository: %v", err)
	}
	defer f.Close()
	rates := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 2 || cols[0] == "path" {
			continue
		}
		n, err := strconv.Atoi(cols[1])
		if err != nil {
			t.Fatalf("endpoints.tsv: %q: bad per_second %q", cols[0], cols[1])
		}
		rates[cols[0]] = n
	}
	rows := Commands(Services{Accounts: account.NewService(nil), Groups: group.NewService(nil, nil, nil)})
	if len(rows) == 0 {
		t.Fatal("empty command table")
	}
	seen := map[string]bool{}
	for _, c := range rows {
		want, ok := rates[c.Path]
		switch {
		case seen[c.Path]:
			t.Errorf("%s registered twice", c.Path)
		case !ok:
			t.Errorf("%s is not a path of endpoints.tsv", c.Path)
		case c.Rate != want:
			t.Errorf("%s: rate %d, endpoints.tsv says %d", c.Path, c.Rate, want)
		}
		seen[c.Path] = true
	}
}
