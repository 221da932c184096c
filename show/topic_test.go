package show_test

import (
	"testing"

	"github.com/ovation-live/ovation/show"
)

func TestTopics(t *testing.T) {
	if got := show.RoomTopic(7); got != "room:7" {
		t.Fatalf("RoomTopic = %q", got)
	}
	if got := show.ControlTopic(9); got != "control:9" {
		t.Fatalf("ControlTopic = %q", got)
	}
}
