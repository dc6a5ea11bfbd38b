/**
 * The fake OpenScanHub's file uploads, as kobo has them: `upload.register_upload`
 * records (kobo `FileUpload`), the `/xmlrpc/upload/` view (kobo `file_upload`: 403
 * for a wrong id/key, 500 "Checksum mismatch." / "File already exists.", 405 for
 * other methods; no session needed), and osh's `check_upload` when a task takes one.
 */
import { createHash, randomBytes } from "node:crypto";
import { XmlRpcFault, type XmlRpcValue } from "../../src/backends/xmlrpc/codec.js";
import type { FakeReply, FakeRequest } from "./http-fake.js";
import { shown } from "./xmlrpc-server.js";

export const UPLOAD_PATH = "/xmlrpc/upload/";

/** kobo's dispatcher: `Fault(1, "%s: %s" % (type, exc))`. */
export const fault = (type: string, message: string) => new XmlRpcFault(1, `${type}: ${message}`);

/** Django's `HttpResponse*`: text/html. */
export const page = (status: number, text: string, headers: Record<string, string> = {}): FakeReply => ({
  status,
  body: text,
  headers: { "content-type": "text/html; charset=utf-8", ...headers },
});

/** kobo `UPLOAD_STATES`. */
type OshUploadState = "NEW" | "STARTED" | "FINISHED" | "FAILED";

/** A registered upload as the fake keeps it. */
export interface FakeOshUpload {
  id: number;
  owner: string;
  name: string;
  /** sha256, hex, as registered. */
  checksum: string;
  /** As registered (kobo does not check it). */
  size: number;
  targetDir: string;
  state: OshUploadState;
  /** The task that took it; kobo then deletes the record, so it cannot be used again. */
  taskId?: number;
}

/**
 * Faults of the upload endpoint only (`faults` hits every request): `failNext`
 * uploads answer `failStatus` with `failBody`; `corruptNext` uploads lose a byte on
 * the way, so the hub's own check answers "Checksum mismatch.". `resetHttp()` clears them.
 */
export interface OshUploadFaults {
  failNext: number;
  failStatus: number;
  failBody: string;
  corruptNext: number;
}

const noUploadFaults = (): OshUploadFaults => ({ failNext: 0, failStatus: 500, failBody: "Internal Server Error", corruptNext: 0 });

export class OshUploads {
  readonly faults = noUploadFaults();
  private readonly byId = new Map<number, FakeOshUpload & { key: string }>();
  private nextId = 1;

  /** `upload.register_upload(name, checksum, size, target_dir)` → `[id, key]`. */
  register(owner: string, name: string, checksum: string, size: number, targetDir: string): [number, string] {
    const id = this.nextId++;
    const key = randomBytes(32).toString("hex");
    this.byId.set(id, { id, owner, name, checksum: checksum.toLowerCase(), size, targetDir, state: "NEW", key });
    return [id, key];
  }

  /** Registered uploads, oldest first (keys left out). */
  list(): FakeOshUpload[] {
    return [...this.byId.values()].map(({ key: _key, ...u }) => u);
  }

  resetFaults(): void {
    Object.assign(this.faults, noUploadFaults());
  }

  clear(): void {
    this.byId.clear();
  }

  /** osh `check_upload`: an upload of this user that is there to take. */
  take(user: string, id: XmlRpcValue | undefined): FakeOshUpload {
    const u = typeof id === "number" ? this.byId.get(id) : undefined;
    if (!u || u.taskId !== undefined) throw fault("ObjectDoesNotExist", `Can't find uploaded file with id: ${shown(id)}`);
    if (u.owner !== user) throw fault("RuntimeError", "Can't process a file uploaded by a different user");
    // The hub would fail moving a file that never arrived.
    if (u.state !== "FINISHED") throw fault("FileNotFoundError", `[Errno 2] No such file or directory: '${u.targetDir}/${u.name}'`);
    return u;
  }

  /** kobo `file_upload`: Django answers, text not XML-RPC; any other exception is a 500 with its text. */
  async fileUpload(req: FakeRequest): Promise<FakeReply> {
    if (req.method !== "POST") return page(405, "", { allow: "POST" });
    if (this.faults.failNext > 0) {
      this.faults.failNext--;
      return page(this.faults.failStatus, this.faults.failBody);
    }
    let form: FormData;
    try {
      const type = req.headers["content-type"];
      form = await new Response(req.rawBody, { headers: { "content-type": typeof type === "string" ? type : "" } }).formData();
    } catch {
      return page(500, "'file'"); // request.FILES["file"]: MultiValueDictKeyError
    }
    const file = form.get("file");
    if (!(file instanceof Blob)) return page(500, "'file'");
    const u = this.byId.get(Number(form.get("upload_id")));
    if (!u || u.key !== form.get("upload_key")) return page(403, "Not allowed to upload the file.");
    // A task moves its file away, so only untaken uploads occupy their path.
    const there = [...this.byId.values()].some(
      (o) => o.state === "FINISHED" && o.taskId === undefined && o.targetDir === u.targetDir && o.name === u.name,
    );
    if (there) {
      u.state = "FAILED";
      return page(500, "File already exists.");
    }
    u.state = "STARTED";
    let bytes = Buffer.from(await file.arrayBuffer());
    if (this.faults.corruptNext > 0) {
      this.faults.corruptNext--;
      bytes = bytes.subarray(1);
    }
    if (createHash("sha256").update(bytes).digest("hex") !== u.checksum) {
      u.state = "FAILED";
      return page(500, "Checksum mismatch.");
    }
    u.state = "FINISHED";
    return page(200, "Upload finished.");
  }
}
