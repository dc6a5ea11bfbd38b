import { z } from "zod";
import { AppError } from "../errors.js";

/**
 * A payload lacks a field the app needs; the message says which. `status` makes
 * Probot's middleware answer 400: the sender's mistake, not ours.
 */
class MalformedPayload extends AppError {
  readonly status = 400;
}

const account = z.object({ login: z.string(), id: z.number().optional(), type: z.string().optional() });
const installation = z.object({ id: z.number().int().positive() });
const repository = z.object({
  id: z.number().int(),
  name: z.string().min(1),
  full_name: z.string().min(3),
  owner: account,
  node_id: z.string().optional(),
  default_branch: z.string().optional(),
  clone_url: z.string().optional(),
});
const sender = account;
const sha = z.string().min(1).max(64);

export const pushPayload = z.object({
  ref: z.string(),
  before: z.string().optional(),
  after: z.string(),
  deleted: z.boolean().optional(),
  created: z.boolean().optional(),
  forced: z.boolean().optional(),
  commits: z
    .array(
      z.object({
        added: z.array(z.string()).optional(),
        modified: z.array(z.string()).optional(),
        removed: z.array(z.string()).optional(),
      }),
    )
    .optional(),
  repository,
  installation,
  sender: sender.optional(),
});

export const pullRequestPayload = z.object({
  action: z.string(),
  number: z.number().int().optional(),
  before: z.string().optional(),
  pull_request: z.object({
    number: z.number().int(),
    user: account.optional(),
    head: z.object({ sha, ref: z.string(), repo: z.object({ id: z.number() }).nullable().optional() }),
    base: z.object({ ref: z.string() }),
    labels: z.array(z.object({ name: z.string() })).optional(),
  }),
  repository,
  installation,
  sender: sender.optional(),
});

export const releasePayload = z.object({
  release: z.object({ tag_name: z.string(), target_commitish: z.string().optional() }),
  repository,
  installation,
  sender: sender.optional(),
});

export const issueCommentPayload = z.object({
  action: z.string(),
  issue: z.object({ number: z.number().int(), pull_request: z.object({}).optional(), user: account.optional() }),
  comment: z.object({ id: z.number().int(), body: z.string(), user: account }),
  repository,
  installation,
  sender,
});

export const checkRunPayload = z.object({
  action: z.string(),
  check_run: z.object({ id: z.number().int(), name: z.string(), head_sha: sha, external_id: z.string().nullable().optional() }),
  requested_action: z.object({ identifier: z.string() }).optional(),
  repository,
  installation,
  sender,
});

const repoStub = z.object({
  id: z.number().int(),
  full_name: z.string().regex(/^[^/]+\/[^/]+$/),
  node_id: z.string().optional(),
  name: z.string().optional(),
});

export const installationPayload = z.object({
  action: z.string(),
  installation: z.object({
    id: z.number().int().positive(),
    account: account.optional(),
    created_at: z.union([z.string(), z.number()]).optional(),
    suspended_at: z.string().nullable().optional(),
  }),
  repositories: z.array(repoStub).optional(),
  repositories_added: z.array(repoStub).optional(),
  repositories_removed: z.array(repoStub).optional(),
});

type RepoStub = z.infer<typeof repoStub>;

/** What an `installation*` event changes, as its task applies it (the payload's other fields are not kept). */
export interface InstallationChange {
  action: string;
  installation: { id: number; account?: { login: string; type?: string }; created_at?: string | number; suspended_at?: string | null };
  repositories: RepoStub[];
  added: RepoStub[];
  removed: RepoStub[];
}

const stub = (r: RepoStub): RepoStub => ({ id: r.id, full_name: r.full_name, node_id: r.node_id, name: r.name });

/** An `installation` or `installation_repositories` payload reduced to what changes (pure). */
export function installationChange(p: z.infer<typeof installationPayload>): InstallationChange {
  const i = p.installation;
  return {
    action: p.action,
    installation: {
      id: i.id,
      account: i.account && { login: i.account.login, type: i.account.type },
      created_at: i.created_at,
      suspended_at: i.suspended_at,
    },
    repositories: (p.repositories ?? []).map(stub),
    added: (p.repositories_added ?? []).map(stub),
    removed: (p.repositories_removed ?? []).map(stub),
  };
}

/**
 * Validate a payload against its schema; a clear `MalformedPayload` names the missing
 * or wrong fields. The answer is the payload as GitHub's published webhook types
 * describe it (`T`, from Probot's `Context<"…">`), narrowed by what the schema checked
 * (e.g. `installation` is there).
 */
export function parsePayload<S extends z.ZodType, T>(schema: S, payload: T): T & z.infer<S> {
  const res = schema.safeParse(payload);
  if (res.success) return payload as T & z.infer<S>;
  const issues = res.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`);
  throw new MalformedPayload(`malformed payload: ${issues.join("; ")}`);
}
