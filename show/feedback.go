package show

import (
	"sort"

	"github.com/ovation-live/ovation/live"
)

// Surveys returns copies of every survey of the event (with their
// questions' ids), by id; none for an unknown event. The session feedback's
// clock reads them to know which session has its survey.
func (e *Engine) Surveys(eventID int64) []live.Survey {
	es := e.eventByID(eventID)
	if es == nil {
		return nil
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	out := make([]live.Survey, 0, len(es.surveys))
	for _, s := range es.surveys {
		out = append(out, es.surveyCopy(s))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
