-- Radiology reports from the RIS (`report.signed`, schema version 2), in tables of their own
-- beside the lifecycle: a report is about an accession, not about a study x product.
--
-- `reports`: per hospital x accession pseudonym, from idempotent aggregate states (min, max,
-- argMin/argMax, uniqExact), so that a report event delivered twice changes nothing. The
-- accession pseudonym, the finding's concept and the status come from the event (the
-- accession and the concept from its payload; status, reader and finding from the typed
-- columns the collector fills).
CREATE TABLE IF NOT EXISTS reports
(
    hospital         LowCardinality(String),
    accession_key    String,
    first_report_at  SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    preliminary_at   SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    -- the first final report: the end of "acquisition to final report"
    final_at         SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    amended_at       SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    -- the reader (pseudonym) of the first final report
    final_reader     AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
    -- the latest coded finding of a final or amended report: (concept, positive | negative)
    coded_finding    AggregateFunction(argMax, Tuple(String, String), DateTime64(3, 'UTC')),
    report_events    AggregateFunction(uniqExact, UUID)
)
ENGINE = AggregatingMergeTree
ORDER BY (hospital, accession_key);

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

-- Which study each accession pseudonym belongs to, from `study.received` (schema version 2
-- carries `accession_key`): how a report finds its study.
CREATE TABLE IF NOT EXISTS study_accessions
(
    hospital       LowCardinality(String),
    accession_key  String,
    study_key      String
)
ENGINE = ReplacingMergeTree
ORDER BY (hospital, accession_key, study_key);

CREATE MATERIALIZED VIEW IF NOT EXISTS study_accessions_mv TO study_accessions AS
SELECT hospital, JSONExtractString(payload, 'accession_key') AS accession_key, study_key
FROM events
WHERE type = 'study.received' AND JSONExtractString(payload, 'accession_key') != '';

-- What each insert of reports touched, by ingest time: the hospitals whose benefit the next
-- analytics run recomputes. Kept 35 days like `touched`; a longer pause rebuilds.
CREATE TABLE IF NOT EXISTS reports_touched
(
    ingested_at    DateTime64(3, 'UTC'),
    hospital       LowCardinality(String)
)
ENGINE = MergeTree
ORDER BY ingested_at
TTL toDateTime(ingested_at) + INTERVAL 35 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS reports_touched_mv TO reports_touched AS
SELECT max(ingested_at) AS ingested_at, hospital
FROM events
WHERE type IN ('report.signed', 'study.received') AND JSONExtractString(payload, 'accession_key') != ''
GROUP BY hospital;

-- The measured benefit per hospital x product x urgency ('' = every urgency) x comparison:
-- `viewed` sets studies whose AI result was viewed before the final report (a) against those
-- where it was not (b); `go_live` sets studies acquired after the product's first result reached
-- the hospital's PACS (a) against those before, when it ran unseen (b). Minutes from the
-- acquisition to the first final report; `difference_min` is the Hodges-Lehmann estimate of
-- a - b (negative: faster) with its 95 % interval, beside the difference of the medians.
-- The case mix of both arms is shown side by side; a caution names what differs.
CREATE TABLE IF NOT EXISTS benefit
(
    hospital              LowCardinality(String),
    product               LowCardinality(String),
    urgency               LowCardinality(String),
    comparison            LowCardinality(String),
    n_a                   UInt32,
    n_b                   UInt32,
    median_a_min          Nullable(Float64),
    median_b_min          Nullable(Float64),
    median_difference_min Nullable(Float64),
    difference_min        Nullable(Float64),
    ci_low_min            Nullable(Float64),
    ci_high_min           Nullable(Float64),
    acute_share_a         Nullable(Float64),
    acute_share_b         Nullable(Float64),
    modality_mix_a        String,
    modality_mix_b        String,
    age_mix_a             String,
    age_mix_b             String,
    case_mix_distance     Float64,
    case_mix_caution      String,
    -- routed studies without a final report yet, and those whose report time is impossible
    -- (signed before the acquisition) or beyond 30 days: not in n_a or n_b
    unreported            UInt32,
    excluded              UInt32,
    small_cell            UInt8,
    computed_at           DateTime64(3, 'UTC'),
    is_deleted            UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, urgency, comparison);

-- The routed study x products of the hospital a benefit run is at, with their report (scratch of
-- the run in progress): made once per hospital, read by the histograms, the case mix and the
-- agreement.
CREATE TABLE IF NOT EXISTS benefit_cases
(
    hospital       LowCardinality(String),
    product        LowCardinality(String),
    urgency        LowCardinality(String),
    modality       LowCardinality(String),
    age_band       LowCardinality(String),
    viewed_before  UInt8,
    after_live     UInt8,
    state          LowCardinality(String),
    minute         Int32,
    ai             LowCardinality(String),
    concept        LowCardinality(String),
    rep_concept    LowCardinality(String),
    rep            LowCardinality(String)
)
ENGINE = MergeTree
ORDER BY (hospital, product);

-- The agreement of the report's coded finding with the AI's finding, per hospital x product,
-- for the studies whose final report codes the finding the product looks for.
CREATE TABLE IF NOT EXISTS report_agreement
(
    hospital     LowCardinality(String),
    product      LowCardinality(String),
    concept      LowCardinality(String),
    coded        UInt32,
    both_positive UInt32,
    ai_only      UInt32,
    report_only  UInt32,
    both_negative UInt32,
    agreement    Float64,
    ci_low       Float64,
    ci_high      Float64,
    small_cell   UInt8,
    computed_at  DateTime64(3, 'UTC'),
    is_deleted   UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product);
