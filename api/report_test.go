package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestReportRoutes(t *testing.T) {
	tf := newTeamFixture(t)
	ts := tf.ts
	pitch := tf.team.Pitches[1]
	var joined joinResponse
	if r := ts.do(t, "POST", "/api/events/TEAM/join", map[string]string{}); r.Status != http.StatusOK {
		t.Fatalf("join: %d %s", r.Status, r.Body)
	} else {
		if err := json.Unmarshal(r.Body, &joined); err != nil {
			t.Fatal(err)
		}
	}
	r := ts.do(t, "POST", fmt.Sprintf("/api/events/TEAM/pitches/%d/meeting-request", pitch),
		map[string]any{"name": "Zoé Martin", "company": "Acme", "role": "CTO", "email": "zoe@example.com", "consent": true},
		"Authorization", "Bearer "+joined.Token)
	if r.Status != http.StatusCreated {
		t.Fatalf("meeting request: %d %s", r.Status, r.Body)
	}
	member := func(name string) *member {
		for _, m := range tf.members {
			if m.name == name {
				return m
			}
		}
		t.Fatalf("no member %s", name)
		return nil
	}
	team := fmt.Sprintf("/api/events/TEAM/pitches/%d/report", pitch)

	t.Run("event_report_is_a_page_with_its_own_policy", func(t *testing.T) {
		r := tf.as(t, member("viewer"), "GET", "/api/events/TEAM/report?lang=fr", nil)
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%d %s: %.200s", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		csp := r.Header.Get("Content-Security-Policy")
		_, after, _ := strings.Cut(csp, "'nonce-")
		nonce, _, _ := strings.Cut(after, "'")
		for _, want := range []string{`<style nonce="` + nonce + `">`, "Rapport de l&#39;événement", "Sessions de pitchs", "format=pdf"} {
			if !bytes.Contains(r.Body, []byte(want)) {
				t.Errorf("no %q in the page (policy %q)", want, csp)
			}
		}
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("policy %q", csp)
		}
	})
	t.Run("event_report_is_a_pdf", func(t *testing.T) {
		r := ts.do(t, "GET", "/api/events/TEAM/report?format=pdf&lang=en", nil, "Authorization", "Bearer "+ts.Token)
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(r.Body, []byte("%PDF-")) {
			t.Fatalf("%d %s: %.40q", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="TEAM-report.pdf"` {
			t.Errorf("Content-Disposition %q", cd)
		}
	})
	t.Run("team_report_names_people_for_the_export_role_only", func(t *testing.T) {
		for _, tc := range []struct {
			who   string
			names bool
		}{{"organiser", true}, {"admin2", true}, {"viewer", false}, {"moderator", false}, {"operator-a", false}} {
			r := tf.as(t, member(tc.who), "GET", team+"?lang=en", nil)
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", tc.who, r.Status, r.Body)
			}
			if got := bytes.Contains(r.Body, []byte("zoe@example.com")); got != tc.names {
				t.Errorf("%s sees the email: %v, want %v", tc.who, got, tc.names)
			}
			if !bytes.Contains(r.Body, []byte("1 people asked to meet the team.")) {
				t.Errorf("%s: the requests are not counted", tc.who)
			}
		}
	})
	t.Run("bad_input_is_refused", func(t *testing.T) {
		for _, tc := range []struct {
			path, code string
			status     int
		}{
			{"/api/events/TEAM/report?format=docx", "invalid", 400},
			{"/api/events/TEAM/report?lang=de", "invalid", 400},
			{team + "?format=svg", "invalid", 400},
			{"/api/events/TEAM/pitches/999999/report", "not_found", 404},
			{"/api/events/TEAM/pitches/abc/report", "not_found", 404},
			{fmt.Sprintf("/api/events/TEAM/pitches/%d/report", tf.other.Pitches[0]), "not_found", 404},
			{"/api/events/NOPE/report", "not_found", 404},
		} {
			r := ts.do(t, "GET", tc.path, nil, "Authorization", "Bearer "+ts.Token)
			if r.Status != tc.status || r.code() != tc.code {
				t.Errorf("%s: %d %s, want %d %s", tc.path, r.Status, r.code(), tc.status, tc.code)
			}
		}
		if r := ts.do(t, "GET", "/api/events/TEAM/report", nil); r.Status != http.StatusUnauthorized {
			t.Errorf("no credentials: %d", r.Status)
		}
		if r := tf.as(t, member("other-organiser"), "GET", "/api/events/TEAM/report", nil); r.Status != http.StatusForbidden {
			t.Errorf("another event's organiser: %d", r.Status)
		}
	})
}
