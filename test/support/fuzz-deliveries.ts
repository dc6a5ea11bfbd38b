/**
 * The deliveries of the webhook fuzz test (test/integration/fuzz.test.ts): payloads
 * GitHub sends (the simulator's builders), mutated by a seeded `Mutator`, and how
 * they are delivered (signed, the body exactly as generated).
 */
import { createHmac, randomUUID } from "node:crypto";
import type { Rng } from "../../testing/rng.js";
import {
  checkRunEvent,
  installationEvent,
  installationRepositoriesEvent,
  issueCommentEvent,
  pullRequestEvent,
  pushEvent,
  releaseEvent,
  type CheckRunLike,
  type SimInstallation,
} from "../../testing/github-sim/index.js";
import type { World } from "./env.js";
import { Mutator, ODD_EVENTS, type Json } from "./fuzz-mutator.js";

interface Base {
  event: string;
  payload: Json;
}

function baseFor(rng: Rng, w: World, inst: SimInstallation): Base {
  const repo = w.repo;
  const sha = () => rng.hex(40);
  const user = () => rng.pick(["contributor", "maintainer", "stranger", "dependabot[bot]"]);
  const r = rng.next();
  const json = (p: unknown) => JSON.parse(JSON.stringify(p)) as Json;
  if (r < 0.14) {
    const action = rng.pick(["opened", "synchronize", "reopened", "closed", "labeled", "edited"] as const);
    return {
      event: "pull_request",
      payload: json(
        pullRequestEvent(action, {
          repo,
          number: 1 + rng.int(50),
          headSha: sha(),
          before: sha(),
          author: user(),
          labels: rng.chance(0.3) ? ["a", "b"] : [],
        }),
      ),
    };
  }
  if (r < 0.24) {
    const ref = rng.pick(["main", "feature", "refs/tags/v1.0", "refs/heads/x"]);
    return {
      event: "push",
      payload: json(
        pushEvent({
          repo,
          ref,
          before: sha(),
          after: sha(),
          commits: [{ id: sha(), modified: [rng.pick(["src/a.c", ".packit.yaml", "README.md"])] }],
          forced: rng.chance(0.1),
        }),
      ),
    };
  }
  if (r < 0.44) {
    // Plain comments: a command would make the handler reply inline (see docs/reliability.md).
    const body = rng.pick(["Looks good to me.", "Thanks!", "packit cancel (not a command)", "> /packit cancel\nquoted"]);
    return {
      event: "issue_comment",
      payload: json(
        issueCommentEvent({
          repo,
          issueNumber: 1 + rng.int(50),
          isPullRequest: rng.chance(0.8),
          body,
          author: user(),
          action: rng.pick(["created", "edited", "deleted"] as const),
        }),
      ),
    };
  }
  if (r < 0.64) {
    const run: CheckRunLike = {
      id: 1 + rng.int(1_000_000),
      node_id: `CR_${rng.hex(12)}`,
      name: rng.pick(["rpm-build:fedora-rawhide-x86_64", "testing-farm:fedora-44-x86_64", "packit:config", "other"]),
      head_sha: sha(),
      status: rng.pick(["queued", "in_progress", "completed"]),
      conclusion: null,
      external_id: `job:${rng.int(100)}`,
      app: { id: w.sim.appId, slug: "packit-sim" },
    };
    const action = rng.pick(["requested_action", "rerequested"] as const);
    return {
      event: "check_run",
      payload: json(checkRunEvent(action, { repo, checkRun: run, identifier: rng.pick(["cancel", "rerun", "other"]), sender: user() })),
    };
  }
  if (r < 0.78) {
    const action = rng.pick(["created", "deleted", "suspend", "unsuspend", "new_permissions_accepted"] as const);
    return {
      event: "installation",
      payload: json(installationEvent(action, { installation: inst, repositories: [repo], sender: user() })),
    };
  }
  if (r < 0.84) {
    const action = rng.pick(["added", "removed"] as const);
    return {
      event: "installation_repositories",
      payload: json(installationRepositoriesEvent(action, { installation: inst, added: [repo], removed: [repo], sender: user() })),
    };
  }
  if (r < 0.92) {
    const action = rng.pick(["published", "created", "released", "deleted"] as const);
    return { event: "release", payload: json(releaseEvent(action, { repo, tagName: rng.pick(["v1.0", "1.2.3", "v2"]), author: user() })) };
  }
  if (r < 0.95)
    return { event: "ping", payload: { zen: "Design for failure.", hook_id: rng.int(1000), hook: { type: "App", id: 1, events: ["*"] } } };
  return {
    event: rng.pick(ODD_EVENTS),
    payload: json(pullRequestEvent("opened", { repo, number: 1, headSha: sha(), author: "contributor" })),
  };
}

/** One generated delivery: event header, body text, delivery id and what was done to it. */
export function variation(
  rng: Rng,
  w: World,
  inst: SimInstallation,
  previousIds: string[],
): { event: string; body: string; id: string; ops: string[] } {
  const base = baseFor(rng, w, inst);
  const m = new Mutator(rng);
  let payload = base.payload;
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) payload = m.mutate(payload);
  // Now and then the whole payload is something else entirely.
  if (rng.chance(0.01)) {
    payload = rng.pick<Json>([null, 0, 5, "text", true, [], [payload], {}]);
    m.ops.push(`replace payload with ${JSON.stringify(payload)?.slice(0, 30)}`);
  }
  const event = rng.chance(0.04)
    ? rng.pick(["pull_request", "push", "issue_comment", "check_run", "installation", "release", ...ODD_EVENTS])
    : base.event;
  let id: string = randomUUID();
  if (previousIds.length > 0 && rng.chance(0.02)) {
    id = rng.pick(previousIds);
    m.ops.push("duplicate delivery id");
  } else if (rng.chance(0.01)) {
    id = `${rng.hex(8)}-${"x".repeat(500)}`;
    m.ops.push("long delivery id");
  }
  return { event, body: m.serialize(payload), id, ops: m.ops };
}

/** Deliver as GitHub does, signed with the webhook secret; the body is sent exactly as given. */
export async function deliver(w: World, event: string, body: string, id: string): Promise<{ status: number; text: string }> {
  const secret = w.sim.webhookSecret;
  const res = await fetch(`${w.service.url}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/fuzz",
      "x-github-event": event,
      "x-github-delivery": id,
      "x-github-hook-installation-target-type": "integration",
      "x-hub-signature": `sha1=${createHmac("sha1", secret).update(body).digest("hex")}`,
      "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
    },
    body,
  });
  return { status: res.status, text: await res.text() };
}
