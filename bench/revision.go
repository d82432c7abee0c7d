package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// chatdSource says which chatd a run measures and prepares its source:
// the working tree by default, or a git revision exported with git archive
// into dir (the working tree and its index are left alone), so a run can
// measure a commit while someone edits the tree.
func chatdSource(ctx context.Context, root, rev, dir string) (src, desc string, err error) {
	if rev == "" {
		return root, describeTree(ctx, root), nil
	}
	sha, err := git(ctx, root, "rev-parse", "--short", rev+"^{commit}")
	if err != nil {
		return "", "", fmt.Errorf("--rev %s: %w", rev, err)
	}
	src = filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", "", err
	}
	archive := exec.CommandContext(ctx, "git", "archive", sha)
	archive.Dir = root
	untar := exec.CommandContext(ctx, "tar", "-x", "-C", src)
	if untar.Stdin, err = archive.StdoutPipe(); err != nil {
		return "", "", err
	}
	if err := untar.Start(); err != nil {
		return "", "", fmt.Errorf("--rev %s: tar: %w", rev, err)
	}
	if err := archive.Run(); err != nil {
		return "", "", fmt.Errorf("--rev %s: git archive: %w", rev, err)
	}
	if err := untar.Wait(); err != nil {
		return "", "", fmt.Errorf("--rev %s: tar: %w", rev, err)
	}
	return src, fmt.Sprintf("commit %s (--rev %s)", sha, rev), nil
}

// describeTree names the working tree's commit and any uncommitted changes
// outside the harness's own files, which the measured binary includes.
func describeTree(ctx context.Context, root string) string {
	sha, err := git(ctx, root, "rev-parse", "--short", "HEAD")
	if err != nil {
		return "working tree (not a git checkout)"
	}
	status, _ := git(ctx, root, "status", "--porcelain", "--", ".", ":!bench", ":!docs/BENCHMARKS.md")
	var changed []string
	for line := range strings.SplitSeq(status, "\n") {
		// "XY path": git's output arrives trimmed, so the first line may
		// have lost a blank status column.
		if _, path, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			changed = append(changed, strings.TrimSpace(path))
		}
	}
	if len(changed) == 0 {
		return "commit " + sha + " (clean working tree)"
	}
	return fmt.Sprintf("working tree at commit %s with uncommitted changes in %s", sha, strings.Join(changed, ", "))
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
