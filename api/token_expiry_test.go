package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
)

// TestAPITokenExactExpiry makes a token that expires in about a second
// with expires_at, the way a client tests expiry without waiting the
// shortest expires_in_days (a day): it works until its expiry and is
// refused with "This API token has expired." from that instant. A time
// that is past, too far, or sent with expires_in_days is refused.
func TestAPITokenExactExpiry(t *testing.T) {
	ts := newTestServer(t, Config{})
	cookie, csrf := ts.login(t)
	session := []string{"Cookie", cookie.Name + "=" + cookie.Value, CSRFHeader, csrf}
	grant := map[string]any{"name": "expiry test", "role": "admin", "event_id": 0}
	with := func(extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range grant {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}

	for _, tc := range []struct {
		name string
		body map[string]any
	}{
		{"a_past_time_is_refused", with(map[string]any{"expires_at": time.Now().Add(-time.Minute)})},
		{"this_second_is_refused", with(map[string]any{"expires_at": time.Now().Truncate(time.Second)})},
		{"more_than_3650_days_is_refused", with(map[string]any{"expires_at": time.Now().Add(3651 * 24 * time.Hour)})},
		{"both_expiries_are_refused", with(map[string]any{"expires_at": time.Now().Add(time.Hour), "expires_in_days": 1})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, "POST", "/api/me/tokens", tc.body, session...)
			wantError(t, r, http.StatusBadRequest, live.EInvalid)
			if !strings.Contains(string(r.Body), `"field":"expires_at"`) {
				t.Fatalf("refusal names no field expires_at: %s", r.Body)
			}
		})
	}

	r := ts.do(t, "POST", "/api/me/tokens", with(map[string]any{"expires_at": time.Now().Add(2 * time.Second)}), session...)
	var made struct {
		Token string        `json:"token"`
		Info  live.APIToken `json:"api_token"`
	}
	if r.Status != http.StatusCreated || json.Unmarshal(r.Body, &made) != nil || made.Info.ExpiresAt == nil {
		t.Fatalf("create token: %d %s", r.Status, r.Body)
	}
	if r := ts.do(t, "GET", "/api/events", nil, bearer(made.Token)...); r.Status != http.StatusOK {
		t.Fatalf("before its expiry: %d %s", r.Status, r.Body)
	}
	<-time.After(time.Until(*made.Info.ExpiresAt)) // the expiry is an instant: no margin is needed
	r = ts.do(t, "GET", "/api/events", nil, bearer(made.Token)...)
	wantError(t, r, http.StatusUnauthorized, live.EUnauthorized)
	if !strings.Contains(string(r.Body), "This API token has expired.") {
		t.Fatalf("after its expiry: %s", r.Body)
	}
}
