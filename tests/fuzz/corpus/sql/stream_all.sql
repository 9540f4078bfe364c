CREATE STREAM IF NOT EXISTS clicks (
  PRIMARY KEY (user_id, ts) NOT ENFORCED,
  CONSTRAINT positive CHECK (n > 0),
  WATERMARK FOR ts AS ts - INTERVAL '1 minute 30 seconds',
  user_id BIGINT,
  n INT DEFAULT 1 CHECK (n < 100) CHECK (n <> 13),
  ts TIMESTAMP NOT NULL,
  day DATE,
  amount NUMERIC(12,2) CHECK (amount BETWEEN 0 AND 99999.99 OR amount IS NULL),
  name VARCHAR(20) CHECK (name NOT LIKE '%x%' AND lower(name) <> 'admin'),
  CHECK (ts >= TIMESTAMP '2020-01-01 00:00:00' AND day > DATE '2020-01-01' AND day < '2030-01-01')
) WITH ('dedupe_ttl' = '10 minutes', late_policy = 'side', partitions = 4,
        retention = '7 days', partitioned_by = 'hour(ts), bucket(8, user_id)');
