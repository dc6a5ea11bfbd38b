/**
 * Where things are shown: the dashboard's own paths, and each backend's page for
 * people (never an API answer). Pure; check runs and pages share them.
 */
import type { BackendName } from "../backends/types.js";

export const jobPath = (id: number) => `/jobs/${id}`;
export const pipelinePath = (id: number) => `/pipelines/${id}`;
export const projectPath = (owner: string, name: string) => `/projects/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;

/** `path` on the dashboard at `publicUrl` (which may itself have a path). */
export function absolute(publicUrl: string, path: string): string {
  return `${publicUrl.replace(/\/+$/, "")}${path}`;
}

export const BACKEND_TITLES: Readonly<Record<BackendName, string>> = {
  copr: "Copr",
  "testing-farm": "Testing Farm",
  koji: "Koji",
  "image-builder": "VM Image Builder",
  openscanhub: "OpenScanHub",
};

/** What a backend's page of a job is called. */
const THING: Readonly<Record<BackendName, string>> = {
  copr: "Copr build",
  "testing-farm": "Testing Farm artifacts of request",
  koji: "Koji task",
  "image-builder": "Image Builder compose",
  openscanhub: "OpenScanHub task",
};

export interface BackendPageOptions {
  /** Testing Farm's artifacts server: a request's results page is `<artifactsUrl>/<request id>`. */
  testingFarmArtifactsUrl: string;
}

/** Testing Farm's API answer for a request (JSON), not a page. */
const TESTING_FARM_API = /\/v0\.1\/requests\//;

/**
 * The page a person opens for a job at its backend: Copr's build page, Testing
 * Farm's artifacts page, Koji's and OpenScanHub's task pages, Image Builder in
 * console.redhat.com (which lists composes; it has no page per compose). Undefined
 * before the backend knows the job.
 */
export function backendPage(
  job: { backend: BackendName; external_id: string | null; url: string | null },
  opts: BackendPageOptions,
): { url: string; label: string } | undefined {
  if (!job.external_id) return undefined;
  const label = `${THING[job.backend]} ${job.external_id}`;
  if (job.backend === "testing-farm" && (!job.url || TESTING_FARM_API.test(job.url))) {
    return { url: absolute(opts.testingFarmArtifactsUrl, `/${encodeURIComponent(job.external_id)}`), label };
  }
  return job.url ? { url: job.url, label } : undefined;
}
