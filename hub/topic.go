package hub

import "strconv"

// Publisher delivers encoded frames to a topic's subscribers. Frames with
// the same key supersede each other. It must never block.
type Publisher interface {
	Publish(topic, key string, frame []byte)
}

// BatchPublisher is a Publisher that can hold back the writes of several
// frames until all are queued (the hub), so that the frames of one tally
// tick reach each connection in one write.
type BatchPublisher interface {
	Batch(fn func(publish func(topic, key string, frame []byte)))
}

var _ BatchPublisher = (*Hub)(nil)

// RoomTopic is the topic of a room's public state: what its stage screen and
// the phones in it show.
func RoomTopic(roomID int64) string { return "room:" + strconv.FormatInt(roomID, 10) }

// StageTopic is the topic of a room's screens: the same frames as RoomTopic,
// with tallies at the full coalescing rate (phones get them at the calmer
// audience rate, which keeps a keynote burst cheap).
func StageTopic(roomID int64) string { return "stage:" + strconv.FormatInt(roomID, 10) }

// ControlTopic is the topic of an event's moderator view: the full model,
// tallies even when hidden, ranking previews and live numbers.
func ControlTopic(eventID int64) string { return "control:" + strconv.FormatInt(eventID, 10) }
