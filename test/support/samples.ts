import { readFileSync } from "node:fs";
import yaml from "js-yaml";

/** One recorded exchange of a requre cassette (Packit's HTTP recordings). */
export interface RecordedExchange {
  method: string;
  url: string;
  status: number;
  body: unknown;
}

const samplePath = (backend: string, file: string) => new URL(`../fixtures/api-samples/${backend}/${file}`, import.meta.url);

/** A recorded JSON body. */
export function jsonSample(backend: string, file: string): unknown {
  return JSON.parse(readFileSync(samplePath(backend, file), "utf8"));
}

/** Every exchange of a requre cassette: the method and URL it was filed under, the status and the JSON body. */
export function requreExchanges(backend: string, file: string): RecordedExchange[] {
  const found: RecordedExchange[] = [];
  const walk = (node: unknown, method: string, url: string) => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, method, url));
    if (typeof node !== "object" || node === null) return;
    const output = (node as { output?: { _content?: unknown; status_code?: number } }).output;
    if (output && typeof output.status_code === "number") {
      found.push({ method, url, status: output.status_code, body: output._content });
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      walk(value, /^(GET|POST|PUT|DELETE)$/.test(key) ? key : method, /^https?:\/\//.test(key) ? key : url);
    }
  };
  walk(yaml.load(readFileSync(samplePath(backend, file), "utf8")), "GET", "");
  return found;
}

const kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

/**
 * Where `actual` does not have the shape of the recorded `sample`: a key of the
 * sample missing, or a value of another JSON type. Null matches anything (fields
 * Copr or TF leave null until a build gets there); every item of an array is held
 * to the shape of the sample's first item. Keys the sample lacks are allowed.
 */
export function shapeMismatches(sample: unknown, actual: unknown, at = "(answer)"): string[] {
  if (sample === null || actual === null) return [];
  if (kind(sample) !== kind(actual)) return [`${at}: ${kind(actual)}, recorded ${kind(sample)}`];
  if (Array.isArray(sample)) {
    const first = sample[0];
    return first === undefined ? [] : (actual as unknown[]).flatMap((item, i) => shapeMismatches(first, item, `${at}[${i}]`));
  }
  if (kind(sample) !== "object") return [];
  const a = actual as Record<string, unknown>;
  return Object.entries(sample as Record<string, unknown>).flatMap(([key, value]) =>
    key in a ? shapeMismatches(value, a[key], `${at}.${key}`) : [`${at}.${key}: missing`],
  );
}
