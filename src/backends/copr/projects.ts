/**
 * The job's Copr project, as Packit handles it before a build: created when missing
 * (Packit's defaults), given the job's chroot when it lacks it, and remembered for a
 * while so that a pipeline of 20 targets costs one lookup.
 */
import { z } from "zod";
import { BackendError } from "../../errors.js";
import type { JsonApi } from "../http.js";
import type { CallOptions, SubmitRequest } from "../types.js";
import { expectCopr, hasError } from "./answers.js";

/** How long a project seen to exist, with its chroots, is trusted without asking Copr again. */
const PROJECT_TTL_MS = 10 * 60_000;
/** Packit's default lifetime of the projects it creates (unless `preserve_project`). */
const DELETE_AFTER_DAYS = 60;
/**
 * Copr's answers to adding a project that exists: the form validator's "You already
 * have a project named 'p'." (or "Group g already has …"), or, when two adds race
 * past it, "Copr: 'o/p' already exists".
 */
const ALREADY_EXISTS = /already exists|already ha(ve|s) a project named/i;

/** APIv3 project `to_dict`: its chroots are the keys of `chroot_repos`. */
const ProjectAnswer = z.object({ chroot_repos: z.record(z.string(), z.unknown()).nullish() });

/**
 * The Copr project a job builds in: `options.owner`/`options.project` when set,
 * else Packit's convention, owner `packit` and project `<owner>-<repo>-<pr or ref>`
 * (characters Copr does not allow in a name become `-`).
 */
export function coprProject(req: SubmitRequest): { owner: string; project: string } {
  const owner = stringOption(req.options, "owner") ?? "packit";
  const explicit = stringOption(req.options, "project");
  if (explicit) return { owner, project: explicit };
  const suffix = req.source.pr !== undefined ? String(req.source.pr) : (req.source.ref ?? req.source.sha.slice(0, 12));
  const project = `${req.source.owner}-${req.source.repo}-${suffix}`.replace(/[^\w.-]+/g, "-");
  return { owner, project };
}

export interface CoprProjects {
  /** Makes sure the job's project exists and has the job's chroot. */
  ensure(req: SubmitRequest, opts?: CallOptions): Promise<void>;
  /** Forget what is known of a project (Copr says it is gone). */
  forget(owner: string, project: string): void;
}

/** `user` names the app's Copr user in messages; `settingsUrl` is a project's settings page. */
export function createCoprProjects(
  api: JsonApi,
  deps: { user: string; settingsUrl: (owner: string, project: string) => string; now: () => number },
): CoprProjects {
  /**
   * Projects known to exist and the chroots they had, per `owner/project`. Map order
   * is refresh order (an entry is re-inserted when refreshed), so expired entries sit
   * at the front and are dropped there.
   */
  const known = new Map<string, { chroots: Set<string>; until: number }>();
  /** The one project check under way per project; callers add the chroot they need to `wanted`. */
  const syncing = new Map<string, { wanted: Set<string>; done: Promise<void> }>();

  function remember(key: string, chroots: Set<string>): void {
    const now = deps.now();
    for (const [k, v] of known) {
      if (v.until > now) break;
      known.delete(k);
    }
    known.delete(key);
    known.set(key, { chroots, until: now + PROJECT_TTL_MS });
  }

  function knownChroots(key: string): Set<string> | undefined {
    const k = known.get(key);
    return k && k.until > deps.now() ? k.chroots : undefined;
  }

  const chrootsOf = (p: z.output<typeof ProjectAnswer>) => new Set(Object.keys(p.chroot_repos ?? {}));

  /** The project's chroots, or null when it does not exist. */
  async function getProject(owner: string, project: string, opts?: CallOptions): Promise<Set<string> | null> {
    const ans = await api.call("GET", "/project", { query: { ownername: owner, projectname: project }, signal: opts?.signal });
    if (ans.status === 404) return null;
    return chrootsOf(expectCopr(api, ans, ProjectAnswer, `get Copr project ${owner}/${project}`));
  }

  /** Creates the project; null when it exists already (a concurrent submission was first). */
  async function addProject(
    owner: string,
    project: string,
    chroots: string[],
    req: SubmitRequest,
    opts?: CallOptions,
  ): Promise<Set<string> | null> {
    const ans = await api.call("POST", `/project/add/${encodeURIComponent(owner)}`, {
      body: projectForm(req, project, chroots),
      signal: opts?.signal,
    });
    const text = api.text(ans.body);
    if (hasError(ans.body) && ALREADY_EXISTS.test(text)) return null;
    if (ans.status === 403) {
      throw new BackendError(
        api.backend,
        `Copr project ${owner}/${project} does not exist and packit-probot may not create it (${text}): create it with the chroot ${chroots.join(", ")} and give ${deps.user} builder rights`,
        { transient: false, status: ans.status },
      );
    }
    return chrootsOf(expectCopr(api, ans, ProjectAnswer, `create Copr project ${owner}/${project}`));
  }

  /** Adds `missing` to the project's chroots; Copr's edit replaces the whole list. */
  async function addChroots(
    owner: string,
    project: string,
    have: Set<string>,
    missing: string[],
    opts?: CallOptions,
  ): Promise<Set<string>> {
    const path = `/project/edit/${encodeURIComponent(owner)}/${encodeURIComponent(project)}`;
    const ans = await api.call("POST", path, { body: { chroots: [...have, ...missing].sort() }, signal: opts?.signal });
    if (ans.status === 404) {
      known.delete(`${owner}/${project}`);
      throw new BackendError(api.backend, `Copr project ${owner}/${project} was deleted meanwhile; the next attempt creates it again`, {
        transient: true,
        status: 404,
      });
    }
    // A bad token (401) is not the user's to fix.
    if ((ans.status === 403 || hasError(ans.body)) && ans.status !== 401) {
      const s = missing.length > 1 ? "s" : "";
      throw new BackendError(
        api.backend,
        `Copr project ${owner}/${project} has no chroot${s} ${missing.join(", ")} and packit-probot may not edit it (${api.text(ans.body)}): add the chroot${s} at ${deps.settingsUrl(owner, project)} or give ${deps.user} admin rights on the project`,
        { transient: false, status: ans.status },
      );
    }
    return chrootsOf(expectCopr(api, ans, ProjectAnswer, `add chroots ${missing.join(", ")} to Copr project ${owner}/${project}`));
  }

  async function sync(owner: string, project: string, wanted: Set<string>, req: SubmitRequest, opts?: CallOptions): Promise<void> {
    const key = `${owner}/${project}`;
    let found = knownChroots(key) ?? (await getProject(owner, project, opts));
    if (!found) {
      // null: another submission created it meanwhile; read what it made.
      found = (await addProject(owner, project, [...wanted].sort(), req, opts)) ?? (await getProject(owner, project, opts));
      if (!found)
        throw new BackendError(api.backend, `create Copr project ${key}: Copr says it exists but does not show it`, { transient: true });
    }
    const chroots = found;
    remember(key, chroots);
    const missing = [...wanted].filter((c) => !chroots.has(c)).sort();
    if (missing.length > 0) remember(key, await addChroots(owner, project, chroots, missing, opts));
  }

  return {
    /** Concurrent callers for one project share one check, which adds every chroot they asked for in one call. */
    async ensure(req, opts) {
      const { owner, project } = coprProject(req);
      const key = `${owner}/${project}`;
      for (;;) {
        if (knownChroots(key)?.has(req.target)) return;
        const running = syncing.get(key);
        if (!running) {
          const wanted = new Set([req.target]);
          const done = sync(owner, project, wanted, req, opts).finally(() => syncing.delete(key));
          syncing.set(key, { wanted, done });
          return done;
        }
        running.wanted.add(req.target);
        let failure: unknown;
        await running.done.catch((err: unknown) => {
          failure = err;
        });
        if (knownChroots(key)?.has(req.target)) return;
        // A BackendError concerns our chroot too; anything else is the other caller's
        // abort, so look again ourselves. No failure: our chroot came too late for it.
        if (failure instanceof BackendError) throw failure;
      }
    },

    forget(owner, project) {
      known.delete(`${owner}/${project}`);
    },
  };
}

/**
 * Copr APIv3 project form (`project/add`) for a project the app creates. Packit's
 * defaults: unlisted and deleted after 60 days unless the job says `list_on_homepage`
 * or `preserve_project`; the other Copr options of the job are passed as they are.
 */
function projectForm(req: SubmitRequest, project: string, chroots: string[]): Record<string, unknown> {
  const o = req.options;
  // The base repository, not the clone URL: a fork's PR builds from the fork.
  const repo = `${req.source.owner}/${req.source.repo}`;
  return {
    name: project,
    chroots,
    description: `Continuous builds of ${repo} initiated by packit-probot.`,
    instructions: `You can check out the upstream project ${repo} to find out how to consume these builds. This Copr project is created and handled by packit-probot.`,
    unlisted_on_hp: o.list_on_homepage !== true,
    ...(o.preserve_project === true ? {} : { delete_after_days: DELETE_AFTER_DAYS }),
    ...pick(o, ["enable_net", "additional_repos", "module_hotfixes", "bootstrap", "follow_fedora_branching"]),
  };
}

function stringOption(options: Record<string, unknown>, key: string): string | undefined {
  const v = options[key];
  return typeof v === "string" && v !== "" ? v : undefined;
}

export function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
