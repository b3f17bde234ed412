-- The tables an incremental run looks a few thousand studies or accessions up in, by their
-- keyed hash, get granules of 128 rows instead of 1,024 (lifecycle, study_index) or 8,192
-- (study_accessions, reports). Each key sits in a granule of its own, so a lookup reads a
-- granule per key and part: at national volume (100 M lifecycle rows, 12 M accessions) the
-- 3,000 keys of five minutes of traffic read 11 M lifecycle rows for 31 k of theirs, and all
-- of study_accessions and reports. The primary index grows accordingly (one entry per 128
-- rows: about 0.8 M for a national year's lifecycle).
--
-- ClickHouse cannot change a table's index_granularity, so each table is copied into one made
-- with the new setting and exchanged with it; its materialized view is made again on the new
-- table. Each step is safe to run again (a half-made copy is dropped and made anew). At
-- national volume the copies take about 10 minutes, and the merges of their parts that follow
-- as long again in the background.

DROP VIEW IF EXISTS lifecycle_mv;
DROP TABLE IF EXISTS lifecycle_next;
CREATE TABLE lifecycle_next AS lifecycle
ENGINE = MergeTree
ORDER BY (hospital, study_key, product)
SETTINGS index_granularity = 128;
INSERT INTO lifecycle_next SETTINGS min_insert_block_size_rows = 4194304, min_insert_block_size_bytes = 1073741824
SELECT * FROM lifecycle;
EXCHANGE TABLES lifecycle_next AND lifecycle;
DROP TABLE lifecycle_next;
CREATE MATERIALIZED VIEW IF NOT EXISTS lifecycle_mv TO lifecycle AS
SELECT hospital, study_key, if(type = 'study.received', '', product) AS product, type, occurred_at, event_id, trace_id, patient_key,
       modality, body_part, age_years, sex, manufacturer, device_model, urgency, send_mode, instance_count, acquired_at,
       outcome, rule, attempt, model_version, finding, score, value, inference_ms, error_class, final, channel, acknowledged,
       user_key, label, agreement
FROM events
WHERE study_key != '';

-- The events of the studies one incremental run refreshes, copied out of the lifecycle once
-- (scratch of the run in progress; analytics/queries.ts LIFECYCLE_REFRESH).
CREATE TABLE IF NOT EXISTS lifecycle_refresh AS lifecycle
ENGINE = MergeTree
ORDER BY (hospital, study_key, product);

DROP TABLE IF EXISTS study_index_next;
CREATE TABLE study_index_next AS study_index
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (hospital, study_key, product)
SETTINGS index_granularity = 128;
INSERT INTO study_index_next SELECT * FROM study_index;
EXCHANGE TABLES study_index_next AND study_index;
DROP TABLE study_index_next;

DROP VIEW IF EXISTS study_accessions_mv;
DROP TABLE IF EXISTS study_accessions_next;
CREATE TABLE study_accessions_next AS study_accessions
ENGINE = ReplacingMergeTree
ORDER BY (hospital, accession_key, study_key)
SETTINGS index_granularity = 128;
INSERT INTO study_accessions_next SELECT * FROM study_accessions;
EXCHANGE TABLES study_accessions_next AND study_accessions;
DROP TABLE study_accessions_next;
CREATE MATERIALIZED VIEW IF NOT EXISTS study_accessions_mv TO study_accessions AS
SELECT hospital, JSONExtractString(payload, 'accession_key') AS accession_key, study_key
FROM events
WHERE type = 'study.received' AND JSONExtractString(payload, 'accession_key') != '';

DROP VIEW IF EXISTS reports_mv;
DROP TABLE IF EXISTS reports_next;
CREATE TABLE reports_next AS reports
ENGINE = AggregatingMergeTree
ORDER BY (hospital, accession_key)
SETTINGS index_granularity = 128;
INSERT INTO reports_next SELECT * FROM reports;
EXCHANGE TABLES reports_next AND reports;
DROP TABLE reports_next;
CREATE MATERIALIZED VIEW IF NOT EXISTS reports_mv TO reports AS
SELECT
    hospital,
    JSONExtractString(payload, 'accession_key') AS accession_key,
    min(toNullable(occurred_at)) AS first_report_at,
    minIf(toNullable(occurred_at), status = 'preliminary') AS preliminary_at,
    minIf(toNullable(occurred_at), status = 'final') AS final_at,
    maxIf(toNullable(occurred_at), status = 'amended') AS amended_at,
    argMinStateIf(user_key, occurred_at, status = 'final') AS final_reader,
    argMaxStateIf(tuple(JSONExtractString(payload, 'finding_concept'), toString(finding)), occurred_at,
                  finding != '' AND status IN ('final', 'amended')) AS coded_finding,
    uniqExactState(event_id) AS report_events
FROM events
WHERE type = 'report.signed'
GROUP BY hospital, accession_key;

-- The studies whose reports an incremental benefit run counts (scratch of the run in progress;
-- analytics/benefit.ts REPORTED_STUDIES): looked up once, read twice.
CREATE TABLE IF NOT EXISTS benefit_reported
(
    hospital  LowCardinality(String),
    study_key String
)
ENGINE = MergeTree
ORDER BY (hospital, study_key);
