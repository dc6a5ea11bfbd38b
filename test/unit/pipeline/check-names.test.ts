import { describe, expect, it } from "vitest";
import { checkName, formatPython } from "../../../src/pipeline/check-names.js";

describe("check names as Packit's get_check_cls", () => {
  const parts = { jobName: "rpm-build", chroot: "fedora-rawhide-x86_64", package: "pkg" };

  it("joins job, event, chroot and identifier with ':', replacing ':' in the event", () => {
    expect(checkName(parts).name).toBe("rpm-build:fedora-rawhide-x86_64");
    expect(checkName({ ...parts, event: "release:1", identifier: "id" }).name).toBe("rpm-build:release-1:fedora-rawhide-x86_64:id");
  });

  it("formats status_name_template, or falls back to the default and says why", () => {
    expect(checkName({ ...parts, event: "main" }, "{package}/{job_name}@{event}").name).toBe("pkg/rpm-build@main");
    expect(checkName(parts, "{chroot:>30}")).toEqual({
      name: "rpm-build:fedora-rawhide-x86_64",
      templateError: "unsupported replacement field {chroot:>30}",
    });
    expect(checkName(parts, null).name).toBe("rpm-build:fedora-rawhide-x86_64");
  });
});

describe("formatPython (str.format with keyword fields)", () => {
  const values = { a: "x", none: undefined };

  it.each([
    ["{a}-{none}", { text: "x-None" }],
    ["{{a}} {a!r} {a!s}", { text: "{a} 'x' x" }],
    ["{b}", { error: "KeyError: 'b'" }],
    ["{0}", { error: "unsupported replacement field {0}" }],
    ["{}", { error: "unsupported replacement field {}" }],
    ["a}", { error: "Single '}' encountered in format string" }],
    ["{a", { error: "Single '{' encountered in format string" }],
  ])("%s", (template, expected) => {
    expect(formatPython(template, values)).toEqual(expected);
  });
});
