package group

import (
	"context"

	"github.com/chatd/chatd/internal/im"
)

// Hooks are the app's callbacks about groups (webhooks.md): the before
// hooks answer inline and refuse with an *im.Error carrying the caller's
// code; the after hooks queue the report and return at once. Imports
// (import_group, import_group_member, import_topic) call none.
type Hooks interface {
	// BeforeCreate asks about a group about to be created with its
	// initial members (the owner first).
	BeforeCreate(ctx context.Context, by Operator, g *im.Group, members []im.Member) error
	// AfterCreate reports a group created.
	AfterCreate(ctx context.Context, by Operator, g *im.Group, members []im.Member)
	// BeforeApply asks about a user's request to join (an application to
	// a stored group, or entering a live group).
	BeforeApply(ctx context.Context, g *im.Group, userID string) error
	// BeforeInvite asks about users about to be added by operator; the
	// refused ones are not added.
	BeforeInvite(ctx context.Context, by Operator, g *im.Group, userIDs []string) (refused []string, err error)
	// AfterJoin reports users who became members: invited (added by
	// operator) or by application (operator: the applicant, or who
	// approved).
	AfterJoin(ctx context.Context, g *im.Group, operator string, userIDs []string, invited bool)
	// AfterLeave reports members who left: kicked by operator, or who
	// quit.
	AfterLeave(ctx context.Context, g *im.Group, operator string, userIDs []string, kicked bool)
	// AfterFull reports a group that reached its member limit, or turned
	// a join away because it had.
	AfterFull(ctx context.Context, g *im.Group)
	// AfterDestroy reports a disbanded group with its members at the
	// time (none listed for a Community).
	AfterDestroy(ctx context.Context, g *im.Group, members []im.Member)
	// AfterInfoChange reports a change of the group's name, introduction,
	// notification or face URL (ev's other fields are not reported).
	AfterInfoChange(ctx context.Context, g *im.Group, ev GroupInfoChanged)
	// AfterMemberChange reports a change of a member's role or name card.
	AfterMemberChange(ctx context.Context, g *im.Group, ev MemberInfoChanged)
	// AfterOwnerChange reports a transfer of ownership.
	AfterOwnerChange(ctx context.Context, g *im.Group, ev OwnerChanged)
	// AfterAttrChange reports a write of the group's custom attributes:
	// the pairs it set, or the pairs it removed.
	AfterAttrChange(ctx context.Context, g *im.Group, operator string, op AttrOp, attrs []im.Attr)
	// BeforeCreateTopic asks about a topic about to be created.
	BeforeCreateTopic(ctx context.Context, by Operator, g *im.Group, name string) error
	// AfterCreateTopic reports a topic created.
	AfterCreateTopic(ctx context.Context, by Operator, g *im.Group, t *im.Topic)
	// AfterDestroyTopics reports topics deleted.
	AfterDestroyTopics(ctx context.Context, g *im.Group, topicIDs []string)
	// AfterTopicChange reports a change of a topic's name, introduction,
	// notification or face URL: the new values of those that changed.
	AfterTopicChange(ctx context.Context, by Operator, g *im.Group, topicID string, ch TopicChange)
}

// SetHooks wires the app's callbacks in; nil sends none. Like SetDelivery
// it is called once, before anything is served.
func (s *Service) SetHooks(h Hooks) {
	if h == nil {
		h = noHooks{}
	}
	s.hooks = h
}

// reportJoin tells the callbacks of a join: the users added, and a group
// that is full now, or was when the join was turned away (10014).
func (s *Service) reportJoin(ctx context.Context, g *im.Group, operator string, added []string, invited bool, err error) {
	if im.CodeOf(err) == im.CodeGroupFull {
		s.hooks.AfterFull(ctx, g)
		return
	}
	if err != nil || len(added) == 0 {
		return
	}
	s.hooks.AfterJoin(ctx, g, operator, added, invited)
	if g.MaxMemberNum > 0 && g.MemberNum+len(added) >= g.MaxMemberNum {
		s.hooks.AfterFull(ctx, g)
	}
}

// noHooks sends no callbacks.
type noHooks struct{}

func (noHooks) BeforeCreate(context.Context, Operator, *im.Group, []im.Member) error       { return nil }
func (noHooks) AfterCreate(context.Context, Operator, *im.Group, []im.Member)              {}
func (noHooks) BeforeApply(context.Context, *im.Group, string) error                       { return nil }
func (noHooks) AfterJoin(context.Context, *im.Group, string, []string, bool)               {}
func (noHooks) AfterLeave(context.Context, *im.Group, string, []string, bool)              {}
func (noHooks) AfterFull(context.Context, *im.Group)                                       {}
func (noHooks) AfterDestroy(context.Context, *im.Group, []im.Member)                       {}
func (noHooks) AfterInfoChange(context.Context, *im.Group, GroupInfoChanged)               {}
func (noHooks) AfterMemberChange(context.Context, *im.Group, MemberInfoChanged)            {}
func (noHooks) AfterOwnerChange(context.Context, *im.Group, OwnerChanged)                  {}
func (noHooks) AfterAttrChange(context.Context, *im.Group, string, AttrOp, []im.Attr)      {}
func (noHooks) BeforeCreateTopic(context.Context, Operator, *im.Group, string) error       { return nil }
func (noHooks) AfterCreateTopic(context.Context, Operator, *im.Group, *im.Topic)           {}
func (noHooks) AfterDestroyTopics(context.Context, *im.Group, []string)                    {}
func (noHooks) AfterTopicChange(context.Context, Operator, *im.Group, string, TopicChange) {}
func (noHooks) BeforeInvite(context.Context, Operator, *im.Group, []string) ([]string, error) {
	return nil, nil
}
