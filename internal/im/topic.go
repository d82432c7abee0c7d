package im

import "context"

// Topic is one topic of a community (rest-groups.md, Community
// management). Its members are the community's members.
type Topic struct {
	AppID         uint64
	GroupID       string
	ID            string
	Name          string
	FaceURL       string
	Notification  string
	Introduction  string
	CustomString  string
	MuteAllMember bool
	Creator       string // From_Account of create_topic / import_topic
	CreateTime    int64
	LastMsgTime   int64
	// NextMsgSeq is the MsgSeq the topic's next message gets, from 1.
	NextMsgSeq int64
}

// TopicStore persists community topics.
type TopicStore interface {
	// CreateTopic inserts t unless the group already holds limit topics
	// (ErrFull). It returns ErrConflict when the group has a topic t.ID and
	// ErrNotFound when the group does not exist.
	CreateTopic(ctx context.Context, t *Topic, limit int) error
	// GetTopic returns a topic, or ErrNotFound.
	GetTopic(ctx context.Context, appID uint64, groupID, topicID string) (*Topic, error)
	// ListTopics returns a group's topics by creation time, then ID.
	ListTopics(ctx context.Context, appID uint64, groupID string) ([]Topic, error)
	// UpdateTopic runs apply on a topic and stores its profile fields (Name,
	// FaceURL, Notification, Introduction, CustomString, MuteAllMember) as
	// apply left them, in one transaction holding the row. An error from
	// apply rolls back and is returned wrapped. It returns the stored topic,
	// or ErrNotFound.
	UpdateTopic(ctx context.Context, appID uint64, groupID, topicID string, apply func(t *Topic) error) (*Topic, error)
	// DeleteTopic removes a topic and its mutes, or returns ErrNotFound.
	DeleteTopic(ctx context.Context, appID uint64, groupID, topicID string) error
}
