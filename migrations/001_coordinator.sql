-- Multi-Agent Coordinator: agents, tasks, conflicts, consensus, collaborations,
-- shared coordinator state and the outbox of experiences for the learning engine.

CREATE TABLE IF NOT EXISTS agents (
  id                    text PRIMARY KEY,
  agent_type            text NOT NULL,
  name                  text NOT NULL,
  capabilities          text[] NOT NULL DEFAULT '{}',
  current_load          double precision NOT NULL DEFAULT 0,
  reported_load         double precision,
  max_capacity          double precision NOT NULL DEFAULT 100,
  status                text NOT NULL DEFAULT 'active',
  last_heartbeat        timestamptz NOT NULL DEFAULT now(),
  performance_score     double precision NOT NULL DEFAULT 1,
  success_rate          double precision NOT NULL DEFAULT 1,
  average_response_time double precision NOT NULL DEFAULT 0,
  tasks_completed       integer NOT NULL DEFAULT 0,
  tasks_failed          integer NOT NULL DEFAULT 0,
  specializations       text[] NOT NULL DEFAULT '{}',
  resource_requirements jsonb NOT NULL DEFAULT '{}',
  registered_at         timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT agents_status_check CHECK (status IN ('active', 'inactive', 'draining')),
  CONSTRAINT agents_load_check CHECK (current_load >= 0)
);
CREATE INDEX IF NOT EXISTS agents_status_idx ON agents (status);

CREATE TABLE IF NOT EXISTS tasks (
  id                 text PRIMARY KEY,
  seq                bigserial UNIQUE,
  task_type          text NOT NULL,
  priority           smallint NOT NULL CHECK (priority BETWEEN 1 AND 5),
  description        text NOT NULL DEFAULT '',
  requirements       jsonb NOT NULL DEFAULT '{}',
  dependencies       text[] NOT NULL DEFAULT '{}',
  assigned_agent     text,
  status             text NOT NULL DEFAULT 'pending',
  created_at         timestamptz NOT NULL DEFAULT now(),
  assigned_at        timestamptz,
  started_at         timestamptz,
  completed_at       timestamptz,
  deadline           timestamptz,
  result             jsonb,
  error_message      text,
  retry_count        integer NOT NULL DEFAULT 0,
  max_retries        integer NOT NULL DEFAULT 3,
  estimated_duration double precision NOT NULL DEFAULT 0,
  actual_duration    double precision NOT NULL DEFAULT 0,
  -- capacity units the task occupies on an agent, and the units it holds right now
  load               double precision NOT NULL DEFAULT 10,
  held_load          double precision NOT NULL DEFAULT 0,
  -- a rescheduled task is not assigned again before this time
  not_before         timestamptz,
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tasks_status_check CHECK (status IN ('pending', 'assigned', 'in_progress', 'completed', 'failed', 'cancelled', 'delegated'))
);
CREATE INDEX IF NOT EXISTS tasks_status_idx ON tasks (status);
CREATE INDEX IF NOT EXISTS tasks_created_idx ON tasks (created_at, id);
CREATE INDEX IF NOT EXISTS tasks_agent_idx ON tasks (assigned_agent) WHERE assigned_agent IS NOT NULL;
CREATE INDEX IF NOT EXISTS tasks_active_idx ON tasks (status) WHERE status IN ('pending', 'assigned', 'in_progress', 'delegated');

CREATE TABLE IF NOT EXISTS consensus_sessions (
  id              text PRIMARY KEY,
  proposal_id     text NOT NULL,
  proposal_type   text NOT NULL,
  subject_id      text NOT NULL,
  proposal        jsonb NOT NULL,
  eligible_agents text[] NOT NULL,
  threshold       double precision NOT NULL,
  timeout_seconds double precision NOT NULL,
  status          text NOT NULL DEFAULT 'active',
  consensus_ratio double precision,
  created_at      timestamptz NOT NULL DEFAULT now(),
  decided_at      timestamptz,
  CONSTRAINT consensus_status_check CHECK (status IN ('active', 'passed', 'rejected', 'timeout'))
);
CREATE INDEX IF NOT EXISTS consensus_active_idx ON consensus_sessions (status) WHERE status = 'active';

CREATE TABLE IF NOT EXISTS consensus_votes (
  session_id text NOT NULL REFERENCES consensus_sessions (id) ON DELETE CASCADE,
  agent_id   text NOT NULL,
  vote       boolean NOT NULL,
  reasoning  text NOT NULL DEFAULT '',
  cast_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (session_id, agent_id)
);

CREATE TABLE IF NOT EXISTS conflicts (
  id                text PRIMARY KEY,
  conflict_key      text NOT NULL,
  conflict_type     text NOT NULL,
  description       text NOT NULL,
  involved_agents   text[] NOT NULL DEFAULT '{}',
  involved_tasks    text[] NOT NULL DEFAULT '{}',
  severity          double precision NOT NULL,
  detected_at       timestamptz NOT NULL DEFAULT now(),
  last_seen_at      timestamptz NOT NULL DEFAULT now(),
  resolved          boolean NOT NULL DEFAULT false,
  resolution        jsonb,
  resolution_status text NOT NULL DEFAULT 'proposed',
  consensus_session text,
  outcome           jsonb,
  resolved_at       timestamptz
);
-- One open record per standing condition: the key identifies the condition.
CREATE UNIQUE INDEX IF NOT EXISTS conflicts_open_key_idx ON conflicts (conflict_key) WHERE NOT resolved;

CREATE TABLE IF NOT EXISTS collaborations (
  id                    text PRIMARY KEY,
  problem_id            text NOT NULL,
  description           text NOT NULL DEFAULT '',
  required_capabilities text[] NOT NULL,
  participating_agents  text[] NOT NULL,
  status                text NOT NULL DEFAULT 'active',
  merged_solution       jsonb,
  consensus_session     text,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS collaboration_solutions (
  collaboration_id text NOT NULL REFERENCES collaborations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL,
  solution         jsonb NOT NULL,
  confidence       double precision NOT NULL,
  submitted_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (collaboration_id, agent_id)
);

CREATE TABLE IF NOT EXISTS coordinator_state (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS outbox (
  id              bigserial PRIMARY KEY,
  topic           text NOT NULL,
  message_key     text NOT NULL UNIQUE,
  payload         jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  dead            boolean NOT NULL DEFAULT false,
  last_error      text
);
CREATE INDEX IF NOT EXISTS outbox_due_idx ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND NOT dead;
