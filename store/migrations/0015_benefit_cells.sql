-- The measured benefit as cells, like the other jobs: an incremental run recomputes only the
-- hospital x product x week cells whose studies changed in what benefit reads, or whose reports
-- arrived, and rolls the cells up for their hospital x product groups. The `benefit` and
-- `report_agreement` tables keep their shape; the next analytics run rebuilds them (this
-- migration changes the per-study rows' index, see analytics/run.ts STUDY_CASES_SHAPE).

-- The first time a product's result reached a reader at a hospital, per cell: the group's
-- go-live is the earliest of its cells (a study acquired at or after it is "after go-live").
CREATE TABLE IF NOT EXISTS benefit_weeks
(
    hospital    LowCardinality(String),
    product     LowCardinality(String),
    week        Date,
    -- the earliest delivery to the PACS or view of the cell's studies (2106-01-01 when none)
    live_at     DateTime64(3, 'UTC'),
    computed_at DateTime64(3, 'UTC'),
    is_deleted  UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, week);

-- The go-live each group's cells were last counted with: a cell's after/before split holds
-- while it stays the same; when it moves, every cell of the group is counted again.
CREATE TABLE IF NOT EXISTS benefit_live
(
    hospital    LowCardinality(String),
    product     LowCardinality(String),
    live_at     DateTime64(3, 'UTC'),
    computed_at DateTime64(3, 'UTC'),
    is_deleted  UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product);

-- Per cell, urgency, arm flags and case mix: the reported studies' whole-minute histogram of
-- acquisition to final report (`minutes`: minute -> studies), the states counted, and the
-- report's coded finding against the AI's. Summed over the weeks at roll-up, exactly.
CREATE TABLE IF NOT EXISTS benefit_cells
(
    hospital       LowCardinality(String),
    product        LowCardinality(String),
    week           Date,
    urgency        LowCardinality(String),
    viewed_before  UInt8,
    after_live     UInt8,
    modality       LowCardinality(String),
    age_band       LowCardinality(String),
    ok             UInt32,
    unreported     UInt32,
    excluded       UInt32,
    minutes        Map(Int32, UInt32),
    coded          UInt32,
    both_positive  UInt32,
    ai_only        UInt32,
    report_only    UInt32,
    both_negative  UInt32,
    computed_at    DateTime64(3, 'UTC'),
    is_deleted     UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, week, urgency, viewed_before, after_live, modality, age_band);

-- The cells an incremental benefit run recomputes (scratch of the run in progress).
CREATE TABLE IF NOT EXISTS benefit_scope
(
    hospital LowCardinality(String),
    product  LowCardinality(String),
    week     Date
)
ENGINE = MergeTree
ORDER BY (hospital, product, week);

-- The cells whose studies changed in a column benefit reads (not a verdict): marked by the
-- refresh of the per-study rows, which compares each study's `benefit_hash` with the one in
-- study_index.
CREATE TABLE IF NOT EXISTS benefit_dirty_cells
(
    marked_at DateTime64(3, 'UTC'),
    hospital  LowCardinality(String),
    product   LowCardinality(String),
    week      Date
)
ENGINE = MergeTree
ORDER BY (marked_at, hospital, product, week)
TTL toDateTime(marked_at) + INTERVAL 35 DAY;

ALTER TABLE study_index ADD COLUMN IF NOT EXISTS benefit_hash UInt64 DEFAULT 0 AFTER week;

-- Each study's accession, ordered by the week of its receipt: a cell's studies find their
-- accessions reading their own weeks only.
CREATE TABLE IF NOT EXISTS study_accession_weeks
(
    hospital       LowCardinality(String),
    week           Date,
    study_key      String,
    accession_key  String
)
ENGINE = ReplacingMergeTree
ORDER BY (hospital, week, study_key, accession_key);

CREATE MATERIALIZED VIEW IF NOT EXISTS study_accession_weeks_mv TO study_accession_weeks AS
SELECT hospital, toMonday(occurred_at) AS week, study_key, JSONExtractString(payload, 'accession_key') AS accession_key
FROM events
WHERE type = 'study.received' AND JSONExtractString(payload, 'accession_key') != '';

INSERT INTO study_accession_weeks
SELECT hospital, toMonday(occurred_at), study_key, JSONExtractString(payload, 'accession_key')
FROM events
WHERE type = 'study.received' AND JSONExtractString(payload, 'accession_key') != '';

-- The accessions each insert brought a report or a study for, by ingest time: their studies'
-- cells are what the next benefit run recomputes for reports. Kept 35 days like `touched`.
CREATE TABLE IF NOT EXISTS report_accessions_touched
(
    ingested_at    DateTime64(3, 'UTC'),
    hospital       LowCardinality(String),
    accession_key  String
)
ENGINE = MergeTree
ORDER BY ingested_at
TTL toDateTime(ingested_at) + INTERVAL 35 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS report_accessions_touched_mv TO report_accessions_touched AS
SELECT max(ingested_at) AS ingested_at, hospital, JSONExtractString(payload, 'accession_key') AS accession_key
FROM events
WHERE type IN ('report.signed', 'study.received') AND JSONExtractString(payload, 'accession_key') != ''
GROUP BY hospital, accession_key;

-- Replaced by the two above: the hospitals of each insert of reports.
DROP VIEW IF EXISTS reports_touched_mv;
DROP TABLE IF EXISTS reports_touched;
DROP TABLE IF EXISTS benefit_cases;

-- The benefit job's cells are new: its next run rebuilds them (a stale state, as for a job
-- left out of a run that made the per-study rows anew).
INSERT INTO analytics_state (step, watermark, settings, updated_at)
SELECT step, toDateTime64(0, 3, 'UTC'), 'stale', now64(3) FROM analytics_state FINAL WHERE step = 'benefit';
