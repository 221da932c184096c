package feed

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/ovation-live/ovation/live"
)

// PeakOptions tunes peak detection. Zero values take the defaults.
type PeakOptions struct {
	Window     int     // minutes of history the baseline is taken from; default 30
	MinHistory int     // minutes of history needed before a peak can be called; default 5
	K          float64 // robust deviations above the baseline; default 3.5
	MinVolume  int     // items a minute needs to be a peak at all; default 3
}

// Peak is one detected peak: the index of its minute in the series, the
// baseline it stands above and its score in robust deviations.
type Peak struct {
	Index    int
	Baseline float64
	Score    float64
}

// Peaks finds the peaks of a per-minute series. For each minute, the
// baseline is the median of the Window minutes before it, and the spread is
// their median absolute deviation scaled to a standard deviation
// (1.4826 × MAD), at least 1 so that a flat quiet series does not make every
// blip a peak. A minute is a peak when it holds at least MinVolume items and
// stands at least K spreads above the baseline. Consecutive peak minutes are
// one peak, at their highest minute. The method is robust: one burst does
// not raise the baseline the next burst is measured against by much.
func Peaks(series []int, o PeakOptions) []Peak {
	if o.Window <= 0 {
		o.Window = 30
	}
	if o.MinHistory <= 0 {
		o.MinHistory = 5
	}
	if o.K <= 0 {
		o.K = 3.5
	}
	if o.MinVolume <= 0 {
		o.MinVolume = 3
	}
	var peaks []Peak
	inPeak := false
	for i, x := range series {
		lo := max(0, i-o.Window)
		hist := series[lo:i]
		if len(hist) < o.MinHistory || x < o.MinVolume {
			inPeak = false
			continue
		}
		med := median(hist)
		dev := make([]float64, len(hist))
		for j, h := range hist {
			dev[j] = abs(float64(h) - med)
		}
		spread := max(1.4826*medianF(dev), 1)
		score := (float64(x) - med) / spread
		if score < o.K {
			inPeak = false
			continue
		}
		p := Peak{Index: i, Baseline: med, Score: score}
		if inPeak && series[peaks[len(peaks)-1].Index] < x {
			peaks[len(peaks)-1] = p
		} else if !inPeak {
			peaks = append(peaks, p)
		}
		inPeak = true
	}
	return peaks
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func median(xs []int) float64 {
	f := make([]float64, len(xs))
	for i, x := range xs {
		f[i] = float64(x)
	}
	return medianF(f)
}

func medianF(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// MomentsPage is what the moments page of a room shows: its volume per
// minute, the moments, and its recording.
type MomentsPage struct {
	RoomID    int64              `json:"room_id"`
	From      time.Time          `json:"from"`
	To        time.Time          `json:"to"`
	Volume    []live.VolumePoint `json:"volume"`
	BySource  map[string]int     `json:"by_source"` // items per source over the range
	Moments   []live.Moment      `json:"moments"`
	Recording *live.Recording    `json:"recording"`
}

// Moments builds the moments page of a room over [from, to) (default: the
// last 24 hours, at most 7 days): the room's items and the event-wide ones,
// per minute, the peaks (Peaks with o), and for each its top approved posts
// (pinned first, then newest, at most 3) and its link into the recording.
func (s *Service) Moments(ctx context.Context, code string, roomID int64, from, to time.Time, o PeakOptions) (MomentsPage, error) {
	ef, err := s.event(ctx, code)
	if err != nil {
		return MomentsPage{}, err
	}
	if roomID <= 0 {
		return MomentsPage{}, live.FieldErrorf("room_id", "room_id is required.")
	}
	if err := s.checkRoom(code, roomID); err != nil {
		return MomentsPage{}, err
	}
	if to.IsZero() {
		to = s.opts.Now()
	}
	if from.IsZero() {
		from = to.Add(-24 * time.Hour)
	}
	from, to = from.UTC().Truncate(time.Minute), to.UTC().Truncate(time.Minute).Add(time.Minute)
	if !from.Before(to) || to.Sub(from) > 7*24*time.Hour {
		return MomentsPage{}, live.FieldErrorf("from", "from must be before to, at most 7 days apart.")
	}
	counts, err := s.store.FeedVolume(ctx, ef.id, from, to)
	if err != nil {
		return MomentsPage{}, err
	}
	n := int(to.Sub(from) / time.Minute)
	series := make([]int, n)
	page := MomentsPage{RoomID: roomID, From: from, To: to, BySource: map[string]int{}, Moments: []live.Moment{}}
	for _, c := range counts {
		if c.RoomID != 0 && c.RoomID != roomID {
			continue
		}
		if i := int(c.Minute.Sub(from) / time.Minute); i >= 0 && i < n {
			series[i] += c.Count
			page.BySource[c.Source] += c.Count
		}
	}
	// The volume is sparse: minutes from the first item on, zeros included.
	first := slices.IndexFunc(series, func(c int) bool { return c > 0 })
	page.Volume = []live.VolumePoint{}
	if first >= 0 {
		for i := first; i < n; i++ {
			page.Volume = append(page.Volume, live.VolumePoint{Minute: from.Add(time.Duration(i) * time.Minute), Count: series[i]})
		}
	}
	ef.mu.Lock()
	rec, hasRec := ef.settings.Recordings[roomID]
	ef.mu.Unlock()
	if hasRec {
		page.Recording = &rec
	}
	for _, p := range Peaks(series, o) {
		at := from.Add(time.Duration(p.Index) * time.Minute)
		m := live.Moment{RoomID: roomID, At: at, Volume: series[p.Index], Baseline: p.Baseline, Score: round3(p.Score)}
		approved, err := s.store.FeedItems(ctx, live.FeedQuery{EventID: ef.id, RoomID: roomID, Status: live.FeedApproved,
			Since: at, Until: at.Add(time.Minute), Limit: 50})
		if err != nil {
			return MomentsPage{}, err
		}
		slices.SortStableFunc(approved, func(a, b live.FeedItem) int {
			if a.Pinned != b.Pinned {
				if a.Pinned {
					return -1
				}
				return 1
			}
			return 0
		})
		m.Top = approved[:min(3, len(approved))]
		if hasRec && !at.Before(rec.StartedAt) {
			m.OffsetS = int64(at.Sub(rec.StartedAt) / time.Second)
			m.RecordingURL = recordingAt(rec.URL, m.OffsetS)
		}
		page.Moments = append(page.Moments, m)
	}
	return page, nil
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// recordingAt returns the recording URL opened at offset seconds, as a
// media fragment ("#t=SECONDS"), replacing any fragment it had.
func recordingAt(raw string, offset int64) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	u.Fragment = "t=" + strconv.FormatInt(offset, 10)
	return u.String()
}
