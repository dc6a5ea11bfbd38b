import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readDeliveries } from "../../testing/demo/recorded.js";
import { runReplay } from "../../testing/demo/replay.js";

const FIXTURES = join(import.meta.dirname, "../fixtures/deliveries");

describe("replay: recorded deliveries against the simulator and fakes", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("replays the fixture folder: handled, or ignored with the app's reason (a malformed payload too)", async () => {
    const lines: string[] = [];
    const summary = await runReplay(FIXTURES, { log: (l) => lines.push(l) });

    expect(summary).toMatchObject({ name: "replay", deliveries: 7, handled: 4, ignored: 3, errors: 0, unhandled: 0 });
    const byFile = Object.fromEntries(summary.results.map((r) => [r.file, r]));
    expect(byFile["01-pr-opened.pull_request.json"]).toMatchObject({ event: "pull_request.opened", status: 200, outcome: "handled" });
    // Nothing asked of GitHub while answering; the config lookup and the check runs come after, in tasks.
    expect(byFile["01-pr-opened.pull_request.json"]!.while_answering).toBe(0);
    expect(byFile["01-pr-opened.pull_request.json"]!.github_requests).toBeGreaterThanOrEqual(2);
    expect(byFile["02-pr-synchronize.pull_request.json"]).toMatchObject({ event: "pull_request.synchronize", outcome: "handled" });
    expect(byFile["03-push-main.push.json"]).toMatchObject({ event: "push", outcome: "handled" });
    expect(byFile["04-tag-push.push.json"]).toMatchObject({
      outcome: "ignored",
      detail: "tag push or branch deletion",
      github_requests: 0,
    });
    // The command is run: an 👀 reaction, a look for an earlier reply (a retried task posts none twice), the cancel report as a reply.
    expect(byFile["05-packit-cancel.json"]).toMatchObject({ event: "issue_comment.created", outcome: "handled", github_requests: 3 });
    expect(byFile["06-ping.json"]).toMatchObject({ event: "ping", status: 200, outcome: "ignored", detail: "no handler for ping" });
    // The sender's mistake: answered 400, not retried, nothing done.
    expect(byFile["07-truncated-pr.pull_request.json"]).toMatchObject({ status: 400, outcome: "ignored", github_requests: 0 });
    expect(byFile["07-truncated-pr.pull_request.json"]!.detail).toContain("pull_request.head.sha");

    expect(JSON.parse(lines.at(-1)!)).toEqual({
      name: "replay",
      deliveries: 7,
      handled: 4,
      ignored: 3,
      errors: 0,
      unhandled: 0,
      github_requests: summary.github_requests,
    });
  }, 60_000);

  it("uses the given config: without jobs for pushes, the push to main is ignored with the app's reason", async () => {
    const summary = await runReplay(FIXTURES, { config: "jobs:\n  - job: copr_build\n    trigger: pull_request\n", log: () => undefined });
    expect(summary.results.find((r) => r.file === "03-push-main.push.json")).toMatchObject({
      outcome: "ignored",
      detail: "no jobs for this event",
    });
  }, 60_000);

  it("reports unreadable files and files without an event as errors, without sending them", () => {
    dir = mkdtempSync(join(tmpdir(), "replay-test-"));
    writeFileSync(join(dir, "a.push.json"), "{ not json");
    writeFileSync(join(dir, "b.json"), JSON.stringify({ ref: "refs/heads/main" }));
    writeFileSync(join(dir, "c.json"), JSON.stringify({ name: "ping", payload: { zen: "Design for failure." } }));
    const read = readDeliveries(dir);
    expect(read.map((d) => ("problem" in d ? `${d.file}: problem` : `${d.file}: ${d.event}`))).toEqual([
      "a.push.json: problem",
      "b.json: problem",
      "c.json: ping",
    ]);
  });
});
