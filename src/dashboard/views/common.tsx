/** The dashboard's frame and the small pieces every page uses. hono/jsx escapes every value. */
import type { Child, FC } from "hono/jsx";
import { formatDuration } from "../../metrics/time-saved.js";
import type { JobView } from "../data.js";
import type { CancelledSummary } from "../store.js";

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header strong a{font-size:1.1rem}header .who{margin-left:auto}
main{padding:1rem 1.2rem;max-width:1200px}
h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;background:#fff;width:100%;margin-bottom:.8rem}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#eaeef2}
code{font-size:.92em}.muted{color:#59636e}.cards{display:flex;gap:.8rem;flex-wrap:wrap}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.6rem .9rem;min-width:11rem}
.card b{display:block;font-size:1.3rem}
.state{padding:0 .4rem;border-radius:1rem;font-size:.85em;white-space:nowrap;background:#eaeef2}
.state-success{background:#dafbe1}.state-failure,.state-error{background:#ffebe9}.state-cancelled,.state-skipped{background:#fff8c5}
.state-running,.state-submitted,.state-cancel_requested{background:#ddf4ff}
.bar{display:inline-block;background:#54aeff;height:.8rem;vertical-align:middle}
.jobs,.results,.history{table-layout:fixed}td{overflow-wrap:anywhere}
.jobs th:nth-child(1){width:27%}.jobs th:nth-child(2){width:23%}.jobs th:nth-child(3){width:8%}.jobs th:nth-child(5){width:8%}
.results th:nth-child(1){width:30%}.results th:nth-child(2){width:6%}
.history td:nth-child(1){width:14rem}.history td:nth-child(2){width:10rem}
`;

export const Layout: FC<{ title: string; login: string | null; signIn: boolean; children?: Child }> = ({
  title,
  login,
  signIn,
  children,
}) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{title} · Packit dashboard</title>
      <style>{STYLE}</style>
    </head>
    <body>
      <header>
        <strong>
          <a href="/">Packit</a>
        </strong>
        <a href="/">Pipelines</a>
        <a href="/cancellations">Cancellations</a>
        <a href="/queue">Queue</a>
        <a href="/maintenance">Maintenance</a>
        <span class="who">
          {login ? (
            <>
              Signed in as <b>{login}</b> · <a href="/logout">Sign out</a>
            </>
          ) : signIn ? (
            <a href="/login">Sign in with GitHub</a>
          ) : (
            <span class="muted">public repositories only</span>
          )}
        </span>
      </header>
      <main>
        <h1>{title}</h1>
        {children}
      </main>
    </body>
  </html>
);

export const When: FC<{ at: number | null }> = ({ at }) =>
  at === null ? (
    <span class="muted">—</span>
  ) : (
    <time datetime={new Date(at).toISOString()}>{new Date(at).toISOString().replace("T", " ").slice(0, 19)} UTC</time>
  );

export const Duration: FC<{ ms: number | null }> = ({ ms }) => (ms === null ? <span class="muted">—</span> : <>{formatDuration(ms)}</>);

export const State: FC<{ state: string }> = ({ state }) => <span class={`state state-${state}`}>{state.replace("_", " ")}</span>;

export const Sha: FC<{ sha: string }> = ({ sha }) => <code title={sha}>{sha.slice(0, 7)}</code>;

/** A link to the next (older) page when there is one. */
export const More: FC<{ path: string; next: number | null }> = ({ path, next }) =>
  next === null ? null : (
    <p>
      <a href={`${path}${path.includes("?") ? "&" : "?"}before=${next}`} rel="next">
        Older →
      </a>
    </p>
  );

/** A head's jobs: check name, state, duration, where it runs. */
export const JobsTable: FC<{ jobs: JobView[] }> = ({ jobs }) =>
  jobs.length === 0 ? (
    <p class="muted">No jobs.</p>
  ) : (
    <table class="jobs">
      <thead>
        <tr>
          <th>Check run</th>
          <th>State</th>
          <th>Duration</th>
          <th>Backend</th>
          <th>Saved</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((j) => (
          <tr>
            <td>
              <a href={j.page}>{j.check}</a>
            </td>
            <td>
              <State state={j.state} /> {/* A job asked to stop that finished anyway (Koji refusing) shows its result, not the request. */}
              {j.cancelReason && (j.state === "cancelled" || j.state === "cancel_requested") ? (
                <span class="muted">{j.cancelReason}</span>
              ) : null}
            </td>
            <td>
              <Duration ms={j.durationMs} />
            </td>
            <td>{j.backendPage ? <a href={j.backendPage.url}>{j.backendPage.label}</a> : <span class="muted">{j.backendTitle}</span>}</td>
            <td>
              {j.savedMs !== null ? <span title={j.savedBasis ?? ""}>{formatDuration(j.savedMs)}</span> : <span class="muted">—</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );

export const Saved: FC<{ label: string; s: CancelledSummary }> = ({ label, s }) => (
  <div class="card">
    {label}
    <b>{s.estimated === 0 && s.jobs > 0 ? "unknown" : formatDuration(s.savedMs)}</b>
    builder time saved by {s.estimated === s.jobs ? "" : `${s.estimated} of `}
    {s.jobs} cancelled job{s.jobs === 1 ? "" : "s"}
    {s.estimated < s.jobs ? (
      <>
        <br />
        <span class="muted">{s.jobs - s.estimated} had no earlier run of their check to estimate from</span>
      </>
    ) : null}
  </div>
);
