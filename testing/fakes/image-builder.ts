/**
 * A local VM Image Builder speaking `/api/image-builder/v1`: start a compose, its
 * status, the user's compose list, and DELETE — which, as in the real service, only
 * hides the compose (later GETs → 404) while it goes on building. Composes move
 * `pending → building → success|failure` on a clock read lazily on every request,
 * so no timers are left behind.
 *
 * As strict as the service: every request is checked against the service's
 * published OpenAPI description and refused with 400 and Image Builder's
 * `{"errors":[{"title","detail"}]}` when it does not match; every call needs a bearer
 * access token from (the fake) Red Hat SSO that has not expired, else 401. Its own
 * answers are checked against the description too: `answerProblems` lists any
 * mismatch, for tests to assert there is none.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import { createOpenApiValidator } from "../openapi/validator.js";
import { startHttpFake, type FakeReply, type FakeRequest, type FakeServer } from "./http-fake.js";
import { startFakeRedHatSso, type FakeRedHatSso } from "./redhat-sso.js";

type ImageStatus = "pending" | "building" | "uploading" | "registering" | "success" | "failure";

/** Where the API lives on the server, as on console.redhat.com. */
const IMAGE_BUILDER_PATH = "/api/image-builder/v1";

/** What a create call asked for, as `setOutcome` matchers see it. */
interface ImageBuilderSubmission {
  id: string;
  /** The user the access token was issued to. */
  user: string;
  image_name: string;
  distribution: string;
  architecture: string;
  image_type: string;
  /** The JSON body as received. */
  body: Record<string, unknown>;
}

/** A compose as the fake holds it, with its status as of now. */
interface FakeCompose extends ImageBuilderSubmission {
  status: ImageStatus;
  createdAt: number;
  /** DELETE was called: the API no longer shows it (it still "builds"). */
  hidden: boolean;
}

export interface FakeImageBuilderOptions {
  /** The SSO whose access tokens it accepts. Default: a fake SSO of its own (stopped with it). */
  sso?: FakeRedHatSso;
  /** Length of each phase (pending, building) in ms; default 50. `Infinity` leaves it to `finish`. */
  phaseMs?: number;
  /** `false` is the same as `phaseMs: Infinity`. */
  autoAdvance?: boolean;
  /** The clock of the fake SSO it starts (token expiry). Default: Date.now. */
  now?: () => number;
}

export interface FakeImageBuilder extends FakeServer {
  /** The API root: `url` + `/api/image-builder/v1`. */
  readonly apiUrl: string;
  /** The SSO that issues its access tokens. */
  readonly sso: FakeRedHatSso;
  /** Answers of the fake that its own description refuses (should stay empty). */
  readonly answerProblems: string[];
  /** Forget composes, outcomes, recorded calls and faults (and the issued tokens of an SSO of its own). */
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

const PHASES: ImageStatus[] = ["pending", "building"];

interface Rec extends ImageBuilderSubmission {
  createdAt: number;
  /** Creation order; several composes can share a millisecond. */
  seq: number;
  outcome: "success" | "failure";
  pinned?: ImageStatus;
  hidden: boolean;
}

const description = yaml.load(
  readFileSync(new URL("../openapi/image-builder-crc_internal_v1_api.yaml", import.meta.url), "utf8"),
) as Record<string, unknown>;
const openApi = createOpenApiValidator(description);

/** The upload status options the service reports per upload type (`UploadStatus.options`). */
function uploadOptions(type: string, id: string): Record<string, unknown> {
  switch (type) {
    case "aws":
      return { ami: `ami-${id.replace(/-/g, "").slice(0, 17)}`, region: "us-east-1" };
    case "gcp":
      return { project_id: "fake-project", image_name: `composer-api-${id}` };
    case "azure":
      return { image_name: `composer-api-${id}` };
    default:
      // aws.s3 and oci.objectstorage: a download URL.
      return { url: `https://images.example/composer-api-${id}-image` };
  }
}

/** Start a fake VM Image Builder on 127.0.0.1, port 0; its API root is `apiUrl`. */
export async function startFakeImageBuilder(opts: FakeImageBuilderOptions = {}): Promise<FakeImageBuilder> {
  const ownSso = opts.sso ? undefined : await startFakeRedHatSso({ now: opts.now });
  const sso = opts.sso ?? ownSso!;
  const phaseMs = opts.autoAdvance === false ? Infinity : (opts.phaseMs ?? 50);
  const composes = new Map<string, Rec>();
  const answerProblems: string[] = [];
  let rules: Array<{ matcher: (s: ImageBuilderSubmission) => boolean; outcome: "success" | "failure" }> = [];
  let submissions = 0;
  let seq = 0;

  function statusOf(c: Rec, now = Date.now()): ImageStatus {
    if (c.pinned) return c.pinned;
    return PHASES[Math.floor((now - c.createdAt) / phaseMs)] ?? c.outcome;
  }

  function statusJson(c: Rec) {
    const status = statusOf(c);
    const upload = (c.body.image_requests as Array<{ upload_request: { type: string } }>)[0]!.upload_request;
    return {
      image_status: {
        status,
        ...(status === "success"
          ? { upload_status: { status: "success", type: upload.type, options: uploadOptions(upload.type, c.id) } }
          : {}),
        ...(status === "failure" ? { error: { id: 10, reason: "osbuild job failed", details: null } } : {}),
      },
      request: c.body,
    };
  }

  const errors = (status: number, detail: string): FakeReply => ({ status, body: { errors: [{ title: String(status), detail }] } });

  function handle(req: FakeRequest, path: string, user: string): FakeReply {
    const m = path.match(/^\/composes\/([^/]+)$/);

    if (path === "/compose" && req.method === "POST") {
      const body = req.json as Record<string, unknown>;
      const r = (body.image_requests as Array<Record<string, unknown>>)[0]!;
      const sub: ImageBuilderSubmission = {
        id: randomUUID(),
        user,
        image_name: typeof body.image_name === "string" ? body.image_name : "",
        distribution: String(body.distribution),
        architecture: String(r.architecture),
        image_type: String(r.image_type),
        body,
      };
      const rule = [...rules].reverse().find((x) => x.matcher(sub));
      composes.set(sub.id, { ...sub, createdAt: Date.now(), seq: seq++, outcome: rule?.outcome ?? "success", hidden: false });
      submissions++;
      return { status: 201, body: { id: sub.id } };
    }

    if (path === "/composes" && req.method === "GET") {
      const limit = Number(req.query.get("limit") ?? 100);
      const offset = Number(req.query.get("offset") ?? 0);
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
          links: {
            first: `${IMAGE_BUILDER_PATH}/composes?limit=${limit}&offset=0`,
            last: `${IMAGE_BUILDER_PATH}/composes?limit=${limit}&offset=${lastOffset}`,
          },
          data,
        },
      };
    }

    if (m && (req.method === "GET" || req.method === "DELETE")) {
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

  const server = await startHttpFake("image-builder", (req) => {
    if (!req.path.startsWith(`${IMAGE_BUILDER_PATH}/`)) return errors(404, "Not Found");
    const token =
      typeof req.headers.authorization === "string" && /^Bearer /i.test(req.headers.authorization)
        ? req.headers.authorization.slice(7)
        : "";
    const who = sso.verify(token);
    if (who.state !== "valid") return errors(401, who.state === "expired" ? "Unauthorized: the access token has expired" : "Unauthorized");
    const path = req.path.slice(IMAGE_BUILDER_PATH.length).replace(/(.)\/+$/, "$1");
    const { operation, problems } = openApi.validateRequest({ method: req.method, path, query: req.query, body: req.json });
    if (!operation) return errors(404, `No such endpoint: ${req.method} ${req.path}`);
    if (problems.length > 0) {
      // The service's own words: "request body has an error: doesn't match schema #/components/schemas/ComposeRequest: Error at …".
      const first = problems[0]!;
      const detail =
        first.where === "body"
          ? `request body has an error: doesn't match schema #/components/schemas/ComposeRequest: Error at "${first.at}": ${problems.map((p) => p.message).join("; ")}`
          : `parameter "${first.at}" in ${first.where} has an error: ${first.message}`;
      return errors(400, detail);
    }
    const reply = handle(req, path, who.subject);
    const wrong = openApi.validateResponse(operation, reply.status, reply.body ?? null);
    // The description leaves some error statuses out (404 of an unknown compose); every other answer must match it.
    const undeclaredError = reply.status >= 400 && wrong.length === 1 && wrong[0]!.message.includes("is not declared");
    if (!undeclaredError) answerProblems.push(...wrong.map((p) => `${req.method} ${path} → ${reply.status}: ${p.message}`));
    return reply;
  });

  return {
    ...server,
    apiUrl: `${server.url}${IMAGE_BUILDER_PATH}`,
    sso,
    answerProblems,
    reset() {
      composes.clear();
      rules = [];
      submissions = 0;
      answerProblems.length = 0;
      server.resetHttp();
      ownSso?.reset();
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
      await Promise.all([server.stop(), ownSso?.stop()]);
    },
  };
}
