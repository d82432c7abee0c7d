package config

// AppWideLimit is the key of App.RateLimits that sets the app-wide request
// limit of overview.md §3 (60011 beyond it): all REST calls of the app
// together, per second, across the cluster. The spec gives no number, so
// it is off unless an app sets it: "rate_limits": {"*": 1000}.
const AppWideLimit = "*"

// RequestLimit returns the app-wide request limit per second, 0 when off.
func (a *App) RequestLimit() int {
	return max(a.RateLimits[AppWideLimit], 0)
}
