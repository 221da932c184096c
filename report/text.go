package report

import (
	"fmt"
	"strings"
	"time"
)

// words are the report's words in French and English, by key.
var words = map[string][2]string{ // en, fr
	"report":        {"Event report", "Rapport de l'événement"},
	"team_report":   {"Team report", "Rapport d'équipe"},
	"made":          {"Made on %s", "Établi le %s"},
	"contents":      {"Contents", "Sommaire"},
	"page":          {"Page %d of %s", "Page %d sur %s"},
	"participation": {"Participation", "Participation"},
	"joined":        {"People who joined", "Personnes venues"},
	"answered":      {"Answered a question", "Ont répondu à une question"},
	"voted":         {"Scored a pitch", "Ont noté un pitch"},
	"posted":        {"Posted", "Ont publié"},
	"room":          {"Room", "Salle"},
	"per_room":      {"Per room", "Par salle"},
	"per_session":   {"Per session of the programme", "Par session du programme"},
	"col_session":   {"Session", "Session"},
	"col_time":      {"Time", "Horaire"},
	"connections":   {"Connections over time", "Connexions au fil du temps"},
	"conn_peak":     {"Peak: %d connections at %s", "Pic : %d connexions à %s"},
	"peak_conns":    {"Peak connections", "Pic de connexions"},
	"conn_none":     {"No connection figures were kept for this event.", "Aucun relevé de connexions pour cet événement."},
	"nodes":         {"Figures kept by: %s", "Relevés tenus par : %s"},
	"activity":      {"Activity per minute", "Activité par minute"},
	"joins":         {"joins", "arrivées"},
	"votes":         {"votes", "votes"},
	"answers":       {"answers", "réponses"},
	"posts":         {"posts", "publications"},
	"points":        {"points", "points"},
	"questions":     {"Questions", "Questions"},
	"respondents":   {"%d respondents", "%d participants"},
	"no_answers":    {"Nobody answered.", "Personne n'a répondu."},
	"no_questions":  {"No question was asked.", "Aucune question n'a été posée."},
	"right":         {"right answer", "bonne réponse"},
	"audience":      {"Audience", "Public"},
	"jury":          {"Jury", "Jury"},
	"rounds":        {"Pitch rounds", "Sessions de pitchs"},
	"no_rounds":     {"No pitch round.", "Aucune session de pitchs."},
	"rank":          {"Place", "Place"},
	"team":          {"Team", "Équipe"},
	"score":         {"Score", "Score"},
	"votes_mean":    {"Audience and jury: votes · mean score.", "Public et jury : votes · note moyenne."},
	"dist_legend":   {"Filled: the pitch's share of its votes at each score; outlined: the whole round's.", "Plein : la part des votes du pitch pour chaque note ; contour : celle de toute la session."},
	"col_peak":      {"Peak", "Pic"},
	"col_answered":  {"Answered", "Réponses"},
	"col_voted":     {"Scored", "Notes"},
	"col_posted":    {"Posted", "Publié"},
	"jury_weight":   {"The jury weighs %d%% of the score.", "Le jury compte pour %d %% du score."},
	"distribution":  {"Distribution of scores", "Répartition des notes"},
	"vs_round":      {"%s against the whole round", "%s face à toute la session"},
	"quizzes":       {"Quizzes", "Quiz"},
	"podium":        {"Podium (%d players)", "Podium (%d joueurs)"},
	"no_quizzes":    {"No quiz.", "Aucun quiz."},
	"boards":        {"Boards", "Tableaux d'idées"},
	"top_entries":   {"Top entries (%d public)", "Meilleures idées (%d publiques)"},
	"no_boards":     {"No board.", "Aucun tableau."},
	"upvotes":       {"%d upvotes", "%d soutiens"},
	"feed":          {"Feed", "Fil social"},
	"feed_total":    {"%d posts", "%d publications"},
	"moments":       {"Moments", "Temps forts"},
	"moment":        {"%s: %d posts (usually %.0f)", "%s : %d publications (d'habitude %.0f)"},
	"no_feed":       {"No post reached the feed.", "Aucune publication n'est arrivée dans le fil."},
	"surveys":       {"Surveys", "Questionnaires"},
	"no_surveys":    {"No survey in this event.", "Aucun questionnaire dans cet événement."},
	"meetings":      {"Meeting requests", "Demandes de rendez-vous"},
	"meetings_n":    {"%d people asked to meet the team.", "%d personnes ont demandé à rencontrer l'équipe."},
	"meetings_priv": {"Their names are in the report of a role that may see personal data.", "Leurs noms figurent dans le rapport d'un rôle autorisé à voir les données personnelles."},
	"name":          {"Name", "Nom"},
	"company":       {"Company", "Entreprise"},
	"role":          {"Role", "Fonction"},
	"email":         {"Email", "E-mail"},
	"place_of":      {"Place %d of %d", "Place %d sur %d"},
	"presenter":     {"Presented by %s", "Présenté par %s"},
	"quiz_of":       {"Quiz: %s", "Quiz : %s"},
	"kind":          {"kind", "type"},
	"print":         {"Print", "Imprimer"},
	"download_pdf":  {"Download the PDF", "Télécharger le PDF"},
}

// kinds name the question kinds.
var kinds = map[string][2]string{
	"choices": {"single choice", "choix unique"}, "multiple": {"multiple choice", "choix multiple"},
	"scale": {"scale", "échelle"}, "wordcloud": {"word cloud", "nuage de mots"}, "opentext": {"open text", "texte libre"},
	"ranking": {"ranking", "classement"}, "quiz": {"quiz", "quiz"}, "grid": {"rating grid", "grille d'évaluation"},
}

// tr returns key's text in lang, formatted with args.
func tr(lang, key string, args ...any) string {
	w, ok := words[key]
	if !ok {
		return key
	}
	s := w[0]
	if lang == "fr" {
		s = w[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// kindName names a question kind in lang; an unknown kind keeps its id.
func kindName(lang, kind string) string {
	k, ok := kinds[kind]
	if !ok {
		return kind
	}
	if lang == "fr" {
		return k[1]
	}
	return k[0]
}

// clock formats a time of the event (UTC) as hours and minutes.
func clock(t time.Time) string { return t.UTC().Format("15:04") }

// day formats a date in lang.
func day(lang string, t time.Time) string {
	if lang == "fr" {
		months := strings.Fields("janvier février mars avril mai juin juillet août septembre octobre novembre décembre")
		return fmt.Sprintf("%d %s %d, %s UTC", t.Day(), months[t.Month()-1], t.Year(), t.UTC().Format("15:04"))
	}
	return t.UTC().Format("January 2, 2006, 15:04 UTC")
}
