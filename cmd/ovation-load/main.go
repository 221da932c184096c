// Command ovation-load drives a running Ovation (one node or several nodes)
// with many audience and stage WebSocket connections through the documented
// protocol, and reports latencies, delivery and correctness. See
// BENCHMARKS.md for the scenarios and the commands used there.
//
// Scenarios:
//
//	keynote  every phone votes once within -burst (some change their vote); reports ack and
//	         vote→stage latency and checks the final tally against the acknowledged votes
//	wordcloud the same with three words per phone on a word cloud
//	quiz     a quiz question with a time limit of -burst: every phone answers once within it,
//	         some send a second answer (refused: the first is final) or replay theirs (a
//	         duplicate); checks the counts per choice, the right answers and every player's
//	         points against the tool's own count and time bounds
//	survey   a survey of ten questions (rating grids, scales, choices, an open text): every phone
//	         answers them one after another at its own pace within -burst, each answer waiting
//	         for its ack; some change one answer or replay one (a duplicate); checks every
//	         question's stored tally, cell by cell, against the acknowledged answers
//	fanout   -drivers extra voters keep the tally changing, so every phone receives a tally frame
//	         each coalescing tick for -hold (run the server with votes.audience_tally_interval
//	         equal to votes.tally_interval for the worst case); reports delivery latency and
//	         completeness. With -keys K, every phone follows K rooms, each with an open pitch
//	         showing results, and the drivers vote on each in turn, so that each tick queues K
//	         tally frames of different keys for every phone at once
//	idle     phones connect and stay idle for -hold; with -pid, reports server memory per connection
//
// It only connects to the given targets and stops by itself after -timeout.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ovation-load:", err)
		os.Exit(1)
	}
}

// config holds the flags.
type config struct {
	targets  []string
	token    string
	scenario string
	phones   int
	stages   int
	burst    time.Duration
	change   float64
	hold     time.Duration
	drivers  int
	keys     int
	pids     []int
	jsonOut  string
	timeout  time.Duration
	dialConc int
	progress time.Duration
	cpuProf  string
	timeline string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("ovation-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	targets := fs.String("targets", "http://127.0.0.1:8080", "comma-separated base URLs of the nodes; connections are spread over them")
	fs.StringVar(&c.token, "api-token", "", "moderator API token (required: the tool creates its own event)")
	fs.StringVar(&c.scenario, "scenario", "keynote", "keynote, wordcloud, quiz, survey, fanout or idle")
	fs.IntVar(&c.phones, "phones", 1000, "audience connections")
	fs.IntVar(&c.stages, "stages", 2, "stage connections")
	fs.DurationVar(&c.burst, "burst", 10*time.Second, "keynote and wordcloud: window in which every phone votes once; quiz: the question's time limit (whole seconds, 5 to 300); survey: window in which every phone answers the ten questions")
	fs.Float64Var(&c.change, "change", 0.1, "keynote and wordcloud: fraction of phones that change their vote in the window; quiz: that send a second answer; survey: that change one answer")
	fs.DurationVar(&c.hold, "hold", 60*time.Second, "fanout and idle: how long to hold the connections")
	fs.IntVar(&c.drivers, "drivers", 20, "fanout: voters that keep the tally changing")
	fs.IntVar(&c.keys, "keys", 1, "fanout: rooms every phone follows, each with a target voted on: a tally frame of each per tick (1 to 8)")
	pids := fs.String("pid", "", "server PIDs, comma-separated (same machine): report their summed RSS and CPU")
	fs.StringVar(&c.jsonOut, "json", "", "write the JSON summary to this file (- for stdout)")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Minute, "hard limit for the whole run")
	fs.IntVar(&c.dialConc, "dial-concurrency", 64, "connections being opened at once")
	fs.DurationVar(&c.progress, "progress", 2*time.Second, "progress line interval")
	fs.StringVar(&c.timeline, "timeline", "", "keynote and wordcloud: write each acknowledged vote to this CSV file: when it was sent (ms after the burst began), and its received and final acks (ms after it was sent)")
	fs.StringVar(&c.cpuProf, "cpuprofile", "", "write the tool's own CPU profile of the scenario (after the connections are open) to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for _, p := range strings.Split(*pids, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("-pid: %q is not a process id", p)
		}
		c.pids = append(c.pids, n)
	}
	for _, t := range strings.Split(*targets, ",") {
		u, err := url.Parse(strings.TrimSpace(t))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("-targets: %q is not an http(s) base URL", t)
		}
		c.targets = append(c.targets, strings.TrimSuffix(u.String(), "/"))
	}
	switch {
	case c.token == "":
		return c, errors.New("-api-token is required")
	case !slices.Contains([]string{"keynote", "wordcloud", "quiz", "survey", "fanout", "idle"}, c.scenario):
		return c, fmt.Errorf("-scenario must be keynote, wordcloud, quiz, survey, fanout or idle, not %q", c.scenario)
	case c.scenario == "quiz" && (c.burst%time.Second != 0 || c.burst < 5*time.Second || c.burst > 300*time.Second):
		return c, errors.New("-burst is the quiz question's time limit: whole seconds from 5s to 300s")
	case c.phones < 1 || c.stages < 1:
		return c, errors.New("-phones and -stages must be at least 1")
	case c.keys < 1 || c.keys > 8 || (c.keys > 1 && c.scenario != "fanout"):
		return c, errors.New("-keys is from 1 to 8, and more than 1 only with -scenario fanout")
	case c.change < 0 || c.change > 1:
		return c, errors.New("-change is a fraction from 0 to 1")
	case c.burst <= 0 || c.hold <= 0 || c.timeout <= 0:
		return c, errors.New("-burst, -hold and -timeout must be positive")
	}
	return c, nil
}

// Summary is the JSON report.
type Summary struct {
	Scenario      string         `json:"scenario"`
	Targets       []string       `json:"targets"`
	Phones        int            `json:"phones"`
	Stages        int            `json:"stages"`
	Keys          int            `json:"keys,omitempty"` // fanout: targets voted on, each its own tally key
	Connected     int            `json:"connected"`
	ConnectErrors int            `json:"connect_errors"`
	HandshakeMS   Percentiles    `json:"handshake_ms"`
	VotesSent     int            `json:"votes_sent,omitempty"`
	VotesAcked    int            `json:"votes_acked,omitempty"`
	VoteErrors    map[string]int `json:"vote_errors,omitempty"`
	AckMS         *Percentiles   `json:"ack_ms,omitempty"`
	// ReceivedMS is the time to the "received" ack of a cluster edge (the
	// vote is in the core's stream); AckMS is then the time to "counted".
	ReceivedMS      *Percentiles `json:"received_ms,omitempty"`
	VoteToStageMS   *Percentiles `json:"vote_to_stage_ms,omitempty"`
	TallyExpected   []int64      `json:"tally_expected,omitempty"`
	TallyServer     []int64      `json:"tally_server,omitempty"`
	TallyMatches    *bool        `json:"tally_matches,omitempty"`
	Quiz            *QuizCheck   `json:"quiz,omitempty"`
	Survey          *SurveyCheck `json:"survey,omitempty"`
	FramesExpected  int64        `json:"frames_expected_per_client,omitempty"`
	FramesDelivered int64        `json:"frames_delivered,omitempty"`
	FramesComplete  float64      `json:"clients_with_every_frame_pct,omitempty"`
	DeliveryMS      *Percentiles `json:"delivery_ms,omitempty"`
	Server          *ServerUsage `json:"server,omitempty"`
	DurationS       float64      `json:"duration_s"`
	// LoadToolCPUSeconds is this tool's own CPU time: it shares the machine.
	LoadToolCPUSeconds float64 `json:"load_tool_cpu_seconds"`
}

// Percentiles of a latency distribution, in milliseconds.
type Percentiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// latency waits (5 s at most) until the stage has counted every answer in
// sent, the send times of the acknowledged answers in the order of their
// acks, and returns the percentiles of the time from the k-th one's
// sending to the first stage tally whose total reached k.
func (t *stageTrack) latency(sent []time.Time) Percentiles {
	waitFor := time.Now().Add(5 * time.Second)
	for {
		if _, ok := t.firstAtLeast(int64(len(sent))); ok || time.Now().After(waitFor) {
			break
		}
		time.Sleep(20 * time.Millisecond) // the stage's last frame is at most one coalescing tick away
	}
	var toStage []time.Duration
	for k, at := range sent {
		if seen, ok := t.firstAtLeast(int64(k + 1)); ok {
			toStage = append(toStage, max(0, seen.Sub(at)))
		}
	}
	return percentiles(toStage)
}

func percentiles(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	slices.Sort(d)
	at := func(q float64) float64 {
		i := int(q*float64(len(d))+0.5) - 1
		i = max(0, min(i, len(d)-1))
		return float64(d[i].Microseconds()) / 1000
	}
	return Percentiles{N: len(d), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: float64(d[len(d)-1].Microseconds()) / 1000}
}

func (p Percentiles) String() string {
	return fmt.Sprintf("n=%d p50=%.1fms p95=%.1fms p99=%.1fms max=%.1fms", p.N, p.P50, p.P95, p.P99, p.Max)
}

// ServerUsage is the server process's resource use, read from /proc.
type ServerUsage struct {
	RSSBeforeKiB   int64   `json:"rss_before_kib"`
	RSSPeakKiB     int64   `json:"rss_with_connections_kib"`
	PerConnKiB     float64 `json:"rss_per_connection_kib"`
	CPUSeconds     float64 `json:"cpu_seconds"`
	CPUPerFrameUS  float64 `json:"cpu_per_delivered_frame_us,omitempty"`
	CPUWindowStart float64 `json:"-"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	start := time.Now()
	l := &loader{cfg: cfg, out: stdout, http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	sum := &Summary{Scenario: cfg.scenario, Targets: cfg.targets, Phones: cfg.phones, Stages: cfg.stages}
	if cfg.scenario == "fanout" {
		sum.Keys = cfg.keys
	}

	if err := l.setup(ctx); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	var usage *ServerUsage
	if len(cfg.pids) > 0 {
		usage = &ServerUsage{}
		usage.RSSBeforeKiB, _ = sumOver(cfg.pids, rssKiB)
	}
	if err := l.connect(ctx, sum); err != nil {
		return err
	}
	defer l.closeAll()
	if usage != nil {
		runtime.GC()
		usage.RSSPeakKiB, _ = sumOver(cfg.pids, rssKiB)
		usage.PerConnKiB = float64(usage.RSSPeakKiB-usage.RSSBeforeKiB) / float64(cfg.phones+cfg.stages)
		usage.CPUWindowStart, _ = sumOver(cfg.pids, cpuSeconds)
	}
	if cfg.cpuProf != "" {
		f, err := os.Create(cfg.cpuProf)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	switch cfg.scenario {
	case "keynote", "wordcloud":
		err = l.keynote(ctx, sum)
	case "quiz":
		err = l.quiz(ctx, sum)
	case "survey":
		err = l.survey(ctx, sum)
	case "fanout":
		err = l.fanout(ctx, sum)
	case "idle":
		fmt.Fprintf(l.out, "holding %d idle connections for %v\n", sum.Connected, cfg.hold)
		select {
		case <-time.After(cfg.hold):
		case <-ctx.Done():
		}
		if usage != nil {
			usage.RSSPeakKiB, _ = sumOver(cfg.pids, rssKiB)
			usage.PerConnKiB = float64(usage.RSSPeakKiB-usage.RSSBeforeKiB) / float64(cfg.phones+cfg.stages)
		}
	}
	if err != nil {
		return err
	}
	if usage != nil {
		cpu, _ := sumOver(cfg.pids, cpuSeconds)
		usage.CPUSeconds = cpu - usage.CPUWindowStart
		if sum.FramesDelivered > 0 {
			usage.CPUPerFrameUS = usage.CPUSeconds * 1e6 / float64(sum.FramesDelivered)
		}
		sum.Server = usage
	}
	sum.DurationS = time.Since(start).Seconds()
	if self, err := cpuSeconds(os.Getpid()); err == nil {
		sum.LoadToolCPUSeconds = self
	}
	l.report(sum)
	if cfg.jsonOut != "" {
		b, _ := json.MarshalIndent(sum, "", "  ")
		if cfg.jsonOut == "-" {
			fmt.Fprintln(stdout, string(b))
		} else if err := os.WriteFile(cfg.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if sum.TallyMatches != nil && !*sum.TallyMatches {
		return errors.New("the server's tally differs from the acknowledged votes")
	}
	if s := sum.Survey; s != nil && !s.OK() {
		return fmt.Errorf("the survey's stored tallies differ from the acknowledged answers: %+v", *s)
	}
	if q := sum.Quiz; q != nil && !q.OK() {
		return fmt.Errorf("the quiz's results differ from the acknowledged answers: %+v", *q)
	}
	return nil
}

// loader holds the run's state.
type loader struct {
	cfg  config
	out  io.Writer
	http *http.Client

	code    string
	roomID  int64
	roundID int64
	pitchID int64
	pollID  int64 // wordcloud, quiz: the question
	quizID  int64
	// survey: the survey and its questions, in order
	surveyID    int64
	surveyPolls []int64
	target      string
	keys        []string // fanout: the targets the drivers vote on (target first)
	rooms       []int64  // the rooms whose topic every phone follows (roomID first; -keys: one per target)

	phones []*client
	stages []*client
}

// client is one WebSocket connection with its reader goroutine.
type client struct {
	ws          *websocket.Conn
	token       string
	participant int64 // a phone's participant id
	cancel      context.CancelFunc
	done        chan struct{}

	mu       sync.Mutex
	pending  map[string]chan result // vote_id → ack waiter
	received map[string]time.Time   // vote_id → its "received" ack (cluster edges), until the final ack
	// Tally frames of the target seen by this client.
	tallies     int64
	lastSeq     map[string]float64 // per topic
	firstTally  time.Time
	onTally     func(now time.Time, total int64, serverMS int64)
	readErr     error
	wantTallies atomic.Bool // decode tally frames (stages always; phones in the fan-out)
	recordDelay bool
	delays      []time.Duration
}

// result is a vote's final answer; received is when a cluster edge said it
// had appended the vote to the core's stream (zero on a single node).
type result struct {
	ack      bool
	status   string // the ack's: counted, changed, duplicate
	code     string
	at       time.Time
	received time.Time
}

func (l *loader) api(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, l.cfg.targets[0]+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+l.cfg.token)
	res, err := l.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// setup creates the run's own event with one room, a round of one pitch,
// results shown, voting open.
func (l *loader) setup(ctx context.Context) error {
	l.code = fmt.Sprintf("LOAD%06d", rand.IntN(1e6))
	var ev struct{ ID int64 }
	if err := l.api(ctx, "POST", "/api/events", map[string]any{"code": l.code, "title": "Load test " + l.code}, &ev); err != nil {
		return err
	}
	var model struct{ Rooms []struct{ ID int64 } }
	if err := l.api(ctx, "GET", "/api/events/"+l.code+"/model", nil, &model); err != nil {
		return err
	}
	l.roomID = model.Rooms[0].ID
	var round, pitch struct{ ID int64 }
	if err := l.api(ctx, "POST", "/api/events/"+l.code+"/rounds", map[string]any{"room_id": l.roomID, "title": "Keynote", "scale": 5}, &round); err != nil {
		return err
	}
	l.roundID = round.ID
	if err := l.api(ctx, "POST", fmt.Sprintf("/api/rounds/%d/pitches", round.ID), map[string]any{"team": "Keynote", "duration_s": 600}, &pitch); err != nil {
		return err
	}
	l.pitchID, l.target = pitch.ID, fmt.Sprintf("pitch:%d", pitch.ID)
	steps := []string{fmt.Sprintf("/api/rounds/%d/actions/start", round.ID),
		fmt.Sprintf("/api/pitches/%d/actions/open", pitch.ID), fmt.Sprintf("/api/pitches/%d/actions/show_results", pitch.ID)}
	if l.cfg.scenario == "wordcloud" { // the room's question is a word cloud instead of the pitch
		var poll struct{ ID int64 }
		if err := l.api(ctx, "POST", "/api/events/"+l.code+"/polls", map[string]any{"room_id": l.roomID, "question": "One word?",
			"kind": "wordcloud", "show_results": true}, &poll); err != nil {
			return err
		}
		l.pollID, l.target = poll.ID, fmt.Sprintf("poll:%d", poll.ID)
		steps = []string{fmt.Sprintf("/api/polls/%d/actions/open", poll.ID)}
	}
	if l.cfg.scenario == "quiz" { // a quiz of one question, started once the phones are in (quiz)
		var quiz, poll struct{ ID int64 }
		if err := l.api(ctx, "POST", "/api/events/"+l.code+"/quizzes", map[string]any{"room_id": l.roomID, "title": "Load quiz"}, &quiz); err != nil {
			return err
		}
		if err := l.api(ctx, "POST", "/api/events/"+l.code+"/polls", map[string]any{"quiz_id": quiz.ID, "question": "Which one?", "kind": "quiz",
			"choices": quizChoices, "correct": []int{quizRight}, "settings": map[string]int{"time_limit_s": int(l.cfg.burst / time.Second)}}, &poll); err != nil {
			return err
		}
		l.quizID, l.pollID, l.target = quiz.ID, poll.ID, fmt.Sprintf("poll:%d", poll.ID)
		steps = nil
	}
	if l.cfg.scenario == "survey" { // a survey of ten questions, opened once the phones are in
		if err := l.surveySetup(ctx); err != nil {
			return err
		}
		steps = nil
	}
	l.keys, l.rooms = []string{l.target}, []int64{l.roomID}
	for k := 1; k < l.cfg.keys; k++ { // fanout -keys: more rooms, each with an open pitch showing results
		var room, round, pitch struct{ ID int64 }
		if err := l.api(ctx, "POST", "/api/events/"+l.code+"/rooms", map[string]any{"name": fmt.Sprintf("Room %d", k+1)}, &room); err != nil {
			return err
		}
		if err := l.api(ctx, "POST", "/api/events/"+l.code+"/rounds", map[string]any{"room_id": room.ID, "title": "Keynote", "scale": 5}, &round); err != nil {
			return err
		}
		if err := l.api(ctx, "POST", fmt.Sprintf("/api/rounds/%d/pitches", round.ID), map[string]any{"team": "Keynote", "duration_s": 600}, &pitch); err != nil {
			return err
		}
		l.keys, l.rooms = append(l.keys, fmt.Sprintf("pitch:%d", pitch.ID)), append(l.rooms, room.ID)
		steps = append(steps, fmt.Sprintf("/api/rounds/%d/actions/start", round.ID),
			fmt.Sprintf("/api/pitches/%d/actions/open", pitch.ID), fmt.Sprintf("/api/pitches/%d/actions/show_results", pitch.ID))
	}
	for _, step := range steps {
		if err := l.api(ctx, "POST", step, nil, nil); err != nil {
			return err
		}
	}
	fmt.Fprintf(l.out, "event %s, room %d, targets %s\n", l.code, l.roomID, strings.Join(l.keys, " "))
	return nil
}

// connect joins the phones over HTTP and opens every WebSocket, spread over
// the targets, dialConc at a time.
func (l *loader) connect(ctx context.Context, sum *Summary) error {
	total := l.cfg.phones + l.cfg.stages
	all := make([]*client, total)
	handshakes := make([]time.Duration, total)
	var errs atomic.Int64
	var done atomic.Int64
	var firstErr atomic.Value
	sem := make(chan struct{}, l.cfg.dialConc)
	var wg sync.WaitGroup
	stopProgress := l.every(func() {
		fmt.Fprintf(l.out, "connecting: %d/%d (%d errors)\n", done.Load(), total, errs.Load())
	})
	for i := 0; i < total; i++ {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			base := l.cfg.targets[i%len(l.cfg.targets)]
			c, d, err := l.open(ctx, base, i >= l.cfg.phones)
			if err != nil {
				errs.Add(1)
				firstErr.CompareAndSwap(nil, err)
				return
			}
			all[i], handshakes[i] = c, d
			done.Add(1)
		}()
	}
	wg.Wait()
	stopProgress()
	var hs []time.Duration
	for i, c := range all {
		if c == nil {
			continue
		}
		hs = append(hs, handshakes[i])
		if i < l.cfg.phones {
			l.phones = append(l.phones, c)
		} else {
			l.stages = append(l.stages, c)
		}
	}
	sum.Connected, sum.ConnectErrors, sum.HandshakeMS = len(hs), int(errs.Load()), percentiles(hs)
	fmt.Fprintf(l.out, "connected %d/%d, handshake %s\n", len(hs), total, sum.HandshakeMS)
	if errs.Load() > 0 {
		fmt.Fprintf(l.out, "first connect error: %v\n", firstErr.Load())
	}
	if len(l.stages) == 0 {
		return errors.New("no stage connection")
	}
	return nil
}

// open joins (phones), dials, authenticates and subscribes one client. The
// handshake time is the WebSocket dial until the snapshot arrives.
func (l *loader) open(ctx context.Context, base string, stage bool) (*client, time.Duration, error) {
	c := &client{pending: map[string]chan result{}, received: map[string]time.Time{}, lastSeq: map[string]float64{}, done: make(chan struct{})}
	var j struct {
		Token string
		ID    int64 `json:"participant_id"`
	}
	c.wantTallies.Store(stage)
	if !stage {
		req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/events/"+l.code+"/join", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := l.http.Do(req)
		if err != nil {
			return nil, 0, err
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || json.Unmarshal(b, &j) != nil {
			return nil, 0, fmt.Errorf("join: %d %s", res.StatusCode, b)
		}
		c.token, c.participant = j.Token, j.ID
	}
	start := time.Now()
	dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
	defer dcancel()
	ws, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
	if err != nil {
		return nil, 0, err
	}
	ws.SetReadLimit(1 << 20)
	c.ws = ws
	cctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	snap := make(chan struct{})
	go c.read(cctx, snap)
	if c.token != "" {
		if err := c.send(dctx, map[string]any{"type": "auth", "token": c.token}); err != nil {
			c.close()
			return nil, 0, err
		}
	}
	topics := []string{fmt.Sprintf("stage:%d", l.roomID)} // screens: tallies at the full rate
	if !stage {                                           // phones: the room, or with -keys every room (a target each)
		topics = topics[:0]
		for _, r := range l.rooms {
			topics = append(topics, fmt.Sprintf("room:%d", r))
		}
	}
	for _, topic := range topics {
		if err := c.send(dctx, map[string]any{"type": "subscribe", "topic": topic}); err != nil {
			c.close()
			return nil, 0, err
		}
	}
	select {
	case <-snap:
	case <-c.done:
		return nil, 0, fmt.Errorf("closed before snapshot: %v", c.readErr)
	case <-dctx.Done():
		c.close()
		return nil, 0, errors.New("no snapshot within 30 s")
	}
	return c, time.Since(start), nil
}

func (c *client) send(ctx context.Context, v any) error {
	b, _ := json.Marshal(v)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return c.ws.Write(wctx, websocket.MessageText, b)
}

// inbound is the part of server messages the tool reads.
type inbound struct {
	Type       string  `json:"type"`
	Seq        float64 `json:"seq"`
	Topic      string  `json:"topic"`
	VoteID     string  `json:"vote_id"`
	Status     string  `json:"status"`
	Code       string  `json:"code"`
	Target     string  `json:"target"`
	Total      int64   `json:"total"`
	ServerTime int64   `json:"server_time"`
}

func (c *client) read(ctx context.Context, snap chan struct{}) {
	defer close(c.done)
	snapped := false
	for {
		_, b, err := c.ws.Read(ctx)
		if err != nil {
			c.mu.Lock()
			c.readErr = err
			for id, w := range c.pending {
				w <- result{code: "closed", at: time.Now()}
				delete(c.pending, id)
			}
			c.mu.Unlock()
			return
		}
		now := time.Now()
		switch messageType(b) {
		case "snapshot", "ack", "error":
		case "tally":
			if !c.wantTallies.Load() {
				continue // a phone in the keynote: only the stage's tallies are measured
			}
		default:
			continue // stage, ranking, presence: not measured; skip the decoding cost
		}
		var m inbound
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		switch m.Type {
		case "snapshot":
			if !snapped {
				snapped = true
				close(snap)
			}
		case "ack", "error":
			c.mu.Lock()
			if m.Status == "received" || m.Status == "queued" { // a cluster edge: the final ack follows
				if m.Status == "received" {
					c.received[m.VoteID] = now
				}
			} else if w := c.pending[m.VoteID]; w != nil {
				w <- result{ack: m.Type == "ack", status: m.Status, code: m.Code, at: now, received: c.received[m.VoteID]}
				delete(c.pending, m.VoteID)
				delete(c.received, m.VoteID)
			}
			c.mu.Unlock()
		case "tally":
			c.mu.Lock()
			if m.Seq > c.lastSeq[m.Topic] {
				c.lastSeq[m.Topic] = m.Seq
				c.tallies++
				if c.firstTally.IsZero() {
					c.firstTally = now
				}
				if c.recordDelay && m.ServerTime > 0 {
					c.delays = append(c.delays, now.Sub(time.UnixMilli(m.ServerTime)))
				}
			}
			on := c.onTally
			c.mu.Unlock()
			if on != nil {
				on(now, m.Total, m.ServerTime)
			}
		}
	}
}

// messageType finds the "type" member near the start of a server message
// (frames start with seq and topic, then type) without decoding it.
func messageType(b []byte) string {
	head := b[:min(len(b), 120)]
	i := bytes.Index(head, []byte(`"type":"`))
	if i < 0 {
		return ""
	}
	rest := head[i+8:]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// vote sends a vote and returns a channel for its outcome: a number as
// value, any other answer (a list of words) as answer.
func (c *client) vote(ctx context.Context, id, target string, answer any) (time.Time, chan result, error) {
	w := make(chan result, 1)
	c.mu.Lock()
	c.pending[id] = w
	c.mu.Unlock()
	sent := time.Now()
	m := map[string]any{"type": "vote", "vote_id": id, "target": target}
	if n, ok := answer.(int); ok {
		m["value"] = n
	} else {
		m["answer"] = answer
	}
	err := c.send(ctx, m)
	return sent, w, err
}

// cloudWords is the vocabulary of the wordcloud scenario: lower-case words
// that group as themselves, sent with a skew (the first words most often),
// as a room's answers are.
var cloudWords = strings.Fields(`ai cloud data security energy talent design speed trust open future people
	edge privacy scale climate mobile quantum robots community learning health cities water food travel music
	art sport science space ocean forest solar wind battery chips network code bugs tests coffee pizza
	friends family growth change focus balance courage curiosity kindness humor hope vision craft quality`)

// cloudAnswer draws 3 different words for one phone.
func cloudAnswer(rng *rand.Rand) []string {
	var words []string
	for len(words) < 3 {
		w := cloudWords[int(float64(len(cloudWords))*rng.Float64()*rng.Float64())] // skewed to the first words
		if !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	return words
}

func (c *client) close() {
	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	c.cancel()
	<-c.done
}

func (l *loader) closeAll() {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, c := range append(l.phones, l.stages...) {
		sem <- struct{}{}
		wg.Add(1)
		go func() { defer wg.Done(); defer func() { <-sem }(); c.close() }()
	}
	wg.Wait()
}

// every calls f at the progress interval until the returned stop is called.
func (l *loader) every(f func()) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(l.cfg.progress)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				f()
			}
		}
	}()
	return func() { close(quit); <-done }
}

// stageTrack records, on the first stage client, when each tally total was first seen.
type stageTrack struct {
	mu     sync.Mutex
	totals []int64
	at     []time.Time
}

func (s *stageTrack) on(now time.Time, total, _ int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.totals); n == 0 || total > s.totals[n-1] {
		s.totals = append(s.totals, total)
		s.at = append(s.at, now)
	}
}

// firstAtLeast returns when the stage first showed a total of at least n.
func (s *stageTrack) firstAtLeast(n int64) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, _ := slices.BinarySearch(s.totals, n)
	if i == len(s.totals) {
		return time.Time{}, false
	}
	return s.at[i], true
}

// keynote: every phone votes once at a random moment of the burst window;
// a fraction changes its vote later in the window.
func (l *loader) keynote(ctx context.Context, sum *Summary) error {
	track := &stageTrack{}
	st := l.stages[0]
	st.mu.Lock()
	st.onTally = track.on
	st.mu.Unlock()

	type vote struct {
		phone     int
		first     bool
		value     int      // keynote
		words     []string // wordcloud
		sent, ack time.Time
		received  time.Time
		ok        bool
		code      string
	}
	var mu sync.Mutex
	var votes []*vote
	var sent, acked atomic.Int64
	start := time.Now().Add(200 * time.Millisecond)
	stop := l.every(func() {
		fmt.Fprintf(l.out, "voting: %d sent, %d acknowledged\n", sent.Load(), acked.Load())
	})
	var wg sync.WaitGroup
	for i, p := range l.phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			plan := []time.Duration{time.Duration(rng.Int64N(int64(l.cfg.burst)))}
			if rng.Float64() < l.cfg.change {
				plan = append(plan, plan[0]+time.Duration(rng.Int64N(int64(l.cfg.burst-plan[0])+1)))
			}
			for n, at := range plan {
				select {
				case <-time.After(time.Until(start.Add(at))):
				case <-ctx.Done():
					return
				}
				v := &vote{phone: i, first: n == 0, value: 1 + rng.IntN(5)}
				var answer any = v.value
				if l.cfg.scenario == "wordcloud" {
					v.words = cloudAnswer(rng)
					answer = v.words
				}
				s, w, err := p.vote(ctx, fmt.Sprintf("k%d-%d", i, n), l.target, answer)
				v.sent = s
				sent.Add(1)
				if err != nil {
					v.code = "send: " + err.Error()
				} else {
					select {
					case r := <-w:
						v.ack, v.ok, v.code, v.received = r.at, r.ack, r.code, r.received
					case <-ctx.Done():
						v.code = "timeout"
					}
				}
				if v.ok {
					acked.Add(1)
				}
				mu.Lock()
				votes = append(votes, v)
				mu.Unlock()
				if !v.ok {
					return
				}
			}
		}()
	}
	wg.Wait()
	stop()

	if l.cfg.timeline != "" { // where the tail comes from: the slow acks, by when they were sent
		var b strings.Builder
		b.WriteString("sent_ms,received_ms,ack_ms\n")
		ms := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds()*1000, 'f', 2, 64) }
		for _, v := range votes {
			if v.ok {
				received := ""
				if !v.received.IsZero() {
					received = ms(v.received.Sub(v.sent))
				}
				fmt.Fprintf(&b, "%s,%s,%s\n", ms(v.sent.Sub(start)), received, ms(v.ack.Sub(v.sent)))
			}
		}
		if err := os.WriteFile(l.cfg.timeline, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	// Independent count: the last acknowledged answer of each phone.
	final := map[int]*vote{}
	var acks, received []time.Duration
	var firsts []*vote
	sum.VoteErrors = map[string]int{}
	for _, v := range votes {
		sum.VotesSent++
		if !v.ok {
			sum.VoteErrors[v.code]++
			continue
		}
		sum.VotesAcked++
		acks = append(acks, v.ack.Sub(v.sent))
		if !v.received.IsZero() {
			received = append(received, v.received.Sub(v.sent))
		}
		final[v.phone] = v // a phone's votes are appended in the order it sent them
		if v.first {
			firsts = append(firsts, v)
		}
	}
	// keynote: votes per value; wordcloud: people per word of cloudWords.
	expected := make([]int64, 5)
	if l.cfg.scenario == "wordcloud" {
		expected = make([]int64, len(cloudWords))
	}
	for _, v := range final {
		if v.words == nil {
			expected[v.value-1]++
		}
		for _, w := range v.words {
			expected[slices.Index(cloudWords, w)]++
		}
	}
	p := percentiles(acks)
	sum.AckMS = &p
	if len(received) > 0 {
		r := percentiles(received)
		sum.ReceivedMS = &r
	}

	// Vote → stage, the first votes in the order of their acks (totals
	// count distinct voters).
	slices.SortFunc(firsts, func(a, b *vote) int { return a.ack.Compare(b.ack) })
	sentAt := make([]time.Time, len(firsts))
	for i, v := range firsts {
		sentAt[i] = v.sent
	}
	vs := track.latency(sentAt)
	sum.VoteToStageMS = &vs

	// The server's count, after closing voting.
	closeAt := fmt.Sprintf("/api/pitches/%d/actions/close", l.pitchID)
	if l.pollID != 0 {
		closeAt = fmt.Sprintf("/api/polls/%d/actions/close", l.pollID)
	}
	if err := l.api(ctx, "POST", closeAt, nil, nil); err != nil {
		return err
	}
	count := l.serverCounts
	if l.pollID != 0 {
		count = l.serverWords
	}
	server, err := count(ctx)
	if err != nil {
		return err
	}
	match := slices.Equal(server, expected)
	sum.TallyExpected, sum.TallyServer, sum.TallyMatches = expected, server, &match
	return nil
}

// serverWords reads the cloud's committed people per word of cloudWords
// from the results export.
func (l *loader) serverWords(ctx context.Context) ([]int64, error) {
	var res struct {
		Polls []struct {
			Poll  struct{ ID int64 }
			Words []struct {
				K string `json:"k"`
				N int64  `json:"n"`
			}
		}
	}
	if err := l.api(ctx, "GET", "/api/events/"+l.code+"/results", nil, &res); err != nil {
		return nil, err
	}
	out := make([]int64, len(cloudWords))
	for _, p := range res.Polls {
		if p.Poll.ID != l.pollID {
			continue
		}
		for _, w := range p.Words {
			if i := slices.Index(cloudWords, w.K); i >= 0 {
				out[i] = w.N
			} else {
				return nil, fmt.Errorf("the cloud holds a word nobody sent: %q", w.K)
			}
		}
		return out, nil
	}
	return nil, errors.New("the cloud is not in the results")
}

// serverCounts reads the pitch's committed per-value counts from the
// control topic's full tally, through a moderator socket.
func (l *loader) serverCounts(ctx context.Context) ([]int64, error) {
	h := http.Header{"Authorization": {"Bearer " + l.cfg.token}}
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(l.cfg.targets[0], "http")+"/ws", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return nil, err
	}
	defer ws.CloseNow()
	ws.SetReadLimit(4 << 20)
	var model struct{ Event struct{ ID int64 } }
	if err := l.api(ctx, "GET", "/api/events/"+l.code+"/model", nil, &model); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(map[string]any{"type": "subscribe", "topic": fmt.Sprintf("control:%d", model.Event.ID)})
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		_, b, err := ws.Read(rctx)
		if err != nil {
			return nil, err
		}
		var snap struct {
			Type   string `json:"type"`
			Frames []struct {
				Type   string  `json:"type"`
				Target string  `json:"target"`
				Counts []int64 `json:"counts"`
			} `json:"frames"`
		}
		if json.Unmarshal(b, &snap) != nil || snap.Type != "snapshot" {
			continue
		}
		for _, f := range snap.Frames {
			if f.Type == "tally" && f.Target == l.target {
				if f.Counts == nil {
					f.Counts = make([]int64, 5)
				}
				return f.Counts, nil
			}
		}
		return nil, errors.New("no tally for the target in the control snapshot")
	}
}

// fanout: drivers change their votes continuously so that each coalescing
// tick publishes a tally frame to every phone, for -hold.
func (l *loader) fanout(ctx context.Context, sum *Summary) error {
	drivers := make([]*client, 0, l.cfg.drivers)
	for i := 0; i < l.cfg.drivers; i++ {
		c, _, err := l.open(ctx, l.cfg.targets[i%len(l.cfg.targets)], false)
		if err != nil {
			return fmt.Errorf("driver: %w", err)
		}
		drivers = append(drivers, c)
	}
	defer func() {
		for _, c := range drivers {
			c.close()
		}
	}()
	all := append(append([]*client{}, l.phones...), l.stages...)
	for _, c := range all {
		c.mu.Lock()
		c.recordDelay, c.tallies, c.delays = true, 0, nil
		c.mu.Unlock()
		c.wantTallies.Store(true)
	}
	fctx, cancel := context.WithTimeout(ctx, l.cfg.hold)
	defer cancel()
	var wg sync.WaitGroup
	for i, d := range drivers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each driver votes 4 times a second (under the per-participant
			// limit); together they change the tally every tick.
			t := time.NewTicker(250 * time.Millisecond)
			defer t.Stop()
			for n := 0; ; n++ {
				select {
				case <-fctx.Done():
					return
				case <-t.C:
				}
				// -keys: each driver goes round the targets, the drivers
				// spread over them, so that every target changes each tick.
				_, w, err := d.vote(fctx, fmt.Sprintf("f%d-%d", i, n), l.keys[(n+i)%len(l.keys)], 1+(n/len(l.keys)+i)%5)
				if err != nil {
					return
				}
				select {
				case <-w:
				case <-fctx.Done():
					return
				}
			}
		}()
	}
	stop := l.every(func() {
		var n int64
		for _, c := range all {
			c.mu.Lock()
			n += c.tallies
			c.mu.Unlock()
		}
		fmt.Fprintf(l.out, "fan-out: %d tally frames delivered\n", n)
	})
	<-fctx.Done()
	wg.Wait()
	stop()
	// The drivers have stopped, so the tally no longer changes: wait until the
	// frames still in flight have landed (no new frame for a second, at most 15 s).
	delivered := func() (n int64) {
		for _, c := range all {
			c.mu.Lock()
			n += c.tallies
			c.mu.Unlock()
		}
		return n
	}
	for last, settle := int64(-1), time.Now().Add(15*time.Second); time.Now().Before(settle); {
		n := delivered()
		if n == last {
			break
		}
		last = n
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	// Phones follow the room topic, stages the stage topic, whose tally rates
	// may differ (votes.audience_tally_interval): completeness is per phone.
	var maxFrames int64
	var delays []time.Duration
	for _, c := range all {
		c.mu.Lock()
		sum.FramesDelivered += c.tallies
		delays = append(delays, c.delays...)
		c.mu.Unlock()
	}
	for _, c := range l.phones {
		c.mu.Lock()
		maxFrames = max(maxFrames, c.tallies)
		c.mu.Unlock()
	}
	complete := 0
	for _, c := range l.phones {
		c.mu.Lock()
		if c.tallies == maxFrames {
			complete++
		}
		c.mu.Unlock()
	}
	sum.FramesExpected = maxFrames
	sum.FramesComplete = 100 * float64(complete) / float64(len(l.phones))
	p := percentiles(delays)
	sum.DeliveryMS = &p
	return nil
}

func (l *loader) report(s *Summary) {
	w := l.out
	fmt.Fprintf(w, "\n== %s: %d phones + %d stages on %s ==\n", s.Scenario, s.Phones, s.Stages, strings.Join(s.Targets, ", "))
	fmt.Fprintf(w, "connections: %d established, %d errors; handshake %s\n", s.Connected, s.ConnectErrors, s.HandshakeMS)
	if s.AckMS != nil {
		fmt.Fprintf(w, "votes: %d sent, %d acknowledged, errors %v\n", s.VotesSent, s.VotesAcked, s.VoteErrors)
		if s.ReceivedMS != nil {
			fmt.Fprintf(w, "received:       %s (cluster edge: in the core's stream)\n", s.ReceivedMS)
		}
		fmt.Fprintf(w, "ack latency:    %s\n", s.AckMS)
		if s.VoteToStageMS != nil {
			fmt.Fprintf(w, "vote→stage:     %s\n", s.VoteToStageMS)
		}
		if s.Survey == nil {
			fmt.Fprintf(w, "tally: expected %v, server %v, equal=%v\n", s.TallyExpected, s.TallyServer, *s.TallyMatches)
		}
	}
	if c := s.Survey; c != nil {
		fmt.Fprintf(w, "survey: %d phones answered all %d questions, %d answers acknowledged, last ack %.1f s after the opening\n", c.PhonesFinish, c.Questions, c.Answers, c.LastAckS)
		fmt.Fprintf(w, "survey: %d changed answers; %d replays, %d duplicates\n", c.Changes, c.Replays, c.ReplaysDuplicate)
		fmt.Fprintf(w, "survey: stored tallies equal to the acknowledged answers for %d of %d questions; lost %d, double-counted %d\n", c.Matching, c.Questions, c.Lost, c.Double)
		for _, m := range c.Mismatches {
			fmt.Fprintln(w, "  "+m)
		}
	}
	if q := s.Quiz; q != nil {
		fmt.Fprintf(w, "quiz: %d second answers, %d refused as already answered; %d replays, %d duplicates; late %d\n",
			q.SecondAnswers, q.SecondRefused, q.Replays, q.ReplaysDuplicate, q.Late)
		fmt.Fprintf(w, "quiz: %d players (expected %d), %d right (expected %d), points within the time bounds for %d of %d\n",
			q.Players, q.PlayersExpected, q.RightServer, q.RightExpected, q.PointsInBounds, q.Players)
	}
	if s.DeliveryMS != nil {
		fmt.Fprintf(w, "frames: %d delivered (%d keys), %d per client expected, %.2f%% of clients got every frame\n", s.FramesDelivered, max(1, s.Keys), s.FramesExpected, s.FramesComplete)
		fmt.Fprintf(w, "delivery:       %s\n", s.DeliveryMS)
	}
	if s.Server != nil {
		fmt.Fprintf(w, "server: RSS %d → %d KiB (%.1f KiB per connection), CPU %.2f s", s.Server.RSSBeforeKiB, s.Server.RSSPeakKiB, s.Server.PerConnKiB, s.Server.CPUSeconds)
		if s.Server.CPUPerFrameUS > 0 {
			fmt.Fprintf(w, " (%.2f µs per delivered frame)", s.Server.CPUPerFrameUS)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "duration: %.1f s (load tool CPU %.1f s)\n", s.DurationS, s.LoadToolCPUSeconds)
}

// rssKiB reads VmRSS of a process.
// sumOver adds f over the processes pids (the nodes of a cluster).
func sumOver[T int64 | float64](pids []int, f func(int) (T, error)) (T, error) {
	var total T
	for _, p := range pids {
		v, err := f(p)
		if err != nil {
			return total, err
		}
		total += v
	}
	return total, nil
}

func rssKiB(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return 0, errors.New("no VmRSS")
}

// cpuSeconds reads a process's user+system CPU time.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100, nil // clock ticks; 100 Hz on Linux
}
