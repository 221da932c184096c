package hub_test

import (
	"testing"

	"github.com/ovation-live/ovation/hub"
)

func TestTopics(t *testing.T) {
	if got := hub.RoomTopic(7); got != "room:7" {
		t.Fatalf("RoomTopic = %q", got)
	}
	if got := hub.ControlTopic(9); got != "control:9" {
		t.Fatalf("ControlTopic = %q", got)
	}
}
