package im

// Store is every domain store one engine provides.
type Store interface {
	AccountStore
	GroupStore
	MessageStore
	// Close releases the engine's resources.
	Close() error
}
