-- Ovation schema, version 7: results visibility and correct answers. A
-- poll's results mode says when its results turn public by themselves
-- ('reveal': only when a moderator shows them, as before version 7); a
-- choices or multiple question may mark its right choices (a JSON list of
-- choice numbers, '' for none), which public screens see once revealed.
ALTER TABLE polls ADD COLUMN results TEXT NOT NULL DEFAULT 'reveal';
ALTER TABLE polls ADD COLUMN correct TEXT NOT NULL DEFAULT '';
ALTER TABLE polls ADD COLUMN correct_revealed INTEGER NOT NULL DEFAULT 0;
