package live

// Round actions.
const (
	RoundStart       = "start"        // pending → running; first pitch on stage
	RoundNext        = "next"         // close the current pitch's voting, next pitch on stage
	RoundPrevious    = "previous"     // back to the previous pitch
	RoundReveal      = "reveal"       // show the ranking on the room's screens; the round carries on as it was
	RoundNextPlace   = "next_place"   // reveal the next place of the shown ranking, from the last up to first
	RoundHideRanking = "hide_ranking" // take the ranking off the screens: back to the round where it was
	RoundFinish      = "finish"       // running → finished: close any open voting, stop the timers
)

// NextPlaces returns how many places one more RoundNextPlace reveals, from
// revealed of n: every place below the podium (4th and after) at once, then
// third, second and first one at a time.
func NextPlaces(revealed, n int) int {
	if revealed < n-3 {
		return n - 3
	}
	return min(revealed+1, n)
}

// IndexOf returns the place of pitch pitchID in r.Pitches, or -1.
func (r *Round) IndexOf(pitchID int64) int {
	for i, p := range r.Pitches {
		if p.ID == pitchID {
			return i
		}
	}
	return -1
}
