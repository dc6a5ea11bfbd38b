/**
 * The chaos run's burst (decided by the seed alone): pull requests opened and pushed
 * to with `synchronize` deliveries out of order, `/packit` commands on them, and
 * pushes to the default branch — each delivery with a fixed id, so a redelivery is
 * GitHub's (same `X-GitHub-Delivery`, same body).
 */
import { replyMarker } from "../../src/github/comments.js";
import { issueCommentEvent, pullRequestEvent, pushEvent, type GitHubSim, type SimRepo } from "../github-sim/index.js";
import type { Rng } from "../rng.js";
import type { SentDelivery } from "./count.js";

export const CHAOS_CONFIG = `# No OpenScanHub scans: the kill loop runs Copr and Testing Farm only.
osh_diff_scan_after_copr_build: false
jobs:
  - job: copr_build
    trigger: pull_request
    targets: [fedora-rawhide-x86_64, fedora-44-x86_64]
  - job: tests
    trigger: pull_request
    targets: [fedora-rawhide-x86_64, fedora-44-x86_64]
  - job: copr_build
    trigger: commit
    branch: main
    targets: [fedora-rawhide-x86_64]
`;

/** The tests of this distro fail, so that `/packit retest-failed` has something to run. */
export const FAILING_DISTRO = "fedora-44";

const COMMANDS = ["/packit build", "/packit test", "/packit retest-failed", "/packit cancel"];
const AUTHOR = "contributor";

export interface PlannedDelivery {
  id: string;
  kind: SentDelivery["kind"];
  event: string;
  payload: object;
  markers?: string[];
  /** What GitHub knows once the event has happened (a PR's new head): run before its first send. */
  happen(): void;
}

const sha = (rng: Rng) => rng.hex(40);
/** GitHub's time of an event: one second apart in the order they happened, as GitHub stamps them. */
const eventTime = (second: number) => Date.UTC(2026, 0, 1) + second * 1000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
const uuid = (rng: Rng) => `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-8${rng.hex(3)}-${rng.hex(12)}`;

/**
 * One pull request's deliveries: opened, three synchronizes (the last two swapped
 * when `swap`: the older head's delivery comes after the newer's), and the commands
 * spread after the opening. Its head on GitHub moves as the events happen, in event
 * order, whatever order their deliveries take.
 */
function pullRequestStream(sim: GitHubSim, repo: SimRepo, rng: Rng, number: number): PlannedDelivery[] {
  const heads = [sha(rng), sha(rng), sha(rng), sha(rng)];
  let happened = -1;
  const moveTo = (i: number) => () => {
    if (i <= happened) return;
    happened = i;
    sim.addPullRequest({ owner: repo.owner.login, repo: repo.name, number, headSha: heads[i]!, author: AUTHOR });
  };
  const pr = (i: number): PlannedDelivery => {
    const payload =
      i === 0
        ? pullRequestEvent("opened", { repo, number, headSha: heads[0]!, author: AUTHOR })
        : pullRequestEvent("synchronize", { repo, number, headSha: heads[i]!, before: heads[i - 1]!, author: AUTHOR });
    payload.pull_request.updated_at = iso(eventTime(number * 10 + i));
    return { id: uuid(rng), kind: "pull_request", event: "pull_request", payload, happen: moveTo(i) };
  };
  const events = [pr(0), pr(1), pr(2), pr(3)];
  // "Older head after newer": the head-2 delivery arrives after head 3's (its event happened first).
  if (rng.chance(0.6)) {
    const late = events[2]!;
    const early = events[3]!;
    events[2] = { ...early, happen: () => (late.happen(), early.happen()) };
    events[3] = late;
  }
  for (const body of COMMANDS) {
    const comment = sim.addComment(repo.owner.login, repo.name, number, { body, author: AUTHOR });
    const command: PlannedDelivery = {
      id: uuid(rng),
      kind: "command",
      event: "issue_comment",
      payload: issueCommentEvent({ repo, issueNumber: number, isPullRequest: true, body, author: AUTHOR, commentId: comment.id }),
      markers: [replyMarker(comment.id, 0)],
      happen: () => undefined,
    };
    events.splice(1 + rng.int(events.length), 0, command);
  }
  return events;
}

/** Pushes to the default branch, one after the other (`before` is the previous push's head). */
function pushStream(sim: GitHubSim, repo: SimRepo, rng: Rng, n: number): PlannedDelivery[] {
  let before = sha(rng);
  sim.addCommit(repo.owner.login, repo.name, before, { ref: repo.default_branch });
  return Array.from({ length: n }, (_, i) => {
    const after = sha(rng);
    const payload = pushEvent({ repo, ref: repo.default_branch, before, after, commits: [{ id: after }] });
    payload.repository.pushed_at = eventTime(i) / 1000;
    before = after;
    return {
      id: uuid(rng),
      kind: "push" as const,
      event: "push",
      payload,
      happen: () => sim.addCommit(repo.owner.login, repo.name, after, { ref: repo.default_branch }),
    };
  });
}

/** The whole burst: the streams interleaved at random, each stream's own order kept. */
export function planBurst(sim: GitHubSim, repo: SimRepo, rng: Rng, o: { pullRequests: number; pushes: number }): PlannedDelivery[] {
  const streams = [
    ...Array.from({ length: o.pullRequests }, (_, i) => pullRequestStream(sim, repo, rng, i + 1)),
    pushStream(sim, repo, rng, o.pushes),
  ].filter((s) => s.length > 0);
  const out: PlannedDelivery[] = [];
  while (streams.length > 0) {
    const i = rng.int(streams.length);
    out.push(streams[i]!.shift()!);
    if (streams[i]!.length === 0) streams.splice(i, 1);
  }
  return out;
}
