package report

import (
	"context"
	"time"

	"github.com/ovation-live/ovation/board"
	"github.com/ovation-live/ovation/feed"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/show"
)

// Sources are where a report's facts come from. Show and Store are
// required; an event without a feed or boards service leaves Feed or
// Boards nil, and its report leaves those sections empty.
type Sources struct {
	Show   Show
	Store  Store
	Feed   Feeds
	Boards Boards
}

// Show is what a report asks the running show (show.Engine implements it).
type Show interface {
	Model(code string) (*show.Model, error)
	Results(ctx context.Context, code string) (*show.Results, error)
	PitchCounts(ctx context.Context, code string) (map[int64]live.CountResults, error)
}

// Store is what a report reads from the store (store.DB implements it).
type Store interface {
	Figures(ctx context.Context, eventID int64) ([]live.Figure, error)
	Participation(ctx context.Context, eventID int64) (live.Participation, error)
	FeedVolume(ctx context.Context, eventID int64, from, to time.Time) ([]live.VolumeCount, error)
	Talks(ctx context.Context, eventID int64) ([]live.Talk, error)
	TalkParticipation(ctx context.Context, eventID int64, talks []live.Talk) (map[int64]live.RoomParticipation, error)
}

// Feeds is what a report asks the feed (feed.Service implements it).
type Feeds interface {
	Moments(ctx context.Context, code string, roomID int64, from, to time.Time, o feed.PeakOptions) (feed.MomentsPage, error)
}

// Boards is what a report asks the boards (board.Service implements it).
type Boards interface {
	Boards(ctx context.Context, code string) ([]live.Board, error)
	Entries(ctx context.Context, code string, boardID int64, order string, public bool, who *board.Participant) ([]live.Entry, error)
	MeetingRequests(ctx context.Context, code string, pitchID int64) ([]live.MeetingRequest, *live.Pitch, error)
}
