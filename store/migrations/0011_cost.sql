-- Cost per hospital under joint purchasing.
--
-- cost_cells: per hospital x product x week x calendar month (a week may straddle two
-- months), the studies inferred and the results used (viewed), counted from study_cases
-- like the adoption cells; an incremental run recomputes the cells that new events touched.
-- cost_monthly / cost_yearly: what the contracts make of those volumes, per hospital x
-- product x month and per contract year, in integer euro cents. product '' holds the
-- hospital's shared costs (its share of the central platform and its implementation).
-- invoice_cents is the network's invoice for the product in that month (or year): the
-- hospitals' joint_cents add up to it exactly. tier / alone_tier are the 1-based tiers the
-- network's volume (or the hospital's own) reached.
CREATE TABLE IF NOT EXISTS cost_cells
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    week Date,
    month Date,
    inferred UInt32,
    viewed UInt32,
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, week, month);

CREATE TABLE IF NOT EXISTS cost_monthly
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    month Date,
    contract_year Date,
    inferred UInt32,
    viewed UInt32,
    joint_cents Int64,
    alone_cents Int64,
    invoice_cents Int64,
    tier UInt8,
    alone_tier UInt8,
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, month);

CREATE TABLE IF NOT EXISTS cost_yearly
(
    hospital LowCardinality(String),
    product LowCardinality(String),
    contract_year Date,
    -- months of the contract year with data so far, and whether the year is over
    months UInt8,
    complete UInt8,
    inferred UInt32,
    viewed UInt32,
    joint_cents Int64,
    alone_cents Int64,
    invoice_cents Int64,
    tier UInt8,
    alone_tier UInt8,
    computed_at DateTime64(3, 'UTC'),
    is_deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(computed_at, is_deleted)
ORDER BY (hospital, product, contract_year);
