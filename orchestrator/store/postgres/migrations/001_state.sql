-- Banyan orchestrator state on PostgreSQL: one row per record, not one document.
CREATE TABLE nodes (
  id          text PRIMARY KEY,
  site        text NOT NULL,
  last_seen_ms bigint NOT NULL,
  doc         jsonb NOT NULL
);

CREATE TABLE workloads (
  id          text PRIMARY KEY,
  state       text NOT NULL,
  node_id     text,
  doc         jsonb NOT NULL
);

-- The capacity each live workload holds; rebuilt with its workload row in one transaction.
CREATE TABLE reservations (
  workload_id       text NOT NULL REFERENCES workloads(id) ON DELETE CASCADE,
  node_id           text NOT NULL,
  accelerator_index integer NOT NULL,
  PRIMARY KEY (workload_id, accelerator_index)
);
CREATE INDEX reservations_node ON reservations (node_id);

-- Every workload transition, append-only.
CREATE TABLE workload_events (
  workload_id text NOT NULL,
  n           integer NOT NULL,
  at_ms       bigint NOT NULL,
  state       text NOT NULL,
  node_id     text,
  reason      text NOT NULL,
  PRIMARY KEY (workload_id, n)
);

-- The compute ledger's hash chain: seq is the key, so a second writer cannot fork the chain.
CREATE TABLE ledger_entries (
  seq   bigint PRIMARY KEY,
  entry jsonb NOT NULL
);

-- The leader lease: one row; epoch is the fencing token every command carries.
CREATE TABLE leader_lease (
  id          integer PRIMARY KEY CHECK (id = 1),
  holder      text NOT NULL,
  http_url    text NOT NULL,
  epoch       bigint NOT NULL,
  expires_at  timestamptz NOT NULL
);
INSERT INTO leader_lease VALUES (1, '', '', 0, 'epoch');
