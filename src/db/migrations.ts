/**
 * Numbered migrations, one list for both engines. Each runs once, in order, inside a
 * transaction; the applied version is kept in `schema_version`. Never edit a
 * migration that has shipped: add one. All times are epoch milliseconds (INTEGER).
 *
 * `sql` is written for both engines; on PostgreSQL `INTEGER` columns become BIGINT
 * and `INTEGER PRIMARY KEY` an identity column (`forPostgres`). `sqlite` / `postgres`
 * hold what only one engine needs, run after `sql`.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  sqlite?: string;
  postgres?: string;
}

export const MIGRATIONS: readonly Migration[] = [
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
  {
    version: 3,
    name: "indexes for every hot query, a claim that does not scan fairness keys, retention",
    sql: `
-- The "busy project" priority input and the supersede lookup read a repository's unfinished jobs only.
ALTER TABLE jobs ADD COLUMN repo_id INTEGER;
UPDATE jobs SET repo_id = (SELECT p.repo_id FROM pipelines p WHERE p.id = jobs.pipeline_id);
CREATE INDEX jobs_unfinished_repo ON jobs(repo_id) WHERE finished_at IS NULL;
-- The newest successful build of a branch (base of a differential scan), newest first.
CREATE INDEX jobs_builds ON jobs(repo_id, type, target, state, finished_at);
-- Previous heads: pipelines not yet superseded, and the ones naming a head as their "before".
CREATE INDEX pipelines_open_pr ON pipelines(repo_id, pr_number) WHERE superseded_by IS NULL;
CREATE INDEX pipelines_open_branch ON pipelines(repo_id, branch, trigger) WHERE superseded_by IS NULL;
CREATE INDEX pipelines_before ON pipelines(repo_id, before_sha) WHERE before_sha IS NOT NULL;
CREATE INDEX pipelines_repo_created ON pipelines(repo_id, created_at);
CREATE INDEX pipelines_created ON pipelines(created_at);
-- The foreign key superseded_by → pipelines(id): without it SQLite scans pipelines to check each new one.
CREATE INDEX pipelines_superseded_by ON pipelines(superseded_by);
CREATE INDEX check_runs_github ON check_runs(github_id) WHERE github_id IS NOT NULL;
CREATE INDEX check_runs_job ON check_runs(job_id) WHERE job_id IS NOT NULL;
-- Retention (the daily maintenance task prunes by age).
CREATE INDEX deliveries_received ON deliveries(received_at);
CREATE INDEX audit_at ON audit(at);
CREATE INDEX tasks_finished ON tasks(finished_at) WHERE status IN ('succeeded','failed','cancelled','aborted');

-- The claim (src/queue/claim.ts): a todo task is "ready" once it is due and its
-- fairness key accounts for it. task_keys keeps each key's head ready task and its
-- rank, so a claim reads one index entry instead of every waiting key.
ALTER TABLE tasks ADD COLUMN ready INTEGER NOT NULL DEFAULT 0;
DROP INDEX tasks_claim;
-- Every write of a task paid for it; what read it (queue counts, the CLI's list) reads all tasks anyway.
DROP INDEX tasks_status;
CREATE INDEX tasks_promote ON tasks(scheduled_at) WHERE status = 'todo' AND ready = 0;
CREATE INDEX tasks_ready ON tasks(queue, fairness_key, priority DESC, id) WHERE status = 'todo' AND ready = 1;
ALTER TABLE task_keys ADD COLUMN head_id INTEGER;          -- the key's next task (NULL: nothing ready)
ALTER TABLE task_keys ADD COLUMN head_priority INTEGER;    -- its priority (a newly ready task replaces a lower one)
ALTER TABLE task_keys ADD COLUMN head_rank INTEGER;        -- priority minus age buckets: claim order across keys
CREATE INDEX task_keys_claim ON task_keys(queue, head_rank DESC, last_claim_seq, head_id) WHERE head_id IS NOT NULL;
CREATE INDEX task_keys_idle ON task_keys(queue, fairness_key) WHERE head_id IS NULL;
`,
    // Round-robin order of claims across processes: SQLite has one writer and takes MAX + 1.
    sqlite: `CREATE INDEX task_keys_seq ON task_keys(last_claim_seq);`,
    postgres: `CREATE SEQUENCE task_claim_seq;`,
  },
  {
    version: 4,
    name: "pipelines remember GitHub's time of their event (the order of heads a missing before cannot give); unresolved submission intents are found by an index",
    sql: `ALTER TABLE pipelines ADD COLUMN event_at INTEGER;
-- Submissions whose backend id was never stored, reconciled at start (PipelineStore.unresolvedIntents).
CREATE INDEX jobs_unresolved_intents ON jobs(id) WHERE submit_attempted > 0 AND external_id IS NULL;`,
  },
  {
    version: 5,
    name: "the dashboard's read model: job history, durations, builder time saved, re-runs as new check runs, private repositories, sign-in sessions",
    sql: `
-- Every state a job entered, with its message: the job page's history.
CREATE TABLE job_events (
  id       INTEGER PRIMARY KEY,
  job_id   INTEGER NOT NULL REFERENCES jobs(id),
  at       INTEGER NOT NULL,
  state    TEXT NOT NULL,
  message  TEXT
);
CREATE INDEX job_events_job ON job_events(job_id, id);

ALTER TABLE jobs ADD COLUMN started_at INTEGER;      -- when it was first submitted to its backend (duration = finished_at - started_at)
ALTER TABLE jobs ADD COLUMN rerun_of INTEGER;        -- the job this one runs again (a re-run's new check run links the old one)
ALTER TABLE jobs ADD COLUMN saved_ms INTEGER;        -- cancelled: estimated backend time it did not use (NULL: nothing to go by)
ALTER TABLE jobs ADD COLUMN saved_basis TEXT;        -- how saved_ms was estimated, in words
-- Recent durations of one check of a repository (the basis of a saving estimate).
CREATE INDEX jobs_durations ON jobs(repo_id, key, finished_at) WHERE started_at IS NOT NULL AND state IN ('success', 'failure');
-- Builder time saved per day/week, across projects and per project.
CREATE INDEX jobs_saved ON jobs(finished_at) WHERE saved_ms IS NOT NULL;
CREATE INDEX jobs_saved_repo ON jobs(repo_id, finished_at) WHERE saved_ms IS NOT NULL;
-- Cancellations of the last day / week (the dashboard's front page).
CREATE INDEX jobs_cancelled ON jobs(finished_at) WHERE state = 'cancelled';
-- A job's re-runs (the job page links them).
CREATE INDEX jobs_rerun_of ON jobs(rerun_of) WHERE rerun_of IS NOT NULL;
-- A project's pipelines, newest first, a page at a time, and each pipeline's jobs.
CREATE INDEX pipelines_repo_id ON pipelines(repo_id, id);
CREATE INDEX jobs_pipeline ON jobs(pipeline_id, id);

-- NULL: not known yet, shown only to visitors who can read the repository (as if private).
ALTER TABLE repositories ADD COLUMN private INTEGER;
-- A cancel's repository: the cancellations page shows a private repository's only to those who can read it.
ALTER TABLE audit ADD COLUMN repo_id INTEGER;
CREATE INDEX audit_repo ON audit(repo_id, at) WHERE repo_id IS NOT NULL;

-- Check runs keyed per job (one job = one attempt): a re-run is a new job, so a new
-- check run, and the old one keeps its conclusion. Check runs without a job (the
-- invalid-config check, neutral "not run" checks) stay keyed by head and name.
CREATE TABLE check_runs_v4 (
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
  updated_at      INTEGER NOT NULL
);
INSERT INTO check_runs_v4 (id, installation_id, repo_id, head_sha, name, job_id, github_id, github_node_id, desired, desired_version, sent_version, create_sent, attempts, next_attempt_at, last_error, updated_at)
  SELECT id, installation_id, repo_id, head_sha, name, job_id, github_id, github_node_id, desired, desired_version, sent_version, create_sent, attempts, next_attempt_at, last_error, updated_at FROM check_runs;
DROP TABLE check_runs;
ALTER TABLE check_runs_v4 RENAME TO check_runs;
CREATE UNIQUE INDEX check_runs_job ON check_runs(job_id) WHERE job_id IS NOT NULL;
CREATE UNIQUE INDEX check_runs_head_name ON check_runs(repo_id, head_sha, name) WHERE job_id IS NULL;
CREATE INDEX check_runs_pending ON check_runs(installation_id, next_attempt_at) WHERE desired_version > sent_version;
CREATE INDEX check_runs_github ON check_runs(github_id) WHERE github_id IS NOT NULL;

-- Dashboard sign-ins (GitHub OAuth): the cookie carries the id, signed; no GitHub token is kept.
CREATE TABLE dashboard_sessions (
  id          TEXT PRIMARY KEY,
  login       TEXT NOT NULL,
  repo_ids    TEXT NOT NULL,                    -- JSON: repositories of this App's installations the user can read
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions(expires_at);
`,
    // PostgreSQL keeps the old table's identity sequence name with the new table; move the sequence past the copied ids.
    postgres: `SELECT setval(pg_get_serial_sequence('check_runs', 'id'), COALESCE((SELECT MAX(id) FROM check_runs), 0) + 1, false);`,
  },
  {
    version: 6,
    name: "approval: installations wait for an operator, pull requests of authors without write permission for a maintainer",
    sql: `
-- waiting: runs no job until an operator approves it (or the approval.installations setting does).
ALTER TABLE installations ADD COLUMN approval TEXT NOT NULL DEFAULT 'waiting' CHECK (approval IN ('waiting','approved','denied'));
-- Installations that ran jobs before the gate existed keep running.
UPDATE installations SET approval = 'approved';
ALTER TABLE installations ADD COLUMN approval_by TEXT;
ALTER TABLE installations ADD COLUMN approval_at INTEGER;
-- When a waiting installation's repository got its one "waiting for approval" check run.
ALTER TABLE repositories ADD COLUMN approval_notice_at INTEGER;

-- A pull request head whose author lacks write permission: held jobs wait for a maintainer's approval of that head.
CREATE TABLE pr_approvals (
  repo_id       INTEGER NOT NULL,
  pr_number     INTEGER NOT NULL,
  head_sha      TEXT NOT NULL,
  author        TEXT NOT NULL,
  pipeline_id   INTEGER NOT NULL,                           -- the pipeline whose "Approval needed" check run asks for it
  requested_at  INTEGER NOT NULL,
  approved_by   TEXT,                                       -- NULL: still waiting
  approved_at   INTEGER,
  PRIMARY KEY (repo_id, pr_number, head_sha)
);
CREATE INDEX pr_approvals_waiting ON pr_approvals(requested_at) WHERE approved_by IS NULL;
`,
  },
  {
    version: 7,
    name: "a submission the backend answered cannot still be on its way: look for what it made once, not until the call's timeout",
    sql: `
-- 1: the last sent submission got an answer (an error status), so no request of it is still in flight.
ALTER TABLE jobs ADD COLUMN submit_answered INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 8,
    name: "an enqueue, a claim and its completion write fewer index pages",
    sql: `
-- Only tasks not yet ready: a claim (of a ready task) no longer touches it; ready tasks are due already.
-- It also serves the promotion (per queue), which had an index of its own that every enqueue wrote.
DROP INDEX tasks_due;
DROP INDEX tasks_promote;
CREATE INDEX tasks_due ON tasks(queue, scheduled_at) WHERE status = 'todo' AND ready = 0;
`,
    // SQLite orders claims by their time (src/queue/keys.ts): no index to look the last one up.
    sqlite: `DROP INDEX task_keys_seq;`,
  },
  {
    version: 9,
    name: "a repository's unfinished jobs are counted from their own index, not from every job the repository ever had",
    sql: `
-- With finished_at in it the index covers "WHERE repo_id = ? AND finished_at IS NULL": SQLite took the
-- covering jobs_builds (every job of the repository) for the priority's count instead.
DROP INDEX jobs_unfinished_repo;
CREATE INDEX jobs_unfinished_repo ON jobs(repo_id, finished_at) WHERE finished_at IS NULL;
`,
  },
];
