package live

import "strings"

// cloudStopWords are the French and English words a word cloud does not
// count when sent alone: articles, pronouns, prepositions, conjunctions and
// the like, in their folded form (foldWord). A phrase that holds them
// ("internet of things") counts. "ai" (French "j'ai") is not one: it is
// the most sent word of many a tech keynote.
var cloudStopWords = setOf(`
a about above after again against all am an and any are as at be because been before being below between both but by
can could did do does doing down during each few for from further had has have having he her here hers herself him
himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other
our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these
they this those through to too under until up very was we were what when where which while who whom why will with would
you your yours yourself yourselves yes ok okay
au aux avec ce ces cet cette dans de des du elle elles en et eux il ils je la le les leur leurs lui ma mais me meme mes
moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses si son sur ta te tes toi ton tu un une vos votre vous
y c d j l m n s t ca cela ceci est sont etait ete etre avoir as avons avez ont a sans sous chez vers entre donc or ni
car puis tres plus moins aussi alors oui non bien tout tous toute toutes rien quoi dont
`)

// cloudProfanities are French and English profanities and slurs, folded
// (foldWord): a word or phrase holding one as a whole word never shows in a
// cloud. Words with an innocent meaning in the other language ("bite") are
// left to the moderators.
var cloudProfanities = strings.Fields(`
fuck fucking fucker fucked motherfucker shit shitty bullshit bitch bastard asshole arsehole dick dickhead cock cunt
twat wanker prick pussy slut whore fag faggot nigger nigga retard crap piss bollocks douche
merde putain pute salope salaud connard connasse conne encule enculer enfoire batard couille couilles
nique niquer ntm fdp negre chier foutre
`)

func setOf(words string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(words) {
		set[w] = true
	}
	return set
}
