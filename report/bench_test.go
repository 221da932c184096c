package report_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ovation-live/ovation/board"
	"github.com/ovation-live/ovation/feed"
	"github.com/ovation-live/ovation/hub"
	"github.com/ovation-live/ovation/live"
	"github.com/ovation-live/ovation/report"
	"github.com/ovation-live/ovation/show"
	"github.com/ovation-live/ovation/store"
)

// Sizes of the large event: a conference day of 280 sessions in the
// programme (14 talks of 40 minutes in each of 20 rooms, a question each),
// 50,000 participants, each answering three questions and scoring a pitch
// over the day, figures of 3 nodes over 10 hours, and a feed.
const (
	benchRooms        = 20
	benchSessions     = 280
	benchParticipants = 50_000
	benchAnswers      = 3
	benchPitches      = 20
	benchHours        = 10
)

// largeEvent writes the large event to a SQLite store and loads it into a
// fresh engine, as a server restarted after the event would.
func largeEvent(b *testing.B) (report.Sources, string) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(filepath.Join(b.TempDir(), "ovation.db"), store.Options{Synchronous: "NORMAL"})
	must(b, err)
	b.Cleanup(func() { db.Close() })
	h := hub.New(hub.Options{})
	build := show.NewEngine(db, h, show.Options{Logger: log})
	must(b, build.Load(ctx))
	ev := must1[*live.Event](b)(build.CreateEvent(ctx, "mod", &live.Event{Code: "BIGDAY", Title: "Conférence annuelle — journée plénière",
		Languages: []string{"fr", "en"}, JuryCode: "JURY", JuryWeight: 30}))
	m := must1[*show.Model](b)(build.Model(ev.Code))
	rooms := []int64{m.Rooms[0].ID}
	for i := 1; i < benchRooms; i++ {
		rooms = append(rooms, must1[*live.Room](b)(build.CreateRoom(ctx, "mod", ev.Code, &live.Room{Name: fmt.Sprintf("Salle %d", i+1)})).ID)
	}
	var polls []int64
	for i := range benchSessions {
		p := &live.Poll{RoomID: rooms[i%benchRooms], Question: fmt.Sprintf("Session %d : qu'en avez-vous pensé ?", i+1), Kind: live.PollChoices,
			Choices: []string{"Excellent", "Bien", "Moyen", "Décevant"}}
		if i%2 == 1 {
			p.Kind, p.Choices, p.ScaleMax = live.PollScale, nil, 5
		}
		polls = append(polls, must1[*live.Poll](b)(build.CreatePoll(ctx, "mod", ev.Code, p)).ID)
	}
	at := time.Now().UTC().Add(-benchHours * time.Hour)
	var talks []live.Talk
	for i := range benchSessions {
		k := time.Duration(i / benchRooms)
		talks = append(talks, live.Talk{EventID: ev.ID, RoomID: rooms[i%benchRooms], Title: fmt.Sprintf("Session %d", i+1),
			Speakers: []live.Speaker{{Name: fmt.Sprintf("Intervenant %d", i+1)}}, Start: at.Add(k * 40 * time.Minute), End: at.Add((k + 1) * 40 * time.Minute)})
	}
	must(b, db.SaveTalks(ctx, talks, nil))
	round := must1[*live.Round](b)(build.CreateRound(ctx, "mod", ev.Code, &live.Round{RoomID: rooms[0], Title: "Finale des start-up", Scale: 5}))
	var pitches []int64
	for i := range benchPitches {
		pitches = append(pitches, must1[*live.Pitch](b)(build.CreatePitch(ctx, "mod", round.ID, &live.Pitch{Team: fmt.Sprintf("Start-up n°%d", i+1)})).ID)
	}
	enqueue := func(op live.WriteOp) {
		for {
			err := db.Enqueue(op)
			if err == nil {
				return
			}
			if live.ErrorCode(err) != live.EBusy {
				b.Fatal(err)
			}
			must(b, db.Flush(ctx))
		}
	}
	for i := range benchParticipants {
		when := at.Add(time.Duration(i%(benchHours*60)) * time.Minute) // over the day
		pid := int64(1_000_000 + i)
		enqueue(live.WriteOp{Participant: &live.Participant{ID: pid, EventID: ev.ID, CreatedAt: at}})
		for k := range benchAnswers {
			poll := polls[(i*7+k*31)%benchSessions]
			enqueue(live.WriteOp{Vote: &live.Vote{VoteID: fmt.Sprint("a", k), ParticipantID: pid, EventID: ev.ID,
				Target: live.Target{Kind: live.KindPoll, ID: poll}, Answer: live.Answer(fmt.Sprint(1 + (i+k)%4)), At: when}})
		}
		enqueue(live.WriteOp{Vote: &live.Vote{VoteID: "p", ParticipantID: pid, EventID: ev.ID,
			Target: live.Target{Kind: live.KindPitch, ID: pitches[i%benchPitches]}, Answer: live.Answer(fmt.Sprint(1 + i%5)), At: when}})
	}
	must(b, db.Flush(ctx))
	var figs []live.Figure
	for minute := range benchHours * 60 {
		for _, node := range []string{"core", "edge-1", "edge-2"} {
			for r, room := range rooms {
				figs = append(figs, live.Figure{EventID: ev.ID, RoomID: room, Node: node, Minute: at.Truncate(time.Minute).Add(time.Duration(minute) * time.Minute),
					ConnPeak: 200 + (minute*7+r*13)%300, ConnLast: 190, Votes: minute % 11, Answers: minute % 17})
			}
		}
	}
	must(b, db.SaveFigures(ctx, figs))

	engine := show.NewEngine(db, h, show.Options{Logger: log}) // as after a restart: everything from the store
	must(b, engine.Load(ctx))
	feeds := feed.New(db, engine, h, feed.Options{Logger: log})
	boards := board.New(db, engine, h, board.Options{Logger: log})
	return report.Sources{Show: engine, Store: db, Feed: feeds, Boards: boards}, ev.Code
}

// BenchmarkLargeEventReport makes the report of the large event, as a PDF
// and as a page. It reports the heap the making allocated in all and the
// heap in use at its end, beside the time.
func BenchmarkLargeEventReport(b *testing.B) {
	src, code := largeEvent(b)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	var pdfSize, pages int
	for b.Loop() {
		r, err := report.Build(b.Context(), src, code, report.Options{})
		must(b, err)
		var pdf, page bytes.Buffer
		must(b, r.PDF(&pdf))
		must(b, r.HTML(&page, report.PageOptions{}))
		pdfSize, pages = pdf.Len(), bytes.Count(pdf.Bytes(), []byte("/Type /Page\n"))
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "MB-alloc/op")
	b.ReportMetric(float64(after.HeapInuse)/(1<<20), "MB-heap-inuse")
	b.ReportMetric(float64(pdfSize)/(1<<20), "MB-pdf")
	b.ReportMetric(float64(pages), "pdf-pages")
}
