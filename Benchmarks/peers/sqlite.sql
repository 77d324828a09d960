-- SQLite side of `make bench` (Benchmarks/peers/run.py). Each block starts with `-- name:`; run.py fills in
-- {week_from}, {week_to}, {at} (now, or a past instant) and {at_minus_24h} (text literals) and binds :item.
--
-- SQLite has no time type and no time zones: scanned_at is ISO 8601 text, always written by run.py in one form with
-- the site's offset (2026-09-01T08:08:03.000-05:00), so text order is time order and its first ten characters are
-- the local day. Durations come from julianday(), precise to well under a millisecond here.

-- name: setup
PRAGMA journal_mode = WAL;

-- name: schema
CREATE TABLE scans (
    tracking_id TEXT NOT NULL,
    event       TEXT NOT NULL,
    scanned_at  TEXT NOT NULL,
    messenger   TEXT NOT NULL,
    work_center TEXT NOT NULL,
    device      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    reason      TEXT,
    lat         REAL,
    lon         REAL
);
CREATE UNIQUE INDEX scans_device_seq ON scans (device, seq);
CREATE INDEX scans_tracking ON scans (tracking_id, scanned_at);
CREATE INDEX scans_messenger ON scans (messenger, scanned_at);
CREATE INDEX scans_work_center ON scans (work_center, scanned_at);

-- name: load
-- Read by the sqlite3 shell: its .import is SQLite's bulk loader (one transaction).
.mode csv
.import --skip 1 {csv} scans

-- name: productivity_week
WITH per_day AS (
    SELECT messenger, substr(scanned_at, 1, 10) AS day, count(*) AS scans,
           sum(event = 'picked_up') AS picked_up, sum(event = 'delivered') AS delivered,
           sum(event = 'failed_attempt') AS failed_attempts, sum(event = 'returned') AS returned,
           (julianday(max(scanned_at)) - julianday(min(scanned_at))) * 86400000.0 AS active
    FROM scans
    WHERE scanned_at >= {week_from} AND scanned_at < {week_to}
    GROUP BY messenger, day
)
SELECT messenger, sum(scans), sum(picked_up), sum(delivered), sum(failed_attempts), sum(returned), CAST(round(sum(active)) AS INTEGER)
FROM per_day GROUP BY messenger ORDER BY messenger;

-- name: productivity_all
WITH per_day AS (
    SELECT messenger, substr(scanned_at, 1, 10) AS day, count(*) AS scans,
           sum(event = 'picked_up') AS picked_up, sum(event = 'delivered') AS delivered,
           sum(event = 'failed_attempt') AS failed_attempts, sum(event = 'returned') AS returned,
           (julianday(max(scanned_at)) - julianday(min(scanned_at))) * 86400000.0 AS active
    FROM scans GROUP BY messenger, day
)
SELECT messenger, sum(scans), sum(picked_up), sum(delivered), sum(failed_attempts), sum(returned), CAST(round(sum(active)) AS INTEGER)
FROM per_day GROUP BY messenger ORDER BY messenger;

-- name: compare_work_centers
WITH totals AS (
    SELECT work_center, sum(event = 'delivered') AS delivered FROM scans GROUP BY work_center
), ordered AS (
    SELECT delivered, row_number() OVER (ORDER BY delivered) AS n, count(*) OVER () AS total FROM totals
), median AS (
    SELECT avg(delivered) AS value FROM ordered WHERE n IN ((total + 1) / 2, (total + 2) / 2)
)
SELECT work_center, delivered, rank() OVER (ORDER BY delivered DESC), delivered * 1.0 / (SELECT value FROM median)
FROM totals ORDER BY work_center;

-- name: returns_by_reason
SELECT reason, sum(event = 'failed_attempt'), sum(event = 'returned')
FROM scans WHERE event IN ('failed_attempt', 'returned')
GROUP BY reason ORDER BY reason;

-- name: states
SELECT work_center, event, count(*) FROM (
    SELECT work_center, event, row_number() OVER (PARTITION BY tracking_id ORDER BY scanned_at DESC) AS n
    FROM scans WHERE scanned_at < {at}
) WHERE n = 1
GROUP BY work_center, event ORDER BY work_center, event;

-- name: out_for_delivery_to_delivered_p90
-- Nearest rank: the value at rank ceil(0.9 n), written in integers as (9 n + 9) / 10.
WITH a AS (
    SELECT tracking_id, min(scanned_at) AS t FROM scans WHERE event = 'out_for_delivery' GROUP BY tracking_id
), b AS (
    SELECT s.work_center, CAST(round((julianday(s.scanned_at) - julianday(a.t)) * 86400000.0) AS INTEGER) AS d,
           row_number() OVER (PARTITION BY s.tracking_id ORDER BY s.scanned_at) AS first
    FROM scans s JOIN a ON s.tracking_id = a.tracking_id
    WHERE s.event = 'delivered' AND s.scanned_at >= a.t
), ranked AS (
    SELECT work_center, d, row_number() OVER (PARTITION BY work_center ORDER BY d) AS r, count(*) OVER (PARTITION BY work_center) AS n
    FROM b WHERE first = 1
)
SELECT work_center, n, d FROM ranked WHERE r = (9 * n + 9) / 10 ORDER BY work_center;

-- name: picked_up_to_delivered_by_work_center
WITH a AS (
    SELECT tracking_id, min(scanned_at) AS t FROM scans WHERE event = 'picked_up' GROUP BY tracking_id
), b AS (
    SELECT s.work_center, CAST(round((julianday(s.scanned_at) - julianday(a.t)) * 86400000.0) AS INTEGER) AS d,
           row_number() OVER (PARTITION BY s.tracking_id ORDER BY s.scanned_at) AS first
    FROM scans s JOIN a ON s.tracking_id = a.tracking_id
    WHERE s.event = 'delivered' AND s.scanned_at >= a.t
), ranked AS (
    SELECT work_center, d, row_number() OVER (PARTITION BY work_center ORDER BY d) AS r, count(*) OVER (PARTITION BY work_center) AS n
    FROM b WHERE first = 1
)
SELECT work_center, n, max(CASE WHEN r = (n + 1) / 2 THEN d END), max(CASE WHEN r = (9 * n + 9) / 10 THEN d END),
       max(CASE WHEN r = (99 * n + 99) / 100 THEN d END), max(d)
FROM ranked GROUP BY work_center, n ORDER BY work_center;

-- name: overdue_out_for_delivery_24h
SELECT tracking_id, CAST(round((julianday(scanned_at) - 2440587.5) * 86400000.0) AS INTEGER) FROM (
    SELECT tracking_id, event, scanned_at, row_number() OVER (PARTITION BY tracking_id ORDER BY scanned_at DESC) AS n
    FROM scans WHERE scanned_at < {at}
) WHERE n = 1 AND event = 'out_for_delivery' AND scanned_at <= {at_minus_24h}
ORDER BY scanned_at, tracking_id;

-- name: trace
SELECT tracking_id, CAST(round((julianday(scanned_at) - 2440587.5) * 86400000.0) AS INTEGER), event
FROM scans WHERE tracking_id = :item ORDER BY scanned_at;
