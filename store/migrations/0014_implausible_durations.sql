-- Implausibly long durations: a time to result beyond the configured bound
-- (AIFI_TURNAROUND_MAX_MINUTES) is left out of the turnaround figures and counted
-- beside them, as impossible times are counted in `excluded`, and per device in the
-- data-quality cells. Rows written before this migration count 0 until the next
-- analytics run, which rebuilds the results (its settings changed).
ALTER TABLE turnaround_weekly ADD COLUMN IF NOT EXISTS implausible UInt32 DEFAULT 0 AFTER excluded;
ALTER TABLE turnaround ADD COLUMN IF NOT EXISTS implausible UInt32 DEFAULT 0 AFTER excluded;
ALTER TABLE data_quality_weekly ADD COLUMN IF NOT EXISTS implausible UInt32 DEFAULT 0 AFTER impossible;
