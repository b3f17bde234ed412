-- The highest a drift statistic reached in the window: an alarm now clears when the
-- statistic falls back, and the peak keeps the record that it was reached.
ALTER TABLE drift ADD COLUMN IF NOT EXISTS peak Float64 DEFAULT 0;
