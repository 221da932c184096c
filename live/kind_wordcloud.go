package live

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// PollWordCloud is the word-cloud kind: each person sends up to max_words
// words or short phrases, and the stage shows the words of the room sized
// by how many people sent them.
const PollWordCloud = "wordcloud"

// Word-cloud limits.
const (
	MaxCloudWords   = 3   // words or phrases per answer
	MaxCloudWordLen = 25  // characters per word or phrase
	cloudFrameWords = 100 // words in a public frame, at most
	cloudPhoneWords = 30  // words in a phone's frame (the room topic), at most
	cloudFrameBytes = 3900
	cloudQueueWords = 300 // words in the moderators' frame, at most
)

// wordCloudKind is the word-cloud question: one answer (a list of words)
// per participant, changeable until the question closes. Spellings that
// differ only by case, accents or surrounding punctuation are one word,
// shown in its most frequent spelling; French and English stop words are
// not counted; words with a French or English profanity (whole words, as
// the feed's blocklist) never show. Moderators hide, show and merge words;
// with pre-moderation a word shows only once shown.
type wordCloudKind struct{}

// cloudSettings are the settings of a word-cloud question.
type cloudSettings struct {
	MaxWords   int    `json:"max_words"`  // 1..MaxCloudWords; default MaxCloudWords
	Moderation string `json:"moderation"` // "post" (default: words show at once) or "pre"
}

func cloudSettingsOf(q Question) cloudSettings {
	var s cloudSettings
	_ = json.Unmarshal(q.Settings, &s) // checked by Define
	return s
}

// Define implements QuestionKind: no choices, settings {"max_words":3,"moderation":"post"}.
func (wordCloudKind) Define(q *Question) error {
	if len(q.Choices) > 0 {
		return FieldErrorf("choices", "A word cloud has no choices.")
	}
	var s cloudSettings
	if err := decodeStrict(q.Settings, &s); err != nil {
		return FieldErrorf("settings", `Settings of a word cloud look like {"max_words":3,"moderation":"post"}.`)
	}
	if s.MaxWords == 0 {
		s.MaxWords = MaxCloudWords
	}
	if s.MaxWords < 1 || s.MaxWords > MaxCloudWords {
		return FieldErrorf("settings.max_words", "max_words must be from 1 to %d.", MaxCloudWords)
	}
	switch s.Moderation {
	case "":
		s.Moderation = "post"
	case "post", "pre":
	default:
		return FieldErrorf("settings.moderation", `moderation must be "post" (words show at once) or "pre" (words show once a moderator shows them).`)
	}
	q.Settings, _ = json.Marshal(s)
	q.Choices, q.ScaleMax = nil, 0
	return nil
}

// Answer implements QuestionKind: a list of 1 to max_words words or short
// phrases, each of 1 to MaxCloudWordLen characters once cleaned (CleanText)
// with a letter or a digit; one that folds to another of the list is
// dropped. Canonical: the JSON list of the cleaned words.
func (wordCloudKind) Answer(q Question, raw Answer) (Answer, error) {
	n := cloudSettingsOf(q).MaxWords
	var words []string
	if err := json.Unmarshal([]byte(raw), &words); err != nil || len(words) < 1 || len(words) > n {
		return "", &Error{Code: EBadValue, Field: "value", Message: fmt.Sprintf("An answer is a list of 1 to %d words or short phrases.", n)}
	}
	out := make([]string, 0, len(words))
	seen := map[string]bool{}
	for _, w := range words {
		w = CleanText(w, 0)
		if utf8.RuneCountInString(w) > MaxCloudWordLen {
			return "", &Error{Code: EBadValue, Field: "value", Message: fmt.Sprintf("A word or phrase has at most %d characters.", MaxCloudWordLen)}
		}
		k := foldWord(w)
		if k == "" {
			return "", &Error{Code: EBadValue, Field: "value", Message: "Each word needs a letter or a digit."}
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, w)
		}
	}
	b, _ := json.Marshal(out)
	return Answer(b), nil
}

// NewTally implements QuestionKind.
func (wordCloudKind) NewTally(q Question) Tally {
	return &cloudTally{pre: cloudSettingsOf(q).Moderation == "pre", groups: map[string]*cloudGroup{}, keys: map[int64][]string{},
		hidden: map[string]bool{}, shown: map[string]bool{}, into: map[string]string{}, blocked: map[string]bool{}}
}

// foldAccents maps the accented letters of French, English and their
// neighbours to their base letters.
var foldAccents = strings.NewReplacer(
	"à", "a", "á", "a", "â", "a", "ã", "a", "ä", "a", "å", "a", "æ", "ae", "ç", "c",
	"è", "e", "é", "e", "ê", "e", "ë", "e", "ì", "i", "í", "i", "î", "i", "ï", "i",
	"ñ", "n", "ò", "o", "ó", "o", "ô", "o", "õ", "o", "ö", "o", "ø", "o", "œ", "oe",
	"ù", "u", "ú", "u", "û", "u", "ü", "u", "ý", "y", "ÿ", "y", "ß", "ss",
	"’", "'", "‘", "'")

// foldWord is the grouping key of a word: lower case, accents folded,
// surrounding punctuation and symbols trimmed, inner spaces single. "" when
// nothing is left.
func foldWord(w string) string {
	k := foldAccents.Replace(strings.ToLower(w))
	k = strings.TrimFunc(k, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r) })
	k = strings.Join(strings.Fields(k), " ")
	if !strings.ContainsFunc(k, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return ""
	}
	return k
}

// wordsOf is the words of a canonical answer, none for "".
func wordsOf(a Answer) []string {
	var words []string
	_ = json.Unmarshal([]byte(a), &words)
	return words
}

// cloudGroup is the answers that fold to one key.
type cloudGroup struct {
	count     int64
	spellings map[string]int64
}

// cloudTally counts the words of a word cloud and keeps the moderators'
// decisions.
type cloudTally struct {
	pre         bool // pre-moderation: a word shows once shown
	groups      map[string]*cloudGroup
	keys        map[int64][]string // each respondent's counted keys: a merged word counts a person once
	respondents int64
	// The moderators' decisions, by key.
	hidden map[string]bool
	shown  map[string]bool
	into   map[string]string // merged into another word

	cache   []cloudWord     // words(), until the next change
	blocked map[string]bool // cloudBlocked by key, once asked
}

// Move implements Tally.
func (t *cloudTally) Move(prev Answer, vote Vote) {
	next := vote.Answer
	t.cache = nil
	if prev != "" {
		t.respondents--
		t.count(wordsOf(prev), -1)
		delete(t.keys, vote.ParticipantID)
	}
	if next != "" {
		t.respondents++
		if keys := t.count(wordsOf(next), 1); len(keys) > 0 {
			t.keys[vote.ParticipantID] = keys
		}
	}
}

// count adds d to the groups of words and returns their keys.
func (t *cloudTally) count(words []string, d int64) []string {
	var keys []string
	for _, w := range words {
		k := foldWord(w)
		if k == "" || cloudStopWords[k] {
			continue
		}
		keys = append(keys, k)
		g := t.groups[k]
		if g == nil {
			g = &cloudGroup{spellings: map[string]int64{}}
			t.groups[k] = g
		}
		g.count += d
		if g.spellings[w] += d; g.spellings[w] <= 0 {
			delete(g.spellings, w)
		}
		if g.count <= 0 {
			delete(t.groups, k)
		}
	}
	return keys
}

// Total implements Tally: the respondents.
func (t *cloudTally) Total() int64 { return t.respondents }

// Reset implements Tally: the answers go, the decisions stay.
func (t *cloudTally) Reset() {
	t.cache = nil
	clear(t.groups)
	clear(t.keys)
	t.respondents = 0
}

// root follows merges from k to the word it ends in.
func (t *cloudTally) root(k string) string {
	for i := 0; i < 64; i++ { // Check refuses cycles; the bound is for safety
		next, ok := t.into[k]
		if !ok {
			return k
		}
		k = next
	}
	return k
}

// cloudWord is one word of the cloud as shown: its merged groups together.
type cloudWord struct {
	Key    string   `json:"k"`
	Word   string   `json:"w"`                // the most frequent spelling
	Count  int64    `json:"n"`                // people who sent it
	State  string   `json:"s,omitempty"`      // moderators' frame: shown, hidden, pending or blocked
	Merged []string `json:"merged,omitempty"` // moderators' frame: the keys merged into it
}

// spelling is a word's most frequent spelling: the most sent, then the
// first in byte order.
type spelling struct {
	text string
	n    int64
}

func (s *spelling) offer(text string, n int64) {
	if n > s.n || (n == s.n && text < s.text) {
		s.text, s.n = text, n
	}
}

// words returns the cloud's words, merges applied, most sent first (then
// by key), each with its state; the slice is shared until the next change.
func (t *cloudTally) words() []cloudWord {
	if t.cache == nil {
		t.cache = t.build()
	}
	return t.cache
}

// cloudRoot is a word of the cloud as it is built: the groups merged into
// it together, and its best spellings.
type cloudRoot struct {
	cloudWord
	own, any spelling // the root's own spellings win over those merged into it
}

func (t *cloudTally) build() []cloudWord {
	byRoot := map[string]*cloudRoot{}
	for k, g := range t.groups {
		r := t.root(k)
		w := byRoot[r]
		if w == nil {
			w = &cloudRoot{cloudWord: cloudWord{Key: r}}
			byRoot[r] = w
		}
		w.Count += g.count
		if r != k {
			w.Merged = append(w.Merged, k)
		}
		for s, n := range g.spellings {
			if r == k {
				w.own.offer(s, n)
			}
			w.any.offer(s, n)
		}
	}
	if len(t.into) > 0 {
		t.countPeople(byRoot)
	}
	out := make([]cloudWord, 0, len(byRoot))
	for _, a := range byRoot {
		w := &a.cloudWord
		w.Word = a.own.text
		if w.Word == "" {
			w.Word = a.any.text
		}
		slices.Sort(w.Merged)
		switch {
		case t.isBlocked(w.Key):
			w.State = "blocked"
		case t.hidden[w.Key]:
			w.State = "hidden"
		case t.pre && !t.shown[w.Key]:
			w.State = "pending"
		default:
			w.State = "shown"
		}
		out = append(out, *w)
	}
	slices.SortFunc(out, func(a, b cloudWord) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// countPeople sets each merged word's count to the people who sent any
// word merged into it: a person who sent "k8s" and "kubernetes" counts once
// in "kubernetes" once they are merged.
func (t *cloudTally) countPeople(byRoot map[string]*cloudRoot) {
	for _, w := range byRoot {
		if len(w.Merged) > 0 {
			w.Count = 0
		}
	}
	for _, keys := range t.keys {
		for i, k := range keys {
			r := t.root(k)
			if w := byRoot[r]; w == nil || len(w.Merged) == 0 || slices.ContainsFunc(keys[:i], func(e string) bool { return t.root(e) == r }) {
				continue // unmerged: counted by its group; or counted already for this person
			}
			byRoot[r].Count++
		}
	}
}

// isBlocked is cloudBlocked(k), remembered: a key's answer never changes.
func (t *cloudTally) isBlocked(k string) bool {
	b, ok := t.blocked[k]
	if !ok {
		b = cloudBlocked(k)
		t.blocked[k] = b
	}
	return b
}

// cloudBlocked reports whether a word holds a profanity, as a whole word.
func cloudBlocked(k string) bool {
	for _, p := range cloudProfanities {
		if ContainsWord(k, p) {
			return true
		}
	}
	return false
}

// CloudFrame is the tally frame of a word cloud: Total respondents and,
// when shown, the words most sent (at most 100, and under 4 KB), each with
// the number of people who sent it; the moderators' frame has every state
// and the merges.
type CloudFrame struct {
	TallyHead
	Words []cloudWord `json:"words,omitempty"`
}

// Frame implements Tally.
func (t *cloudTally) Frame(target Target, v FrameView, now int64) []byte {
	f := CloudFrame{TallyHead: tallyHead(target, v, now, t.respondents)}
	if !v.Show {
		return MustJSON(f)
	}
	all := t.words()
	if v.Moderator {
		f.Words = all[:min(len(all), cloudQueueWords)]
		return MustJSON(f)
	}
	// Each word costs {"k":…,"w":…,"n":…}, plus the escapes a few
	// characters need: counted as the worst case, 6 bytes a byte of text.
	size := len(MustJSON(f)) + 2
	for _, w := range all {
		if w.State != "shown" {
			continue
		}
		cost := 24 + len(w.Key) + len(w.Word) + len(strconv.FormatInt(w.Count, 10))
		if strings.ContainsAny(w.Key+w.Word, "\"<>&") {
			cost += 5 * (len(w.Key) + len(w.Word))
		}
		limit := cloudFrameWords
		if v.Phone {
			limit = cloudPhoneWords // a phone's cloud is small: the room's thousands of phones get a third of the bytes
		}
		if size += cost; size > cloudFrameBytes || len(f.Words) == limit {
			break
		}
		f.Words = append(f.Words, cloudWord{Key: w.Key, Word: w.Word, Count: w.Count})
	}
	return MustJSON(f)
}

// CloudResults are the exported results of a word cloud: every word, most
// sent first, with its state.
type CloudResults struct {
	Respondents int64       `json:"respondents"`
	Words       []cloudWord `json:"words"`
}

// Results implements Tally.
func (t *cloudTally) Results() any { return CloudResults{Respondents: t.respondents, Words: t.words()} }

// Rows implements Tally: one per word, with its state, then the respondents.
func (t *cloudTally) Rows(Question) []ExportRow {
	var rows []ExportRow
	for _, w := range t.words() {
		item := w.Word
		if w.State != "shown" {
			item += " (" + w.State + ")"
		}
		rows = append(rows, ExportRow{Item: item, Audience: w.Count})
	}
	return append(rows, ExportRow{Item: "respondents", Audience: t.respondents})
}

// cloudDecision is a moderator's decision on a word of a cloud.
type cloudDecision struct {
	Action string `json:"action"`         // hide, show, merge, unmerge
	Word   string `json:"word"`           // the word's key (or any spelling of it)
	Into   string `json:"into,omitempty"` // merge: the word it joins
}

// Check implements ReviewedTally: hide or show a word (show approves it
// under pre-moderation), merge a word into another, or undo a merge.
func (t *cloudTally) Check(raw json.RawMessage) (json.RawMessage, string, error) {
	var d cloudDecision
	if err := decodeStrict(raw, &d); err != nil {
		return nil, "", FieldErrorf("action", `A decision looks like {"action":"merge","word":"k8s","into":"kubernetes"}.`)
	}
	d.Word = foldWord(d.Word)
	if d.Word == "" {
		return nil, "", FieldErrorf("word", "Name the word to decide on.")
	}
	switch d.Action {
	case "hide", "show":
		d.Into = ""
	case "unmerge":
		if _, ok := t.into[d.Word]; !ok {
			return nil, "", Errorf(ETransition, "%q is not merged into another word.", d.Word)
		}
		d.Into = ""
	case "merge":
		d.Into = foldWord(d.Into)
		if d.Into == "" {
			return nil, "", FieldErrorf("into", "Name the word to merge into.")
		}
		if t.root(d.Into) == d.Word || d.Into == d.Word {
			return nil, "", FieldErrorf("into", "A word cannot be merged into itself.")
		}
	default:
		return nil, "", FieldErrorf("action", "action must be hide, show, merge or unmerge.")
	}
	b, _ := json.Marshal(d)
	line := d.Action + " " + d.Word
	if d.Into != "" {
		line += " into " + d.Into
	}
	return b, line, nil
}

// Apply implements ReviewedTally.
func (t *cloudTally) Apply(canonical json.RawMessage) {
	t.cache = nil
	var d cloudDecision
	if json.Unmarshal(canonical, &d) != nil {
		return
	}
	switch d.Action {
	case "hide":
		t.hidden[d.Word] = true
	case "show":
		delete(t.hidden, d.Word)
		t.shown[d.Word] = true
	case "merge":
		t.into[d.Word] = d.Into
	case "unmerge":
		delete(t.into, d.Word)
	}
}
