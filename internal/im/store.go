package im

// Store is every domain store one engine provides.
type Store interface {
	AccountStore
	GroupStore
	MessageStore
	StreamStore
	C2CStore
	MsgExtStore
	ProfileStore
	RelationStore
	RobotStore
	PushStore
	OpsStore
	OutboxStore
	ConversationStore
	// Close releases the engine's resources.
	Close() error
}
