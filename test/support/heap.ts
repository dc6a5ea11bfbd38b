import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** A real `gc()` so heap measurements are not noise from garbage not yet collected. */
export const gc: () => void = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();
