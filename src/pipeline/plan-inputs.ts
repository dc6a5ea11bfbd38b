/**
 * The facts `planJobs` takes beyond the config and the event, read before planning:
 * Copr's active chroots, the chroots of custom Copr projects the config builds in
 * without targets, and this service's instance name. Copr's answers are cached per
 * process (see `backends/copr/chroots.ts`).
 */
import { createCoprChrootReader, type CoprChrootReader } from "../backends/copr/chroots.js";
import type { AppDeps } from "../deps.js";
import type { PackitConfig } from "../packit-config/parse.js";
import { coprProjectsToRead, type PlanInputs } from "./plan.js";

/** One reader (one cache) per Copr URL, shared by the pipeline and the run commands. */
const readers = new Map<string, CoprChrootReader>();

export async function planInputs(deps: Pick<AppDeps, "settings" | "log">, config: PackitConfig): Promise<PlanInputs> {
  const endpoint = deps.settings.backends.copr;
  let reader = readers.get(endpoint.url);
  if (!reader) {
    reader = createCoprChrootReader(endpoint);
    readers.set(endpoint.url, reader);
  }
  const projects = coprProjectsToRead(config);
  const [active, chroots] = await Promise.all([reader.active(), Promise.all(projects.map((p) => reader.project(p)))]);
  if (active.error)
    deps.log.warn({ error: active.error }, "Copr's active chroots could not be read: chroots are checked against the bundled release list");
  const known = projects.flatMap((p, i) => (chroots[i] ? [[p, chroots[i]] as const] : []));
  return {
    ...(active.chroots ? { activeChroots: active.chroots } : {}),
    coprProjectChroots: new Map(known),
    instance: deps.settings.packit.instance,
  };
}
