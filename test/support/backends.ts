import { expect } from "vitest";
import { BackendError } from "../../src/errors.js";
import { FINAL_REMOTE_STATES, type BackendClient, type RemoteStatus } from "../../src/backends/types.js";

/** Poll a job's status until it is final; every status seen, in order. */
export async function untilFinal(client: BackendClient, id: string, tick?: () => void): Promise<RemoteStatus[]> {
  const seen: RemoteStatus[] = [];
  const deadline = Date.now() + 10_000; // a bound for a loaded machine, not a measure
  for (;;) {
    const s = await client.status(id);
    seen.push(s);
    if (FINAL_REMOTE_STATES.has(s.state)) return seen;
    if (Date.now() > deadline) throw new Error(`no final state: ${JSON.stringify(seen.at(-1))}`);
    // A fake on an injected clock moves on when the clock does; one on the real clock, with time.
    if (tick) tick();
    else await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * `failure(p)` expects `p` to reject with a BackendError and returns it; every
 * message seen is kept in `messages`, so a suite can check once that no secret leaked.
 */
export function failureRecorder(): { failure: (p: Promise<unknown>) => Promise<BackendError>; messages: string[] } {
  const messages: string[] = [];
  return {
    messages,
    async failure(p) {
      const err = await p.then(
        () => {
          throw new Error("expected a rejection");
        },
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BackendError);
      messages.push((err as Error).message);
      return err as BackendError;
    },
  };
}
