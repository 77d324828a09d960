-- PostgreSQL side of `make bench` (Benchmarks/peers/run.py). Each block starts with `-- name:`; run.py fills in
-- {week_from}, {week_to} and {at} (timestamptz literals; {at} is now, or a past instant) and binds :item.

-- name: setup
SET TIME ZONE 'America/Bogota';

-- name: schema
-- The four indexes Rastro keeps: unique (device, seq) for exactly-once, and per tracking id, messenger and work
-- centre over time.
CREATE TABLE scans (
    tracking_id text NOT NULL,
    event       text NOT NULL,
    scanned_at  timestamptz NOT NULL,
    messenger   text NOT NULL,
    work_center text NOT NULL,
    device      text NOT NULL,
    seq         bigint NOT NULL,
    reason      text,
    lat         double precision,
    lon         double precision
);
CREATE UNIQUE INDEX scans_device_seq ON scans (device, seq);
CREATE INDEX scans_tracking ON scans (tracking_id, scanned_at);
CREATE INDEX scans_messenger ON scans (messenger, scanned_at);
CREATE INDEX scans_work_center ON scans (work_center, scanned_at);

-- name: load
COPY scans FROM STDIN (FORMAT csv, HEADER true);

-- name: productivity_week
-- Per messenger over one week: scans, events, and active time = the sum over local days of (last − first).
WITH per_day AS (
    SELECT messenger, scanned_at::date AS day, count(*) AS scans,
           count(*) FILTER (WHERE event = 'picked_up') AS picked_up,
           count(*) FILTER (WHERE event = 'delivered') AS delivered,
           count(*) FILTER (WHERE event = 'failed_attempt') AS failed_attempts,
           count(*) FILTER (WHERE event = 'returned') AS returned,
           max(scanned_at) - min(scanned_at) AS active
    FROM scans
    WHERE scanned_at >= {week_from} AND scanned_at < {week_to}
    GROUP BY messenger, day
)
SELECT messenger, sum(scans), sum(picked_up), sum(delivered), sum(failed_attempts), sum(returned),
       round(sum(extract(epoch FROM active)) * 1000)::bigint
FROM per_day GROUP BY messenger ORDER BY messenger;

-- name: productivity_all
WITH per_day AS (
    SELECT messenger, scanned_at::date AS day, count(*) AS scans,
           count(*) FILTER (WHERE event = 'picked_up') AS picked_up,
           count(*) FILTER (WHERE event = 'delivered') AS delivered,
           count(*) FILTER (WHERE event = 'failed_attempt') AS failed_attempts,
           count(*) FILTER (WHERE event = 'returned') AS returned,
           max(scanned_at) - min(scanned_at) AS active
    FROM scans GROUP BY messenger, day
)
SELECT messenger, sum(scans), sum(picked_up), sum(delivered), sum(failed_attempts), sum(returned),
       round(sum(extract(epoch FROM active)) * 1000)::bigint
FROM per_day GROUP BY messenger ORDER BY messenger;

-- name: compare_work_centers
-- Deliveries per work centre with rank and ratio to the median.
WITH totals AS (
    SELECT work_center, count(*) FILTER (WHERE event = 'delivered') AS delivered FROM scans GROUP BY work_center
)
SELECT work_center, delivered, rank() OVER (ORDER BY delivered DESC),
       delivered / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY delivered) FROM totals)
FROM totals ORDER BY work_center;

-- name: returns_by_reason
SELECT reason, count(*) FILTER (WHERE event = 'failed_attempt'), count(*) FILTER (WHERE event = 'returned')
FROM scans WHERE event IN ('failed_attempt', 'returned')
GROUP BY reason ORDER BY reason;

-- name: states
-- Each item's latest scan before the instant, counted by work centre and event.
SELECT work_center, event, count(*) FROM (
    SELECT DISTINCT ON (tracking_id) tracking_id, work_center, event
    FROM scans WHERE scanned_at < {at}
    ORDER BY tracking_id, scanned_at DESC
) latest
GROUP BY work_center, event ORDER BY work_center, event;

-- name: out_for_delivery_to_delivered_p90
-- Per item: earliest out_for_delivery, then the earliest delivered at or after it; nearest-rank p90 per work
-- centre of the delivered scan.
WITH a AS (
    SELECT tracking_id, min(scanned_at) AS t FROM scans WHERE event = 'out_for_delivery' GROUP BY tracking_id
), b AS (
    SELECT DISTINCT ON (s.tracking_id) s.work_center, round(extract(epoch FROM s.scanned_at - a.t) * 1000)::bigint AS d
    FROM scans s JOIN a USING (tracking_id)
    WHERE s.event = 'delivered' AND s.scanned_at >= a.t
    ORDER BY s.tracking_id, s.scanned_at
)
SELECT work_center, count(*), percentile_disc(0.9) WITHIN GROUP (ORDER BY d) FROM b GROUP BY work_center ORDER BY work_center;

-- name: picked_up_to_delivered_by_work_center
WITH a AS (
    SELECT tracking_id, min(scanned_at) AS t FROM scans WHERE event = 'picked_up' GROUP BY tracking_id
), b AS (
    SELECT DISTINCT ON (s.tracking_id) s.work_center, round(extract(epoch FROM s.scanned_at - a.t) * 1000)::bigint AS d
    FROM scans s JOIN a USING (tracking_id)
    WHERE s.event = 'delivered' AND s.scanned_at >= a.t
    ORDER BY s.tracking_id, s.scanned_at
)
SELECT work_center, count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY d), percentile_disc(0.9) WITHIN GROUP (ORDER BY d),
       percentile_disc(0.99) WITHIN GROUP (ORDER BY d), max(d)
FROM b GROUP BY work_center ORDER BY work_center;

-- name: overdue_out_for_delivery_24h
SELECT tracking_id, (extract(epoch FROM scanned_at) * 1000)::bigint FROM (
    SELECT DISTINCT ON (tracking_id) tracking_id, event, scanned_at
    FROM scans WHERE scanned_at < {at}
    ORDER BY tracking_id, scanned_at DESC
) latest
WHERE event = 'out_for_delivery' AND scanned_at <= {at} - interval '24 hours'
ORDER BY scanned_at, tracking_id;

-- name: trace
SELECT tracking_id, (extract(epoch FROM scanned_at) * 1000)::bigint, event FROM scans WHERE tracking_id = :item ORDER BY scanned_at;
