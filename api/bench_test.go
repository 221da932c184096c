package api

import "testing"

// BenchmarkDecodeMessage decodes the most frequent client message, a vote.
func BenchmarkDecodeMessage(b *testing.B) {
	msg := []byte(`{"type":"vote","id":"c-4","vote_id":"0f8e6a2c-5f1d-4d8e-9b0a-7c3e2f1a9d01","target":"pitch:12","value":4}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeMessage(msg); err != nil {
			b.Fatal(err)
		}
	}
}
