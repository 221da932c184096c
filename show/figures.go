package show

import (
	"context"

	"github.com/ovation-live/ovation/live"
)

// PitchCounts returns the committed votes of every pitch of the event
// with the given code, per score, the audience's and the jury's apart: a
// report draws each pitch's distribution against its round's. ENotFound
// when no event has the code.
func (e *Engine) PitchCounts(ctx context.Context, code string) (map[int64]live.CountResults, error) {
	es := e.eventByCode(code)
	if es == nil {
		return nil, live.Errorf(live.ENotFound, "No event with code %q.", live.NormalizeCode(code))
	}
	if err := e.store.Flush(ctx); err != nil {
		return nil, err
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	out := map[int64]live.CountResults{}
	for _, r := range es.model().Rounds {
		es.tmu.Lock()
		for t, c := range es.scores(&r) {
			out[t.ID] = c.Results().(live.CountResults)
		}
		es.tmu.Unlock()
	}
	return out, nil
}
