import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The longest files of the last run first, whatever their project: vitest's own order
 * runs project by project, which left a long integration file starting after every
 * acceptance one, with one worker busy at the end. Files without a timing (new ones) go
 * first, largest first; files that failed last time keep vitest's place for them: first.
 */
export class LongestFirst extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { cache, config } = this.ctx;
    const last = (f: TestSpecification) => {
      const key = `${f.project.name}:${relative(config.root, f.moduleId)}`;
      return { result: cache.getFileTestResults(key), size: cache.getFileStats(key)?.size ?? 0 };
    };
    const rank = (f: TestSpecification) => {
      const { result, size } = last(f);
      if (!result) return [0, -size];
      return [result.failed ? 1 : 2, -result.duration];
    };
    const ranked = files.map((f) => ({ f, r: rank(f) }));
    ranked.sort((a, b) => a.r[0]! - b.r[0]! || a.r[1]! - b.r[1]!);
    return Promise.resolve(ranked.map(({ f }) => f));
  }
}
