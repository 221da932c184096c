// Audience boards: a topic's board frames, the entry on stage and the
// order of entries.

// boardFrames returns the board frames (type, e.g. "board" or
// "board_queue") a topic store holds, oldest board first; removed boards
// are left out (their board_removed frame replaced them).
export function boardFrames(store, type = 'board') {
  if (!store) return [];
  const out = [];
  for (const f of store.frames.values()) if (f.type === type && f.board) out.push(f);
  return out.sort((a, b) => a.board.id - b.board.id);
}

// boardHighlight returns the entry on stage among the boards of a room or
// stage store, with its board, or null: the latest highlight wins.
export function boardHighlight(store) {
  let best = null;
  for (const f of boardFrames(store)) {
    const hl = store.get(`board_highlight:${f.board.id}`);
    if (hl && hl.entry && (!best || (hl.seq || 0) > (best.hl.seq || 0))) best = { hl, board: f.board, entry: hl.entry };
  }
  return best;
}

// sortEntries orders board entries as the server does: pinned first, then
// by sort (top: most upvotes, older first; newest; trending).
export function sortEntries(entries, sort = 'top') {
  const top = (a, b) => b.upvotes - a.upvotes || Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id;
  const cmp = sort === 'newest' ? (a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id
    : sort === 'trending' ? (a, b) => (b.trending || 0) - (a.trending || 0) || top(a, b) : top;
  return entries.slice().sort((a, b) => (b.pinned ? 1 : 0) - (a.pinned ? 1 : 0) || cmp(a, b));
}
