/**
 * GitHub sends webhooks only about commits, users and issues it has. A payload
 * builder is GitHub sending an event, so it tells the simulator that served the
 * repository what the payload names; the simulator then answers for them (and
 * refuses everything else as GitHub would: an unknown head sha, a user who does not
 * exist, a comment on a missing issue).
 */

/** What a payload names in one repository. */
export interface Facts {
  commits?: Array<string | null | undefined>;
  users?: Array<string | null | undefined>;
  issues?: number[];
  /** Issue numbers that are pull requests. */
  pulls?: number[];
  /** Tag name → the branch or commit it points at (a release's tag). */
  tags?: Record<string, string>;
}

type Learner = (fullName: string, facts: Facts) => void;

/** By API origin: a repository's `url` says which simulator served it. */
const learners = new Map<string, Learner>();

export function registerLearner(apiOrigin: string, learner: Learner): () => void {
  learners.set(apiOrigin, learner);
  return () => learners.delete(apiOrigin);
}

/** Tell the simulator behind `repo` (as `sim.addRepo()` returned it, or a copy) what a payload names. */
export function learn(repo: { url: string; full_name: string }, facts: Facts): void {
  learners.get(new URL(repo.url).origin)?.(repo.full_name, facts);
}
