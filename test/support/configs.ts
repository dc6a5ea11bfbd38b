/** Packit configs the tests share. */

/** Copr builds and tests on two targets, for pull requests. */
export const TWO_TARGET_CONFIG = `
specfile_path: widget.spec
jobs:
  - job: copr_build
    trigger: pull_request
    targets: [fedora-rawhide-x86_64, fedora-44-x86_64]
  - job: tests
    trigger: pull_request
    targets: [fedora-rawhide-x86_64, fedora-44-x86_64]
`;

/** The same, plus jobs that run only on request: a labelled tests job with an identifier, and a Koji build. */
export const MANUAL_JOBS_CONFIG = `${TWO_TARGET_CONFIG}  - job: tests
    trigger: pull_request
    identifier: slow
    labels: [nightly]
    manual_trigger: true
    targets: [fedora-rawhide-x86_64]
  - job: upstream_koji_build
    trigger: pull_request
    manual_trigger: true
    targets: [fedora-rawhide]
`;
