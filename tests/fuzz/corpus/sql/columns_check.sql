event_type STRING NOT NULL CHECK (event_type IN
  ('order_created', 'order_paid', 'it''s )')), qty INT CHECK ((qty > 0) AND qty < 10)