/**
 * The task methods of the fake Koji hub (`koji.ts`), as kojihub's RootExports has
 * them: `build` (scratch builds), `getTaskInfo`, `getTaskResult`, `getHost`,
 * `getTaskChildren`, `listTasks`, `cancelTask`; `getBuild` and `cancelBuild` find no
 * build, as scratch builds create none.
 */
import { asStruct, encodeCall, type XmlRpcStruct, type XmlRpcValue } from "../../src/backends/xmlrpc/codec.js";
import { genericError, notAllowed, type HubSession } from "./koji-hub.js";
import { CANCELED, CLOSED, FAILED, FREE, OPEN, taskInfo, type FakeKojiTask, type KojiTasks } from "./koji-task.js";
import { shown } from "./xmlrpc-server.js";

/** Methods by name: their parameter names (for keyword arguments) and what they do with the values bound to them. */
export type KojiMethodTable = Record<string, [readonly string[], (...a: (XmlRpcValue | undefined)[]) => unknown]>;

/** The task methods as one call sees them: `session` is its login (undefined: none); `submitted` counts each accepted `build`. */
export function taskMethods(
  tasks: KojiTasks,
  clock: () => number,
  session: HubSession | undefined,
  submitted: () => void,
): KojiMethodTable {
  /** A task brought up to the clock, as getTaskInfo answers it. */
  const exportTask = (t: FakeKojiTask): XmlRpcStruct => taskInfo(tasks.advance(t));
  const assertLogin = (): HubSession => {
    if (!session) throw notAllowed("you must be logged in for this operation");
    return session;
  };
  return {
    build: [
      ["src", "target", "opts", "priority", "channel"],
      (src, target, opts = null) => {
        const s = assertLogin();
        if (typeof src !== "string" || src === "") throw genericError("Invalid source");
        if (typeof target !== "string" || target === "") throw genericError("Invalid build target");
        const id = tasks.newId();
        tasks.byId.set(id, {
          id,
          state: FREE,
          method: "build",
          owner: s.userId,
          ownerName: s.userName,
          request: [src, target, asStruct(opts) ?? {}],
          createdAt: clock(),
          manual: false,
        });
        submitted();
        return id;
      },
    ],
    getTaskInfo: [
      ["task_id", "request", "strict"],
      (taskId, request = false, strict = false) => {
        const one = (id: unknown) => {
          const t = typeof id === "number" ? tasks.byId.get(id) : undefined;
          if (!t) {
            if (strict) throw genericError("No such task: " + String(id));
            return null;
          }
          const info = exportTask(t);
          if (request) info.request = t.request;
          return info;
        };
        return Array.isArray(taskId) ? taskId.map(one) : one(taskId);
      },
    ],
    getTaskResult: [
      ["task_id", "raise_fault"],
      (taskId) => {
        const t = typeof taskId === "number" ? tasks.byId.get(taskId) : undefined;
        if (!t) throw genericError(`No such task: ${shown(taskId)}`);
        tasks.advance(t);
        // Task.getResult: a failed task raises its fault; an unfinished one has no result yet.
        if (t.state === FAILED) throw genericError(`BuildError: build of ${shown(t.request[0])} failed`);
        if (t.state === CANCELED) throw genericError(`Task ${t.id} is canceled`);
        if (t.state !== CLOSED) throw genericError(`Task ${t.id} is not finished`);
        return null; // a scratch build imports nothing
      },
    ],
    getHost: [
      ["hostInfo", "strict", "event"],
      (hostInfo, strict = false) => {
        if (hostInfo === 1 || hostInfo === "fake-builder-01") {
          const load = [...tasks.byId.values()].map((t) => tasks.advance(t)).filter((t) => t.state === OPEN).length * 0.2;
          return {
            id: 1,
            user_id: 2,
            name: "fake-builder-01",
            arches: "x86_64 noarch",
            task_load: load,
            capacity: 2.0,
            description: null,
            comment: null,
            ready: true,
            enabled: true,
          };
        }
        if (strict) throw genericError(`Invalid hostInfo: ${shown(hostInfo)}`);
        return null;
      },
    ],
    getTaskChildren: [
      ["task_id", "request", "strict"],
      (taskId, _request = false, strict = false) => {
        if (strict && !(typeof taskId === "number" && tasks.byId.has(taskId))) throw genericError(`No such task: ${shown(taskId)}`);
        return []; // scratch builds here spawn no child tasks
      },
    ],
    listTasks: [
      ["opts", "queryOpts"],
      (opts = null, queryOpts = null) => {
        const o = asStruct(opts) ?? {};
        const q = asStruct(queryOpts) ?? {};
        const inList = (v: XmlRpcValue | undefined, x: number) => (Array.isArray(v) ? v.includes(x) : v === x);
        const seconds = (v: XmlRpcValue | undefined) => (typeof v === "string" ? Date.parse(v) / 1000 : Number(v));
        let list = [...tasks.byId.values()]
          .map((t) => tasks.advance(t))
          .filter((t) => {
            if (o.method !== undefined && t.method !== o.method) return false;
            if (o.owner !== undefined && !inList(o.owner, t.owner)) return false;
            if (o.state !== undefined && !inList(o.state, t.state)) return false;
            if (o.not_state !== undefined && inList(o.not_state, t.state)) return false;
            if (o.createdAfter != null && !(t.createdAt / 1000 > seconds(o.createdAfter))) return false;
            if (o.createdBefore != null && !(t.createdAt / 1000 < seconds(o.createdBefore))) return false;
            return true;
          });
        list.sort((a, b) => (q.order === "-id" ? b.id - a.id : a.id - b.id));
        if (typeof q.offset === "number") list = list.slice(q.offset);
        if (typeof q.limit === "number") list = list.slice(0, q.limit);
        // Undecoded, koji returns the request as the XML-RPC text it stored.
        return list.map((t) => ({
          ...exportTask(t),
          request: o.decode ? t.request : encodeCall(t.method, t.request),
          result: null,
          owner_name: t.ownerName,
          owner_type: 0,
        }));
      },
    ],
    cancelTask: [
      ["task_id", "recurse"],
      (taskId) => {
        // RootExports.cancelTask: owner, else host, else admin; then Task.cancel().
        if (!session) throw notAllowed("admin permission required (user not logged in)");
        const t = typeof taskId === "number" ? tasks.byId.get(taskId) : undefined;
        if (!t) throw genericError(`No such task: ${shown(taskId)}`);
        if (t.owner !== session.userId) throw notAllowed(`admin permission required (logged in as ${session.userName})`);
        tasks.advance(t);
        if (t.state !== CLOSED && t.state !== FAILED && t.state !== CANCELED) {
          t.state = CANCELED;
          t.completedAt = clock();
          t.manual = true;
        }
        return null;
      },
    ],
    // Scratch builds create no build records, so there is never a build to find or cancel.
    getBuild: [
      ["buildInfo", "strict"],
      (buildInfo, strict = false) => {
        if (strict) throw genericError(`No such build: ${JSON.stringify(buildInfo)}`);
        return null;
      },
    ],
    cancelBuild: [
      ["buildID", "strict"],
      (buildId, strict = false) => {
        assertLogin();
        if (strict) throw genericError(`No such build: ${shown(buildId)}`);
        return false;
      },
    ],
  };
}
