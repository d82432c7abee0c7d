package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
)

// Scenario is one row of the scenario table. Each scenario lives in its own
// file (bench/<name>.go) and adds itself with register from an init func,
// so adding a scenario touches no other file.
type Scenario struct {
	Name        string
	Description string
	// Baseline says what chatd is compared with, for the doc.
	Baseline string
	// Order places the scenario in `all` and in the report.
	Order int
	// Flags registers the scenario's own flags; nil when it has none. All
	// scenarios' flags share one flag set so `all` accepts every one, hence
	// names must be unique across scenarios.
	Flags func(fs *flag.FlagSet)
	// Run measures chatd and its baseline and returns the figures.
	Run func(ctx context.Context, env *Env) (*Report, error)
}

// scenarios is the table, filled by register.
var scenarios []Scenario

// register adds a scenario to the table; a duplicate name is a programming
// error caught at start-up.
func register(s Scenario) {
	for _, o := range scenarios {
		if o.Name == s.Name {
			panic("bench: scenario " + s.Name + " registered twice")
		}
	}
	scenarios = append(scenarios, s)
	sort.SliceStable(scenarios, func(i, j int) bool { return scenarios[i].Order < scenarios[j].Order })
}

// lookup finds a scenario by name.
func lookup(name string) (Scenario, bool) {
	for _, s := range scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// Report is what one scenario measured.
type Report struct {
	Scenario string
	Rows     []Row
	// Notes are context lines: CPU use, where processes ran, absolute
	// sizes, why a case was skipped.
	Notes []string
	// Skipped, when set, says why the scenario measured nothing.
	Skipped string
	// Err is set by the driver when the scenario failed.
	Err error
}

// Row is one figure of chatd with its same-run baseline.
type Row struct {
	Case   string // the size measured, e.g. "10,000 conns"
	Metric string
	Unit   string
	Value  float64
	// Baseline is the same figure for the bare baseline server; NaN when
	// no baseline is meaningful (BaselineNote then says why).
	Baseline     float64
	BaselineNote string
	Target       string // human text, "" when the issue sets none
	Status       string // statusMet, statusMissed or ""
}

// Row statuses.
const (
	statusMet    = "met"
	statusMissed = "MISSED"
)

// notMeasured marks a figure that was not measured (no baseline, or a
// case skipped).
var notMeasured = math.NaN()

// addNote appends a formatted note.
func (r *Report) addNote(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// skipRow records a case this machine cannot run.
func skipRow(name, why string) Row {
	return Row{Case: name, Metric: "skipped: " + why, Value: notMeasured, Baseline: notMeasured, BaselineNote: "n/a (skipped)"}
}

// check returns the status of a figure against a target.
func check(ok bool) string {
	if ok {
		return statusMet
	}
	return statusMissed
}

// ratio formats value/baseline, or the reason there is none.
func (r Row) ratio() string {
	if math.IsNaN(r.Value) || math.IsNaN(r.Baseline) {
		switch {
		case r.BaselineNote != "":
			return r.BaselineNote
		case math.IsNaN(r.Value):
			return "n/a (chatd not measured)"
		}
		return "n/a"
	}
	if r.Baseline == 0 {
		return "n/a (baseline 0)"
	}
	return fmt.Sprintf("%.2f×", r.Value/r.Baseline)
}

func (r Row) baselineText() string {
	if math.IsNaN(r.Baseline) {
		return "-"
	}
	return formatValue(r.Baseline, r.Unit)
}

// formatValue prints a figure with its unit, thousands grouped.
func formatValue(v float64, unit string) string {
	var s string
	switch {
	case math.IsNaN(v):
		return "-"
	case unit == "ms" || unit == "%":
		s = fmt.Sprintf("%.2f", v)
	case math.Abs(v) >= 100 || v == math.Trunc(v):
		s = groupThousands(int64(math.Round(v)))
	default:
		s = fmt.Sprintf("%.3f", v)
	}
	if unit == "" {
		return s
	}
	return s + " " + unit
}

// groupThousands writes 12345 as 12,345.
func groupThousands(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// printReport writes one scenario's table and notes for a terminal.
func printReport(w io.Writer, r *Report) {
	fmt.Fprintf(w, "\n== %s ==\n", r.Scenario)
	switch {
	case r.Err != nil:
		fmt.Fprintf(w, "%s: FAILED: %v\n", r.Scenario, r.Err)
	case r.Skipped != "":
		fmt.Fprintf(w, "%s: skipped — %s\n", r.Scenario, r.Skipped)
	}
	if len(r.Rows) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "scenario\tcase\tmetric\tchatd\tbaseline\tratio\ttarget\tstatus")
		for _, row := range r.Rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Scenario, row.Case, row.Metric,
				formatValue(row.Value, row.Unit), row.baselineText(), row.ratio(), dash(row.Target), dash(row.Status))
		}
		_ = tw.Flush()
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  - %s\n", n)
	}
}

// markdownTable writes every report's rows as one Markdown table.
func markdownTable(w io.Writer, reports []*Report) {
	fmt.Fprintln(w, "| scenario | case | metric | chatd | baseline | ratio | target | status |")
	fmt.Fprintln(w, "|---|---|---|--:|--:|--:|---|---|")
	for _, r := range reports {
		switch {
		case r.Err != nil:
			fmt.Fprintf(w, "| %s | | failed: %s | | | | | |\n", r.Scenario, mdEscape(r.Err.Error()))
		case r.Skipped != "":
			fmt.Fprintf(w, "| %s | | skipped: %s | | | | | |\n", r.Scenario, mdEscape(r.Skipped))
		}
		for _, row := range r.Rows {
			status := row.Status
			if status == statusMissed {
				status = "**missed**"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Scenario, mdEscape(row.Case), mdEscape(row.Metric),
				formatValue(row.Value, row.Unit), row.baselineText(), mdEscape(row.ratio()), mdEscape(dash(row.Target)), dash(status))
		}
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
