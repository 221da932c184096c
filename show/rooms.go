package show

import (
	"slices"

	"github.com/ovation-live/ovation/live"
)

// Rooms returns copies of the event's rooms by id, or ENotFound when there
// is no event with that id: for services that match rooms by name (the
// programme's imports).
func (e *Engine) Rooms(eventID int64) ([]live.Room, error) {
	es := e.eventByID(eventID)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No event %d.", eventID)
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	out := make([]live.Room, 0, len(es.rooms))
	for _, r := range es.rooms {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b live.Room) int { return int(a.ID - b.ID) })
	return out, nil
}
