import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { MAJOR_DISTRIBUTIONS } from "../../../src/backends/image-builder/distributions.js";

describe("Image Builder distributions", () => {
  it("the major distributions the client maps chroots to are exactly those of the service's description", () => {
    const doc = yaml.load(
      readFileSync(new URL("../../../testing/openapi/image-builder-crc_internal_v1_api.yaml", import.meta.url), "utf8"),
    ) as {
      components: { schemas: { Distributions: { enum: string[] } } };
    };
    // rhel-84 … rhel-95 are point releases, not majors.
    const majors = doc.components.schemas.Distributions.enum.filter(
      (d) => /^(fedora|centos|rhel)-\d+$/.test(d) && !/^rhel-[89]\d$/.test(d),
    );
    expect([...MAJOR_DISTRIBUTIONS].sort()).toEqual(majors.sort());
  });
});
