package api

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ovation-live/ovation/live"
)

// FuzzDecodeMessage checks that decodeMessage never panics, refuses with
// bad_message only, accepts nothing but one JSON value, and that what it
// accepts re-encodes to a message it decodes the same way.
func FuzzDecodeMessage(f *testing.F) {
	for _, seed := range []string{
		`{"type":"ping","id":"1"}`,
		`{"type":"auth","id":"a","token":"eyJwIjoxfQ.c2ln"}`,
		`{"type":"subscribe","topic":"room:3","epoch":"abc123","last_seq":42}`,
		`{"type":"unsubscribe","topic":"control:1"}`,
		`{"type":"vote","id":"v","vote_id":"0b1f","target":"pitch:12","value":4}`,
		`{"type":"vote","value":-9223372036854775808,"last_seq":18446744073709551615}`,
		`{"TYPE":"Ping","Id":"case"}`,
		`{"type":"ping","type":"vote"}`,
		`{"type":"ping","extra":{"nested":[1,2,{"x":null}]}}`,
		`{"type":"\u00e9\ud83d\ude00","id":"\xff\xfe"}`,
		`  {"type":"ping"}  `,
		`{"type":"ping"}}`,
		`{"type":"ping"}]`,
		`{"type":"ping"} {"type":"ping"}`,
		`{"type":"ping"} x`,
		`{"type":`,
		`{"value":1.5}`,
		`{"value":"5"}`,
		`{"id":"` + strings.Repeat("i", 65) + `"}`,
		`[{"type":"ping"}]`,
		`"ping"`,
		`42`,
		`null`,
		`{}`,
		``,
		"\x00",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeMessage(data)
		if err != nil {
			if code := live.ErrorCode(err); code != EBadMessage {
				t.Fatalf("decodeMessage(%q) error code %q, want %q", data, code, EBadMessage)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("decodeMessage accepted %q, which is not one JSON value", data)
		}
		if len(m.ID) > 64 {
			t.Fatalf("decodeMessage accepted an id of %d bytes", len(m.ID))
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", m, err)
		}
		m2, err := decodeMessage(b)
		if err != nil {
			t.Fatalf("decodeMessage refused its own re-encoding %s: %v", b, err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip of %q: %+v != %+v", data, m, m2)
		}
	})
}

// fuzzSecret signs the seed tokens of FuzzVerifyToken.
const fuzzSecret = "fuzz-token-secret"

// FuzzVerifyToken checks that verifyToken never panics, refuses with
// unauthorized only, and never accepts a token that signToken did not make:
// anything it accepts must be exactly the token signToken makes for the
// claims it returns (so no alternative spelling of a valid token passes).
func FuzzVerifyToken(f *testing.F) {
	s := &Server{cfg: Config{TokenSecret: []byte(fuzzSecret)}}
	future := time.Now().Add(24 * 365 * time.Hour).Unix()
	valid := []string{
		s.signToken(tokenClaims{ParticipantID: 1, EventID: 1, Expires: future}),
		s.signToken(tokenClaims{ParticipantID: 4503599627370495, EventID: 7, Jury: true, Name: "Ana \"L\" <é>", Expires: future}),
		s.signToken(tokenClaims{ParticipantID: -5, EventID: 0, Name: strings.Repeat("n", 60), Expires: future}),
	}
	for _, tok := range valid {
		if _, err := s.verifyToken(tok); err != nil {
			f.Fatalf("seed %q: %v", tok, err)
		}
		p, sig, _ := strings.Cut(tok, ".")
		f.Add(tok)
		f.Add(tok + "=")
		f.Add(tok + "\n")
		f.Add(p + "." + sig[:len(sig)-1] + "B")
		f.Add(p + "." + sig[:10] + "\n" + sig[10:])
		f.Add(p + "=." + sig)
		f.Add(p + "." + sig + "." + sig)
		f.Add(p)
	}
	for _, seed := range []string{
		s.signToken(tokenClaims{ParticipantID: 1, EventID: 1, Expires: time.Now().Add(-time.Hour).Unix()}),
		s.signToken(tokenClaims{ParticipantID: 0, EventID: 1, Expires: future}),
		signed("other-secret", tokenClaims{ParticipantID: 1, EventID: 1, Expires: future}),
		"", ".", "..", "a.b", "e30.", "null.AAAA",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := s.verifyToken(token)
		if err != nil {
			if code := live.ErrorCode(err); code != live.EUnauthorized {
				t.Fatalf("verifyToken(%q) error code %q, want %q", token, code, live.EUnauthorized)
			}
			return
		}
		if again := s.signToken(c); again != token {
			t.Fatalf("verifyToken accepted %q, which signToken did not make (it makes %q)", token, again)
		}
		if c.ParticipantID == 0 || time.Now().Unix() >= c.Expires {
			t.Fatalf("verifyToken accepted claims %+v", c)
		}
	})
}

// TestVerifyTokenRefusesOtherSpellings checks, without fuzzing, the
// alternative spellings of a valid signature that lenient base64 decoding
// would let through: other final characters with the same data bits, and
// line breaks inside the signature.
func TestVerifyTokenRefusesOtherSpellings(t *testing.T) {
	s := &Server{cfg: Config{TokenSecret: []byte(fuzzSecret)}}
	tok := s.signToken(tokenClaims{ParticipantID: 9, EventID: 3, Expires: time.Now().Add(time.Hour).Unix()})
	p, sig, _ := strings.Cut(tok, ".")
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var variants []string
	for _, ch := range alphabet {
		if v := sig[:len(sig)-1] + string(ch); v != sig {
			variants = append(variants, v)
		}
	}
	variants = append(variants, sig[:5]+"\n"+sig[5:], sig[:5]+"\r\n"+sig[5:], sig+"\n", sig+"=", "\r"+sig)
	for _, v := range variants {
		if _, err := s.verifyToken(p + "." + v); err == nil {
			t.Errorf("verifyToken accepted the signature spelled %q (signed: %q)", v, sig)
		}
	}
}

// FuzzOIDCState checks that the sign-in state cookie never panics, opens
// only what the server sealed (with its secret, unexpired), and that a
// sealed state opens to itself.
func FuzzOIDCState(f *testing.F) {
	s := &Server{cfg: Config{TokenSecret: []byte("fuzz-secret")}}
	sealed := s.sealOIDC(oidcState{State: "st", Nonce: "n", Verifier: "v", Expires: time.Now().Add(time.Hour).Unix()})
	for _, seed := range []string{sealed, sealed + "x", "", ".", "a.b", strings.Replace(sealed, ".", "..", 1), "eyJzIjoieCJ9.sig"} {
		f.Add(seed, "st")
	}
	f.Fuzz(func(t *testing.T, cookie, state string) {
		st, ok := s.openOIDC(cookie)
		if !ok {
			return
		}
		if cookie != sealed && s.sealOIDC(st) != cookie {
			t.Fatalf("opened a cookie the server did not seal: %q", cookie)
		}
		if st.Expires <= time.Now().Unix() {
			t.Fatalf("opened an expired state %+v", st)
		}
	})
}

// FuzzActor checks that ParseActor splits what ActorOf joins, for logins
// (which have no spaces) and token ids.
func FuzzActor(f *testing.F) {
	f.Add("lea", int64(3), false)
	f.Add("admin", int64(0), true)
	f.Add("a.b-c_d", int64(9223372036854775807), false)
	f.Fuzz(func(t *testing.T, login string, token int64, config bool) {
		a := &live.Account{Login: login, DisplayName: "x"}
		if a.Validate() != nil || token < 0 {
			return
		}
		gotLogin, gotToken := live.ParseActor(live.ActorOf(login, token, config))
		want := ""
		switch {
		case config:
			want = "api_token"
		case token != 0:
			want = strconv.FormatInt(token, 10)
		}
		if gotLogin != login || gotToken != want {
			t.Fatalf("ActorOf(%q, %d, %v) parsed back as %q, %q", login, token, config, gotLogin, gotToken)
		}
	})
}
