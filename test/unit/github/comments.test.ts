import { describe, expect, it } from "vitest";
import { fitComment, MAX_COMMENT_CHARS } from "../../../src/github/comments.js";

describe("fitComment", () => {
  it("leaves a comment GitHub accepts as it is", () => {
    const body = "x".repeat(MAX_COMMENT_CHARS);
    expect(fitComment(body)).toBe(body);
  });

  it("cuts a longer one at a line break, within GitHub's limit, and says so", () => {
    const rows = Array.from({ length: 1000 }, (_, i) => `| \`rpm-build:target-${i}\` | copr | 0 | cancelled ${"-".repeat(60)} |`);
    const body = ["**Cancel: all**", "", ...rows].join("\n");
    const fitted = fitComment(body);
    expect(body.length).toBeGreaterThan(MAX_COMMENT_CHARS);
    expect(fitted.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(fitted).toMatch(/\| cancelled -+ \|\n\n… \(cut: GitHub takes at most 65,536 characters per comment\)$/);
    expect(body.startsWith(fitted.slice(0, fitted.indexOf("\n\n…")))).toBe(true);
  });
});
