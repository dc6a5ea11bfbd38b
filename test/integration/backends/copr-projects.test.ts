import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FAKE_COPR_ACCOUNT, startFakeCopr, type FakeCopr } from "../../../testing/fakes/copr.js";
import { failureRecorder } from "../../support/backends.js";
import { coprClient, OTHER, request, SECRET } from "../../support/copr.js";

const { failure, messages } = failureRecorder();

/** The project requests a fake received, by kind. */
function projectCalls(fake: FakeCopr) {
  return {
    gets: fake.calls.filter((c) => c.method === "GET" && c.path === "/api_3/project"),
    adds: fake.calls.filter((c) => c.method === "POST" && c.path.startsWith("/api_3/project/add/")),
    edits: fake.calls.filter((c) => c.method === "POST" && c.path.startsWith("/api_3/project/edit/")),
  };
}

describe("copr projects against the fake", () => {
  let fake: FakeCopr;
  beforeAll(async () => {
    fake = await startFakeCopr({ phaseMs: 150, accounts: [FAKE_COPR_ACCOUNT, OTHER] });
  });
  afterAll(async () => {
    await fake.stop();
    for (const m of messages) expect(m).not.toContain(SECRET);
  });
  beforeEach(() => fake.reset());

  // A client per test: each starts with nothing known about projects.
  const fresh = () => coprClient(fake.url);
  const paths = () => fake.calls.map((c) => `${c.method} ${c.path}`);

  it("creates a missing project before the first build, with Packit's form: unlisted, deleted after 60 days", async () => {
    const sub = await fresh().submit(request());
    expect(paths()).toEqual(["GET /api_3/project", "POST /api_3/project/add/packit", "POST /api_3/build/create/scm"]);
    const get = fake.calls[0]!;
    expect(Object.fromEntries(get.query)).toEqual({ ownername: "packit", projectname: "acme-widget-7" });
    expect(JSON.parse(fake.calls[1]!.body)).toEqual({
      name: "acme-widget-7",
      chroots: ["fedora-rawhide-x86_64"],
      description: expect.stringContaining("acme/widget"),
      instructions: expect.stringContaining("acme/widget"),
      unlisted_on_hp: true,
      delete_after_days: 60,
    });
    expect(fake.project("packit", "acme-widget-7")?.chroots).toEqual(["fedora-rawhide-x86_64"]);
    expect(fake.builds()).toMatchObject([{ id: Number(sub.externalId), projectname: "acme-widget-7" }]);
  });

  it("maps the job's Copr options onto the form, also for a project the user named", async () => {
    const options = {
      owner: "packit",
      project: "widget-nightly",
      list_on_homepage: true,
      preserve_project: true,
      additional_repos: ["https://example.org/extra/$basearch/"],
      module_hotfixes: true,
      bootstrap: "off",
      follow_fedora_branching: true,
      enable_net: true,
    };
    await fresh().submit(request({ options }));
    const form = JSON.parse(projectCalls(fake).adds[0]!.body) as Record<string, unknown>;
    expect(form).toEqual({
      name: "widget-nightly",
      chroots: ["fedora-rawhide-x86_64"],
      description: expect.any(String),
      instructions: expect.any(String),
      unlisted_on_hp: false,
      additional_repos: ["https://example.org/extra/$basearch/"],
      module_hotfixes: true,
      bootstrap: "off",
      follow_fedora_branching: true,
      enable_net: true,
    });
    expect(form).not.toHaveProperty("delete_after_days");
    expect(fake.project("packit", "widget-nightly")?.form).toMatchObject({ unlisted_on_hp: false, enable_net: true });
  });

  it("remembers the project: a second build asks Copr nothing about it, a new chroot costs one edit", async () => {
    const client = fresh();
    await client.submit(request());
    await client.submit(request({ source: { ...request().source, sha: "b".repeat(40) } }));
    expect(projectCalls(fake).gets).toHaveLength(1);
    expect(projectCalls(fake).adds).toHaveLength(1);

    await client.submit(request({ target: "fedora-41-x86_64" }));
    const { gets, edits } = projectCalls(fake);
    expect(gets).toHaveLength(1);
    expect(edits.map((c) => [c.path, JSON.parse(c.body) as unknown])).toEqual([
      ["/api_3/project/edit/packit/acme-widget-7", { chroots: ["fedora-41-x86_64", "fedora-rawhide-x86_64"] }],
    ]);
    expect(fake.project("packit", "acme-widget-7")?.chroots).toEqual(["fedora-41-x86_64", "fedora-rawhide-x86_64"]);
    expect(fake.submissions).toBe(3);
  });

  it("adds the job's chroot to an existing project, keeping the chroots it has", async () => {
    fake.addProject("packit", "acme-widget-7", { chroots: ["epel-9-x86_64"] });
    const client = fresh();
    expect(await client.findByToken(request())).toBeNull(); // the project exists, without builds
    await client.submit(request());
    const { adds, edits } = projectCalls(fake);
    expect(adds).toHaveLength(0);
    expect(edits.map((c) => JSON.parse(c.body) as unknown)).toEqual([{ chroots: ["epel-9-x86_64", "fedora-rawhide-x86_64"] }]);
    expect(fake.project("packit", "acme-widget-7")?.chroots).toEqual(["epel-9-x86_64", "fedora-rawhide-x86_64"]);

    // Someone else's project that made us admin: the same.
    fake.addProject("someone", "shared", { chroots: ["epel-9-x86_64"], admins: ["packit"] });
    await client.submit(request({ options: { owner: "someone", project: "shared" } }));
    expect(fake.project("someone", "shared")?.chroots).toEqual(["epel-9-x86_64", "fedora-rawhide-x86_64"]);
    expect(fake.submissions).toBe(2);
  });

  it("someone else's project without the chroot, which we may not edit: a permanent error saying what to do, no token in it", async () => {
    fake.addProject("someone", "their-proj", { chroots: ["fedora-40-x86_64"], builders: ["packit"] });
    const client = fresh();
    const options = { owner: "someone", project: "their-proj" };
    const err = await failure(client.submit(request({ target: "fedora-41-x86_64", options })));
    expect(err.transient).toBe(false);
    expect(err.status).toBe(403);
    expect(err.message).toContain("Copr project someone/their-proj has no chroot fedora-41-x86_64 and packit-probot may not edit it");
    expect(err.message).toContain("Only owners and admins may update their projects.");
    expect(err.message).toContain(`add the chroot at ${fake.url}/coprs/someone/their-proj/edit/ or give the Copr user packit admin rights`);
    expect(err.message).not.toContain(SECRET);
    expect(fake.project("someone", "their-proj")?.chroots).toEqual(["fedora-40-x86_64"]);
    expect(fake.submissions).toBe(0);

    // Builder rights are enough for a chroot the project has.
    await client.submit(request({ target: "fedora-40-x86_64", options }));
    expect(fake.submissions).toBe(1);

    // A project the user named in a namespace we cannot create in.
    const missing = await failure(client.submit(request({ options: { owner: "someone", project: "nowhere" } })));
    expect(missing.transient).toBe(false);
    expect(missing.message).toContain("Copr project someone/nowhere does not exist and packit-probot may not create it");
    expect(fake.project("someone", "nowhere")).toBeUndefined();
  });

  it("concurrent first builds for one project make one project with all their chroots, and every build", async () => {
    const targets = [
      "fedora-rawhide-x86_64",
      "fedora-41-x86_64",
      "fedora-40-x86_64",
      "fedora-41-aarch64",
      "epel-9-x86_64",
      "epel-10-x86_64",
    ];
    const client = fresh();
    const subs = await Promise.all(targets.map((target) => client.submit(request({ target }))));
    expect(new Set(subs.map((s) => s.externalId)).size).toBe(targets.length);
    const { gets, adds, edits } = projectCalls(fake);
    expect([gets.length, adds.length, edits.length]).toEqual([1, 1, 0]);
    expect((JSON.parse(adds[0]!.body) as { chroots: unknown }).chroots).toEqual([...targets].sort());
    expect(fake.submissions).toBe(targets.length);
  });

  it("two processes creating one project at once: the loser's 'already exists' counts as created", async () => {
    // Both look the project up before either add lands.
    fake.faults.delayMs = (r) => (r.path.startsWith("/api_3/project/add/") ? 100 : 0);
    const [a, b] = [fresh(), fresh()];
    await Promise.all([a.submit(request()), b.submit(request({ target: "fedora-41-x86_64" }))]);
    const { adds, edits } = projectCalls(fake);
    expect(adds).toHaveLength(2);
    expect(edits).toHaveLength(1); // the loser's chroot, added to the winner's project
    expect(fake.project("packit", "acme-widget-7")?.chroots).toEqual(["fedora-41-x86_64", "fedora-rawhide-x86_64"]);
    expect(fake.submissions).toBe(2);
  });

  it("a 5xx on the project lookup is transient and nothing is remembered: the retry looks again and creates it", async () => {
    const client = fresh();
    fake.faults.failNext = 1;
    const err = await failure(client.submit(request()));
    expect(err.transient).toBe(true);
    expect(err.status).toBe(500);
    expect(paths()).toEqual(["GET /api_3/project"]);
    expect(fake.submissions).toBe(0);

    await client.submit(request());
    expect(projectCalls(fake).gets).toHaveLength(2);
    expect(fake.project("packit", "acme-widget-7")).toBeDefined();
    expect(fake.submissions).toBe(1);
  });

  it("a project deleted since it was remembered is created again by the next build", async () => {
    const client = fresh();
    await client.submit(request());
    fake.deleteProject("packit", "acme-widget-7");
    fake.resetHttp();
    await client.submit(request({ source: { ...request().source, sha: "b".repeat(40) } }));
    expect(paths()).toEqual([
      "POST /api_3/build/create/scm", // 404: the project is gone
      "GET /api_3/project",
      "POST /api_3/project/add/packit",
      "POST /api_3/build/create/scm",
    ]);
    expect(fake.submissions).toBe(2);

    // Deleted again, and the next build needs a new chroot: the edit finds it gone,
    // a transient error; the retry creates it.
    fake.deleteProject("packit", "acme-widget-7");
    const err = await failure(client.submit(request({ target: "fedora-41-x86_64" })));
    expect(err.transient).toBe(true);
    await client.submit(request({ target: "fedora-41-x86_64" }));
    expect(fake.project("packit", "acme-widget-7")?.chroots).toEqual(["fedora-41-x86_64"]);
    expect(fake.submissions).toBe(3);
  });
});
