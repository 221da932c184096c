// All the question kinds at once, for the pages that show every kind from
// the start (the stage, the control page): importing this module registers
// them in kinds/index.js's KINDS, in the order the poll form offers them,
// and gives the registry's functions.
import { register } from '/static/kinds/index.js';
import * as multiple from '/static/kinds/multiple.js';
import * as wordcloud from '/static/kinds/wordcloud.js';
import * as opentext from '/static/kinds/opentext.js';
import * as ranking from '/static/kinds/ranking.js';
import * as grid from '/static/kinds/grid.js';
import * as quiz from '/static/kinds/quiz.js';

register({ multiple, wordcloud, opentext, ranking, grid, quiz });

export { KINDS, kindOf, pitchQuestion } from '/static/kinds/index.js';
