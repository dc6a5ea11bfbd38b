/**
 * Which Image Builder `distribution` a Copr chroot stands for, when the job names
 * none (`image_distribution`). Image Builder knows released Fedoras, CentOS Stream
 * majors and RHEL majors (its `Distributions` enum); Copr chroots name the same
 * systems differently, and some have no image at all.
 */

/**
 * The major-release distributions of Image Builder's `Distributions` enum
 * (osbuild/image-builder-crc `internal/v1/api.yaml`); a unit test keeps this equal to
 * the description the fake serves. Point releases, nightlies and betas are left to
 * `image_distribution`.
 */
export const MAJOR_DISTRIBUTIONS: ReadonlySet<string> = new Set([
  "fedora-37",
  "fedora-38",
  "fedora-39",
  "fedora-40",
  "fedora-41",
  "fedora-42",
  "fedora-43",
  "fedora-44",
  "fedora-45",
  "centos-9",
  "centos-10",
  "rhel-8",
  "rhel-9",
  "rhel-10",
]);

/**
 * `fedora-N-<arch>` → `fedora-N`, `centos-stream-N-<arch>` → `centos-N`, and
 * `epel-N-<arch>` → `rhel-N` (EPEL packages are built for RHEL N), when Image Builder
 * has that distribution; null otherwise — `fedora-rawhide` has no image, nor do
 * releases Image Builder dropped or does not have yet.
 */
export function distributionForChroot(chroot: string): string | null {
  const m = /^(fedora|centos-stream|epel)-(\d+)(?:-[a-z0-9_]+)?$/.exec(chroot);
  if (!m) return null;
  const family = { fedora: "fedora", "centos-stream": "centos", epel: "rhel" }[m[1] as "fedora" | "centos-stream" | "epel"];
  const name = `${family}-${m[2]}`;
  return MAJOR_DISTRIBUTIONS.has(name) ? name : null;
}
