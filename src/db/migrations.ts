/**
 * Numbered migrations. Each runs once, in order, inside a transaction; the applied
 * version is kept in `schema_version`. Never edit a migration that has shipped: add one.
 * All times are epoch milliseconds (INTEGER).
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
CREATE TABLE installations (
  id              INTEGER PRIMARY KEY,          -- GitHub installation id
  account_login   TEXT NOT NULL,
  account_type    TEXT NOT NULL DEFAULT 'User',
  created_at      INTEGER NOT NULL,             -- when GitHub says it was installed
  suspended_at    INTEGER,
  deleted_at      INTEGER,
  updated_at      INTEGER NOT NULL
);

CREATE TABLE repositories (
  id              INTEGER PRIMARY KEY,          -- GitHub repository id
  installation_id INTEGER NOT NULL,
  owner           TEXT NOT NULL,
  name            TEXT NOT NULL,
  node_id         TEXT,                         -- GraphQL id, needed for createCheckRun
  default_branch  TEXT,
  clone_url       TEXT,
  added_at        INTEGER NOT NULL,
  removed_at      INTEGER
);
CREATE INDEX repositories_installation ON repositories(installation_id);
-- Not unique: a repository deleted and re-created under the same name has a new id.
CREATE INDEX repositories_full_name ON repositories(owner, name);

-- What we know about a repository's .packit.yaml at a ref.
CREATE TABLE config_state (
  repo_id     INTEGER NOT NULL,
  ref         TEXT NOT NULL,                    -- branch name or commit sha
  state       TEXT NOT NULL CHECK (state IN ('present','absent','invalid','unknown')),
  path        TEXT,
  blob_sha    TEXT,
  text        TEXT,                             -- the config itself, so a cached 'present' costs no request
  error       TEXT,
  checked_at  INTEGER NOT NULL,
  PRIMARY KEY (repo_id, ref)
);

-- One pipeline per trigger event and head sha.
CREATE TABLE pipelines (
  id              INTEGER PRIMARY KEY,
  repo_id         INTEGER NOT NULL,
  installation_id INTEGER NOT NULL,
  trigger         TEXT NOT NULL CHECK (trigger IN ('pull_request','push','release')),
  pr_number       INTEGER,
  branch          TEXT,
  head_sha        TEXT NOT NULL,
  before_sha      TEXT,
  delivery_id     TEXT,
  created_at      INTEGER NOT NULL,
  superseded_by   INTEGER REFERENCES pipelines(id)
);
CREATE INDEX pipelines_pr ON pipelines(repo_id, pr_number, created_at);
CREATE INDEX pipelines_branch ON pipelines(repo_id, branch, created_at);
CREATE INDEX pipelines_head ON pipelines(repo_id, head_sha);

-- Domain jobs: one Packit job instance (job type x target).
CREATE TABLE jobs (
  id                INTEGER PRIMARY KEY,
  token             TEXT NOT NULL UNIQUE,       -- idempotency token sent to the backend
  pipeline_id       INTEGER NOT NULL REFERENCES pipelines(id),
  key               TEXT NOT NULL,              -- = check name
  type              TEXT NOT NULL,
  backend           TEXT NOT NULL,
  target            TEXT NOT NULL,
  depends_on        INTEGER REFERENCES jobs(id),
  state             TEXT NOT NULL,
  submit_attempted  INTEGER NOT NULL DEFAULT 0, -- when a submission was last sent (0: never); look before sending again
  external_id       TEXT,
  url               TEXT,
  message           TEXT,
  artifacts         TEXT,                       -- JSON
  options           TEXT NOT NULL,              -- JSON
  manual_trigger    INTEGER NOT NULL DEFAULT 0,
  cancel_superseded INTEGER NOT NULL DEFAULT 1,
  cancel_reason     TEXT,
  ignore_result     INTEGER NOT NULL DEFAULT 0, -- backend could not cancel: never act on its result
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  finished_at       INTEGER,
  UNIQUE (pipeline_id, key)
);
CREATE INDEX jobs_unfinished ON jobs(pipeline_id) WHERE finished_at IS NULL;
CREATE INDEX jobs_depends_on ON jobs(depends_on) WHERE depends_on IS NOT NULL;
CREATE INDEX jobs_external ON jobs(backend, external_id) WHERE external_id IS NOT NULL;

-- Desired check-run state per job; the reporter sends desired_version > sent_version.
CREATE TABLE check_runs (
  id              INTEGER PRIMARY KEY,
  installation_id INTEGER NOT NULL,
  repo_id         INTEGER NOT NULL,
  head_sha        TEXT NOT NULL,
  name            TEXT NOT NULL,
  job_id          INTEGER REFERENCES jobs(id),
  github_id       INTEGER,
  github_node_id  TEXT,
  desired         TEXT NOT NULL,                -- JSON CheckRunState
  desired_version INTEGER NOT NULL DEFAULT 1,
  sent_version    INTEGER NOT NULL DEFAULT 0,
  create_sent     INTEGER NOT NULL DEFAULT 0,   -- a create was sent; after a crash, look before creating again
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  updated_at      INTEGER NOT NULL,
  UNIQUE (repo_id, head_sha, name)
);
CREATE INDEX check_runs_pending ON check_runs(installation_id, next_attempt_at) WHERE desired_version > sent_version;

-- The task queue (see src/queue).
CREATE TABLE tasks (
  id              INTEGER PRIMARY KEY,
  queue           TEXT NOT NULL,
  name            TEXT NOT NULL,
  payload         TEXT NOT NULL,                -- JSON
  priority        INTEGER NOT NULL DEFAULT 0,   -- higher runs first
  fairness_key    TEXT NOT NULL DEFAULT '',
  lock_key        TEXT,
  status          TEXT NOT NULL CHECK (status IN ('todo','doing','succeeded','failed','cancelled','aborted')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  max_attempts    INTEGER NOT NULL,
  scheduled_at    INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  started_at      INTEGER,
  finished_at     INTEGER,
  worker_id       TEXT,
  lease_until     INTEGER,
  abort_requested INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT
);
-- Queueing lock: at most one todo task per lock key.
CREATE UNIQUE INDEX tasks_lock ON tasks(lock_key) WHERE status = 'todo' AND lock_key IS NOT NULL;
-- Claim: the head task of each fairness key.
CREATE INDEX tasks_claim ON tasks(queue, fairness_key, priority DESC, id) WHERE status = 'todo';
CREATE INDEX tasks_leases ON tasks(lease_until) WHERE status = 'doing';
-- When the next queued task becomes due (worker wake-ups).
CREATE INDEX tasks_due ON tasks(queue, scheduled_at) WHERE status = 'todo';
CREATE INDEX tasks_status ON tasks(status, queue);

-- Fairness keys served round-robin; one row per (queue, key).
CREATE TABLE task_keys (
  queue           TEXT NOT NULL,
  fairness_key    TEXT NOT NULL,
  last_claim_seq  INTEGER NOT NULL DEFAULT 0,    -- order of the last claim; lowest is served next
  PRIMARY KEY (queue, fairness_key)
);

-- Named leases for work that must never run twice at once (the maintenance sweep).
CREATE TABLE locks (
  name        TEXT PRIMARY KEY,
  holder      TEXT NOT NULL,
  expires_at  INTEGER NOT NULL
);

CREATE TABLE deliveries (
  id          TEXT PRIMARY KEY,                 -- X-GitHub-Delivery
  event       TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  outcome     TEXT
);

CREATE TABLE audit (
  id       INTEGER PRIMARY KEY,
  at       INTEGER NOT NULL,
  actor    TEXT NOT NULL,
  action   TEXT NOT NULL,
  subject  TEXT NOT NULL,
  detail   TEXT                                 -- JSON
);
CREATE INDEX audit_action ON audit(action, at);
`,
  },
  {
    version: 2,
    name: "pipelines remember where their source is cloned from (pull requests from forks)",
    sql: `ALTER TABLE pipelines ADD COLUMN source_clone_url TEXT;`,
  },
];
