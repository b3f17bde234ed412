-- What each PACS received, one row per form of each delivered result (`result.delivered` with
-- a channel): the panel "What each PACS received" reads these narrow typed rows instead of
-- unpacking the JSON payload of every delivery in `events FINAL` (22 s over 90 days of a
-- national year). A result delivered before results had per-form records counts as the form
-- of its channel (dicom-sc: sc, else sr), acknowledged as the result was, without a status.
--
-- ReplacingMergeTree on the event and form: an event inserted twice (a collector's retry) is
-- one row after a merge and under FINAL, as in `events`. Partitioned by month and ordered by
-- hospital x product x day, so that a time range prunes to its months and days. Filled from
-- the events already stored, then by the materialized view; a row both write (an event
-- inserted while this runs) is the same row twice, collapsed alike. Safe to run again. The
-- backfill repeats the view's SELECT: a view cannot be run over the rows already stored, and
-- POPULATE would lose the events inserted while it runs.
CREATE TABLE IF NOT EXISTS pacs_forms
(
    hospital      LowCardinality(String),
    product       LowCardinality(String),
    day           Date,
    event_id      UUID,
    form          LowCardinality(String),
    occurred_at   DateTime64(3, 'UTC'),
    -- how the result reached the PACS: stow, c-store, or '' before events said so
    via           LowCardinality(String),
    acknowledged  UInt8,
    -- the DICOM status the PACS answered for the form (NULL when not recorded)
    status        Nullable(UInt16)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (hospital, product, day, event_id, form);

CREATE MATERIALIZED VIEW IF NOT EXISTS pacs_forms_mv TO pacs_forms AS
SELECT hospital, product, toDate(occurred_at) AS day, event_id, JSONExtractString(f, 'form') AS form, occurred_at, via,
       toUInt8(JSONExtractBool(f, 'acknowledged')) AS acknowledged, JSONExtract(f, 'status', 'Nullable(UInt16)') AS status
FROM
(
    SELECT hospital, product, occurred_at, event_id, JSONExtractString(payload, 'pacs_via') AS via,
           arrayJoin(if(JSONHas(payload, 'forms'), JSONExtractArrayRaw(payload, 'forms'),
                        [concat('{"form":"', if(channel = 'dicom-sc', 'sc', 'sr'), '","acknowledged":', if(acknowledged = 1, 'true', 'false'), '}')])) AS f
    FROM events
    WHERE type = 'result.delivered' AND channel != 'none'
);

INSERT INTO pacs_forms SETTINGS min_insert_block_size_rows = 4194304, min_insert_block_size_bytes = 1073741824
SELECT hospital, product, toDate(occurred_at) AS day, event_id, JSONExtractString(f, 'form') AS form, occurred_at, via,
       toUInt8(JSONExtractBool(f, 'acknowledged')) AS acknowledged, JSONExtract(f, 'status', 'Nullable(UInt16)') AS status
FROM
(
    SELECT hospital, product, occurred_at, event_id, JSONExtractString(payload, 'pacs_via') AS via,
           arrayJoin(if(JSONHas(payload, 'forms'), JSONExtractArrayRaw(payload, 'forms'),
                        [concat('{"form":"', if(channel = 'dicom-sc', 'sc', 'sr'), '","acknowledged":', if(acknowledged = 1, 'true', 'false'), '}')])) AS f
    FROM events
    WHERE type = 'result.delivered' AND channel != 'none'
);
