-- The cells whose studies changed in a column the turnaround and cost jobs read (the study's
-- times, urgency, send mode and device; not its verdict): marked by the refresh of the
-- per-study rows, which compares each study's `timing_hash` with the one in study_index. A
-- late verdict marks its cell for adoption, performance and drift (dirty_cells), not for
-- turnaround, data quality and cost. Rows indexed before this migration carry a timing_hash
-- of 0, which no row hashes to: their studies' cells are marked when they are next refreshed.
-- The same columns, key and TTL as benefit_dirty_cells.
CREATE TABLE IF NOT EXISTS timing_dirty_cells AS benefit_dirty_cells;

ALTER TABLE study_index ADD COLUMN IF NOT EXISTS timing_hash UInt64 DEFAULT 0 AFTER benefit_hash;
