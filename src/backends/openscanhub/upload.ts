/**
 * Moving SRPMs from Copr to OpenScanHub, as `osh-cli` does with kobo's
 * `HubProxy.upload_file`: download to a staging file (hashing on the way, capped),
 * `upload.register_upload(name, sha256_hex, size, target_dir)` → `[upload_id,
 * upload_key]`, then a multipart POST of `upload_id`, `upload_key` and `file` to
 * `<hub>/xmlrpc/upload/` (kobo `file_upload`): 200 "Upload finished.", 403 "Not
 * allowed to upload the file.", 500 "Checksum mismatch." or "File already exists.".
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BackendError } from "../../errors.js";
import { DEFAULT_TIMEOUT_MS, describeFetchError, errorText, redactUrl } from "../http.js";
import type { CallOptions } from "../types.js";
import { oshHubRoot } from "./session.js";

const BACKEND = "openscanhub";

/** A submission stages its SRPMs in a fresh directory with this prefix under `tempDir`. */
export const STAGING_PREFIX = "osh-srpm-";
/** Staging untouched this long belongs to a process that died: a live transfer stalls out far sooner. */
export const STALE_STAGING_MS = 3_600_000;
/** SRPMs reach hundreds of MB; anything above this is refused rather than staged. */
export const DEFAULT_MAX_SRPM_BYTES = 1024 ** 3;
/** What an RPM file name may hold; it travels in a multipart header and becomes a file name on the hub. */
export const SRPM_NAME = /^[\w.+~^-]+\.src\.rpm$/;
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** kobo's upload view: `<hub>/xmlrpc/upload/` (HubProxy posts to `<HUB_URL>/upload/`). */
export function oshUploadUrl(xmlrpcUrl: string): string {
  return `${oshHubRoot(xmlrpcUrl)}/xmlrpc/upload/`;
}

/** The file name at the end of a URL, decoded. */
export function fileName(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).pathname.split("/").pop() ?? "") || undefined;
  } catch {
    return undefined;
  }
}

/** An SRPM downloaded to `path`, ready to upload as `name`. */
export interface StagedSrpm {
  name: string;
  path: string;
  size: number;
  sha256: string;
}

/** The upload endpoint answered "Checksum mismatch.": the whole submission is tried once more (see `submit`). */
export class ChecksumMismatch extends BackendError {}

export function randomName(length: number): string {
  return Array.from(randomBytes(length), (b) => ALNUM[b % ALNUM.length]).join("");
}

/**
 * Remove the staging directories a killed process left behind under `tempDir` (a
 * live submission removes its own): those in which nothing changed for
 * `olderThanMs`. SRPMs are large, so leftovers would fill the disk over restarts.
 * Returns how many were removed.
 */
export async function removeStaleStaging(tempDir: string = tmpdir(), olderThanMs = STALE_STAGING_MS, now = Date.now()): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(tempDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith(STAGING_PREFIX)) continue;
    const dir = join(tempDir, entry.name);
    try {
      const files = await readdir(dir);
      const times = await Promise.all([dir, ...files.map((f) => join(dir, f))].map(async (p) => (await stat(p)).mtimeMs));
      if (now - Math.max(...times) < olderThanMs) continue;
      await rm(dir, { recursive: true, force: true });
      removed++;
    } catch {
      // Removed meanwhile by its own submission: nothing to do.
    }
  }
  return removed;
}

/** Downloads and uploads of one client: `timeoutMs` is an idle limit, `maxSrpmBytes` a cap. */
export class SrpmTransfers {
  constructor(
    private readonly hubUrl: string,
    private readonly timeoutMs: number | undefined,
    private readonly maxSrpmBytes: number,
  ) {}

  /**
   * Run one transfer with `endpoint.timeoutMs` as an idle limit: SRPMs are too big
   * for one deadline, so the clock restarts whenever `progress()` is called. An abort
   * from `opts.signal` is rethrown as is; other failures are transient.
   */
  async transfer<T>(opts: CallOptions, where: string, fn: (signal: AbortSignal, progress: () => void) => Promise<T>): Promise<T> {
    const ms = this.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const idle = new AbortController();
    const timer = setTimeout(() => idle.abort(), ms);
    try {
      return await fn(opts.signal ? AbortSignal.any([opts.signal, idle.signal]) : idle.signal, () => timer.refresh());
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      if (err instanceof BackendError) throw err;
      const what = idle.signal.aborted ? `timed out (nothing moved for ${ms} ms)` : describeFetchError(err);
      throw new BackendError(BACKEND, `${where}: ${what}`, { transient: true, cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** GET the SRPM into `path`, hashing and counting on the way; never more than `maxSrpmBytes`. */
  async download(src: { url: string; name: string }, path: string, what: string, opts: CallOptions): Promise<StagedSrpm> {
    const shown = redactUrl(src.url);
    const tooBig = () =>
      new BackendError(BACKEND, `${what} is larger than the ${this.maxSrpmBytes}-byte limit: ${shown}`, { transient: false });
    return this.transfer(opts, `GET ${shown}`, async (signal, progress) => {
      const res = await fetch(src.url, { signal });
      progress();
      if (res.status !== 200 || !res.body) {
        await res.body?.cancel();
        if (res.status === 404 || res.status === 403 || res.status === 410) {
          throw new BackendError(BACKEND, `${what} is gone: ${shown} answered ${res.status}`, { transient: false, status: res.status });
        }
        const transient = res.status >= 500 || res.status === 408 || res.status === 429;
        throw new BackendError(BACKEND, `GET ${shown}: HTTP ${res.status}`, { transient, status: res.status });
      }
      if (Number(res.headers.get("content-length")) > this.maxSrpmBytes) {
        await res.body.cancel();
        throw tooBig();
      }
      const hash = createHash("sha256");
      let size = 0;
      const out = await open(path, "wx");
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          size += chunk.byteLength;
          if (size > this.maxSrpmBytes) throw tooBig();
          hash.update(chunk);
          await out.write(chunk);
          progress();
        }
      } finally {
        await out.close();
      }
      return { name: src.name, path, size, sha256: hash.digest("hex") };
    });
  }

  /**
   * The multipart POST of kobo's upload view, streamed from disk. The session cookie
   * goes along although the view only checks the upload key.
   */
  async postFile(cookie: string, id: number, key: string, srpm: StagedSrpm, opts: CallOptions): Promise<void> {
    const url = oshUploadUrl(this.hubUrl);
    const where = `upload of ${srpm.name} to ${redactUrl(url)}`;
    const boundary = `packit-probot-${randomName(24)}`;
    const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const head = Buffer.from(
      `${field("upload_id", String(id))}${field("upload_key", key)}--${boundary}\r\n` +
        `Content-Disposition: form-data; name="file"; filename="${srpm.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    await this.transfer(opts, where, async (signal, progress) => {
      async function* body(): AsyncGenerator<Uint8Array> {
        yield head;
        for await (const chunk of createReadStream(srpm.path, { highWaterMark: 1024 ** 2 })) {
          progress();
          yield chunk as Buffer;
        }
        yield tail;
      }
      const res = await fetch(url, {
        method: "POST",
        signal,
        // A redirect is a misconfigured hub URL: fail on it rather than resend the body and cookie.
        redirect: "manual",
        duplex: "half",
        body: body(),
        headers: {
          "content-type": `multipart/form-data; boundary=${boundary}`,
          // Django reads exactly Content-Length bytes; it ignores a chunked body.
          "content-length": String(head.length + srpm.size + tail.length),
          cookie,
        },
      });
      const text = errorText((await res.text()).trim());
      if (res.status === 200) return;
      const message = `${where}: HTTP ${res.status} ${text}`.trim();
      if (/Checksum mismatch/i.test(text)) throw new ChecksumMismatch(BACKEND, message, { transient: false, status: res.status });
      throw new BackendError(BACKEND, message, { transient: res.status >= 500, status: res.status });
    });
  }
}
