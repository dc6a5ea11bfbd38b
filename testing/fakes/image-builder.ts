/**
 * A local VM Image Builder speaking `api/image-builder/v1`: start a compose, its
 * status, the user's compose list, and DELETE — which, as in the real service, only
 * hides the compose (later GETs → 404) while it goes on building. Composes move
 * `pending → building → success|failure` on a clock read lazily on every request,
 * so no timers are left behind.
 */
import { randomUUID } from "node:crypto";
import { startHttpFake, type FakeReply, type FakeRequest, type FakeServer } from "./http-fake.js";

export type ImageStatus = "pending" | "building" | "uploading" | "registering" | "success" | "failure";

/** What a create call asked for, as `setOutcome` matchers see it. */
export interface ImageBuilderSubmission {
  id: string;
  /** The user the bearer key belongs to (the key's index, `user-0`, …). */
  user: string;
  image_name: string;
  distribution: string;
  architecture: string;
  image_type: string;
  /** The JSON body as received. */
  body: Record<string, unknown>;
}

/** A compose as the fake holds it, with its status as of now. */
export interface FakeCompose extends ImageBuilderSubmission {
  status: ImageStatus;
  createdAt: number;
  /** DELETE was called: the API no longer shows it (it still "builds"). */
  hidden: boolean;
}

export interface FakeImageBuilderOptions {
  /** Accepted bearer keys; each is its own user. Default: [FAKE_IMAGE_BUILDER_TOKEN]. */
  tokens?: string[];
  /** Length of each phase (pending, building) in ms; default 50. `Infinity` leaves it to `finish`. */
  phaseMs?: number;
  /** `false` is the same as `phaseMs: Infinity`. */
  autoAdvance?: boolean;
}

export interface FakeImageBuilder extends FakeServer {
  /** Forget composes, outcomes, recorded calls and faults. */
  reset(): void;
  /** Snapshots of all composes (hidden ones too), oldest first. */
  composes(): FakeCompose[];
  /** How many create calls succeeded. */
  readonly submissions: number;
  /** Composes the matcher accepts end in `outcome` (later rules win). Default: `success`. */
  setOutcome(matcher: (s: ImageBuilderSubmission) => boolean, outcome: "success" | "failure"): void;
  /** Force a compose into a status now (it stays there). */
  finish(id: string, status: ImageStatus): void;
}

export const FAKE_IMAGE_BUILDER_TOKEN = "fake-image-builder-token";

const PHASES: ImageStatus[] = ["pending", "building"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Rec extends ImageBuilderSubmission {
  createdAt: number;
  /** Creation order; several composes can share a millisecond. */
  seq: number;
  outcome: "success" | "failure";
  pinned?: ImageStatus;
  hidden: boolean;
}

/** Start a fake VM Image Builder on 127.0.0.1, port 0; its API root is `url` (no path prefix). */
export async function startFakeImageBuilder(opts: FakeImageBuilderOptions = {}): Promise<FakeImageBuilder> {
  const users = new Map((opts.tokens ?? [FAKE_IMAGE_BUILDER_TOKEN]).map((t, i) => [t, `user-${i}`]));
  const phaseMs = opts.autoAdvance === false ? Infinity : (opts.phaseMs ?? 50);
  const composes = new Map<string, Rec>();
  let rules: Array<{ matcher: (s: ImageBuilderSubmission) => boolean; outcome: "success" | "failure" }> = [];
  let submissions = 0;
  let seq = 0;

  function statusOf(c: Rec, now = Date.now()): ImageStatus {
    if (c.pinned) return c.pinned;
    return PHASES[Math.floor((now - c.createdAt) / phaseMs)] ?? c.outcome;
  }

  function statusJson(c: Rec) {
    const status = statusOf(c);
    const upload = (c.body.image_requests as Array<{ upload_request?: { type?: string } }>)[0]?.upload_request;
    const type = upload?.type ?? "aws";
    const uploadOptions = type === "aws" ? { ami: `ami-${c.id.slice(0, 17).replace(/-/g, "")}`, region: "us-east-1" } : { url: `https://images.example/${c.id}` };
    return {
      image_status: {
        status,
        ...(status === "success" ? { upload_status: { status: "success", type, options: uploadOptions } } : {}),
        ...(status === "failure" ? { error: { id: 10, reason: "osbuild job failed", details: null } } : {}),
      },
      request: c.body,
    };
  }

  const errors = (status: number, detail: string): FakeReply => ({ status, body: { errors: [{ title: String(status), detail }] } });

  function userOf(req: FakeRequest): string | undefined {
    const h = req.headers.authorization;
    return typeof h === "string" && h.startsWith("Bearer ") ? users.get(h.slice(7)) : undefined;
  }

  /** Checks of the request body the real API does with its OpenAPI schema; an error text or null. */
  function invalid(body: Record<string, unknown> | undefined): string | null {
    if (!body) return "request body has an error: doesn't match the schema";
    if (typeof body.distribution !== "string") return 'property "distribution" is missing';
    if (typeof body.image_name === "string" && body.image_name.length > 100) return 'property "image_name": maximum string length is 100';
    const reqs = body.image_requests;
    if (!Array.isArray(reqs) || reqs.length !== 1) return 'property "image_requests": exactly one image request is supported';
    const r = reqs[0] as Record<string, unknown>;
    if (typeof r.architecture !== "string") return 'property "architecture" is missing';
    if (typeof r.image_type !== "string") return 'property "image_type" is missing';
    const up = r.upload_request as Record<string, unknown> | undefined;
    if (!up || typeof up.type !== "string" || typeof up.options !== "object") return 'property "upload_request" is missing or incomplete';
    return null;
  }

  function handle(req: FakeRequest): FakeReply {
    const user = userOf(req);
    if (!user) return errors(401, "Unauthorized");
    const path = req.path.replace(/\/+$/, "");
    const m = path.match(/^\/composes\/([^/]+)$/);

    if (path === "/compose" && req.method === "POST") {
      const body = req.json as Record<string, unknown> | undefined;
      const why = invalid(body);
      if (why || !body) return errors(400, why ?? "invalid body");
      const r = (body.image_requests as Array<Record<string, unknown>>)[0]!;
      const sub: ImageBuilderSubmission = {
        id: randomUUID(),
        user,
        image_name: typeof body.image_name === "string" ? body.image_name : "",
        distribution: body.distribution as string,
        architecture: r.architecture as string,
        image_type: r.image_type as string,
        body,
      };
      const rule = [...rules].reverse().find((x) => x.matcher(sub));
      composes.set(sub.id, { ...sub, createdAt: Date.now(), seq: seq++, outcome: rule?.outcome ?? "success", hidden: false });
      submissions++;
      return { status: 201, body: { id: sub.id } };
    }

    if (path === "/composes" && req.method === "GET") {
      const limit = Math.min(100, Math.max(1, Number(req.query.get("limit") ?? 100)));
      const offset = Math.max(0, Number(req.query.get("offset") ?? 0));
      const mine = [...composes.values()].filter((c) => c.user === user && !c.hidden).sort((a, b) => b.seq - a.seq);
      const data = mine.slice(offset, offset + limit).map((c) => ({
        id: c.id,
        request: c.body,
        created_at: new Date(c.createdAt).toISOString(),
        image_name: c.image_name,
        client_id: "api",
      }));
      const lastOffset = Math.max(0, Math.floor((mine.length - 1) / limit) * limit);
      return {
        status: 200,
        body: {
          meta: { count: mine.length },
          links: { first: `/api/image-builder/v1/composes?limit=${limit}&offset=0`, last: `/api/image-builder/v1/composes?limit=${limit}&offset=${lastOffset}` },
          data,
        },
      };
    }

    if (m && (req.method === "GET" || req.method === "DELETE")) {
      if (!UUID.test(m[1]!)) return errors(400, `Invalid format for parameter composeId: ${m[1]} is not a valid uuid`);
      const c = composes.get(m[1]!);
      if (!c || c.hidden || c.user !== user) return errors(404, "Compose not found");
      if (req.method === "DELETE") {
        c.hidden = true;
        return { status: 200 };
      }
      return { status: 200, body: statusJson(c) };
    }

    return errors(404, `No such endpoint: ${req.method} ${req.path}`);
  }

  const server = await startHttpFake("image-builder", handle);

  return {
    ...server,
    reset() {
      composes.clear();
      rules = [];
      submissions = 0;
      server.resetHttp();
    },
    composes() {
      return [...composes.values()].map((c) => ({
        id: c.id,
        user: c.user,
        image_name: c.image_name,
        distribution: c.distribution,
        architecture: c.architecture,
        image_type: c.image_type,
        body: c.body,
        createdAt: c.createdAt,
        hidden: c.hidden,
        status: statusOf(c),
      }));
    },
    get submissions() {
      return submissions;
    },
    setOutcome(matcher, outcome) {
      rules.push({ matcher, outcome });
    },
    finish(id, status) {
      const c = composes.get(id);
      if (!c) throw new Error(`fake image-builder: no compose ${id}`);
      c.pinned = status;
    },
    async stop() {
      composes.clear();
      await server.stop();
    },
  };
}
