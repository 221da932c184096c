package live

// Pitch actions.
const (
	PitchStage       = "stage"        // put this pitch on stage (the round must be running)
	PitchOpen        = "open"         // open voting (the pitch must be on stage)
	PitchClose       = "close"        // close voting
	PitchTimerStart  = "timer_start"  // run the countdown
	PitchTimerPause  = "timer_pause"  // pause it
	PitchTimerExtend = "timer_extend" // add seconds (default 30) to it
	PitchTimerReset  = "timer_reset"  // back to the pitch's duration, paused
	ShowResults      = "show_results" // tallies visible on public screens
	HideResults      = "hide_results" // tallies hidden on public screens
	ResetVotes       = "reset_votes"  // delete every vote for the target (audited)
)

// Poll actions (besides ShowResults, HideResults and ResetVotes).
const (
	PollOpenAction    = "open"
	PollCloseAction   = "close"
	PollRevealCorrect = "reveal_correct" // mark the right choices on public screens (a closed poll with Correct)
	PollHideCorrect   = "hide_correct"   // take the marks off again
)
