-- The example project's stream (DESIGN §3), used by tests and benchmarks.
CREATE STREAM orders (
  event_id   STRING NOT NULL,
  tenant_id  STRING NOT NULL,
  order_id   BIGINT NOT NULL,
  user_id    BIGINT,
  product_id INT,
  event_type STRING NOT NULL CHECK (event_type IN
             ('order_created', 'order_paid', 'order_shipped', 'order_cancelled')),
  amount     DECIMAL(12,2),
  currency   STRING,
  event_time TIMESTAMP NOT NULL,
  attributes JSON,
  WATERMARK FOR event_time AS event_time - INTERVAL '5 seconds',
  PRIMARY KEY (event_id) NOT ENFORCED                 -- the dedupe key
) WITH (dedupe_ttl = '1 hour', late_policy = 'keep',
        partitioned_by = 'day(event_time), tenant_id');
