/** One component per dashboard page; each renders the data `data.ts` assembled for it. */
import type { FC } from "hono/jsx";
import { formatDuration } from "../../metrics/time-saved.js";
import type { CancellationsData, HomeData, JobData, MaintenanceData, PipelineData, ProjectData, QueueData } from "../data.js";
import { Duration, JobsTable, More, Saved, Sha, State, When } from "./common.js";

export const HomePage: FC<{ d: HomeData }> = ({ d }) => (
  <>
    <div class="cards">
      <div class="card">
        Queue
        <b>{d.queue.waiting} waiting</b>
        {d.queue.running} running · <a href="/queue">details</a>
      </div>
      <Saved label="Last 24 hours" jobs={d.cancelled.day.jobs} savedMs={d.cancelled.day.savedMs} />
      <Saved label="Last 7 days" jobs={d.cancelled.week.jobs} savedMs={d.cancelled.week.savedMs} />
    </div>
    {d.approvals ? (
      <>
        <h2>Waiting for approval</h2>
        {d.approvals.length === 0 ? (
          <p class="muted">Nothing waits for approval.</p>
        ) : (
          <table>
            <tbody>
              {d.approvals.map((a) => (
                <tr>
                  <td>
                    {a.owner}/{a.name}
                    {a.prNumber !== null ? ` #${a.prNumber}` : ""}
                  </td>
                  <td>{a.author}</td>
                  <td>{a.reason}</td>
                  <td>
                    <When at={a.since} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </>
    ) : null}
    <h2>Recent pipelines</h2>
    {d.pipelines.items.length === 0 ? (
      <p class="muted">No pipelines yet.</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th>Pipeline</th>
            <th>Project</th>
            <th>For</th>
            <th>Head</th>
            <th>Jobs</th>
            <th>Started</th>
          </tr>
        </thead>
        <tbody>
          {d.pipelines.items.map((p) => (
            <tr>
              <td>
                <a href={p.page}>#{p.id}</a>
              </td>
              <td>
                <a href={p.project}>
                  {p.owner}/{p.name}
                </a>
              </td>
              <td>
                {p.subject}
                {p.superseded_by !== null ? <span class="muted"> (superseded)</span> : null}
              </td>
              <td>
                <Sha sha={p.head_sha} />
              </td>
              <td>
                {Object.entries(p.states).map(([state, n]) => (
                  <>
                    <State state={state} /> {n}{" "}
                  </>
                ))}
              </td>
              <td>
                <When at={p.created_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
    <More path="/" next={d.pipelines.next} />
  </>
);

export const ProjectPage: FC<{ d: ProjectData; path: string }> = ({ d, path }) => {
  const max = Math.max(1, ...d.savedPerWeek.map((w) => w.savedMs));
  return (
    <>
      <p>
        <a href={`https://github.com/${d.repo.owner}/${d.repo.name}`}>On GitHub</a>
        {d.repo.private ? " · private" : ""}
      </p>
      <h2>Builder time saved per week</h2>
      <table aria-label="Builder time saved per week">
        <tbody>
          {d.savedPerWeek.map((w) => (
            <tr>
              <td>week of {new Date(w.weekStart).toISOString().slice(0, 10)}</td>
              <td style="width:60%">
                <span class="bar" style={`width:${Math.round((w.savedMs / max) * 100)}%`} />
              </td>
              <td>
                {formatDuration(w.savedMs)} ({w.jobs} job{w.jobs === 1 ? "" : "s"})
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Pull requests and branches</h2>
      {d.pipelines.items.length === 0 ? <p class="muted">No pipelines yet.</p> : null}
      {d.pipelines.items.map((p) => (
        <section>
          <h3>
            <a href={p.page}>Pipeline #{p.id}</a> · {p.subject} at <Sha sha={p.headSha} /> · <When at={p.createdAt} />
            {p.supersededBy !== null ? (
              <>
                {" "}
                · superseded by <a href={`/pipelines/${p.supersededBy}`}>#{p.supersededBy}</a>
              </>
            ) : null}
          </h3>
          <JobsTable jobs={p.jobs} />
        </section>
      ))}
      <More path={path} next={d.pipelines.next} />
    </>
  );
};

export const PipelinePage: FC<{ d: PipelineData }> = ({ d }) => (
  <>
    <p>
      <a href={d.repo.page}>
        {d.repo.owner}/{d.repo.name}
      </a>{" "}
      · {d.subject} at <Sha sha={d.headSha} /> · <When at={d.createdAt} />
    </p>
    {d.supersededBy ? (
      <p>
        Superseded by <Sha sha={d.supersededBy.headSha} /> (<a href={d.supersededBy.page}>pipeline #{d.supersededBy.id}</a>,{" "}
        {d.supersededBy.subject}).
      </p>
    ) : null}
    {d.sameHead.length > 0 ? (
      <p>
        Other pipelines of this head:{" "}
        {d.sameHead.map((o) => (
          <>
            <a href={o.page}>#{o.id}</a>{" "}
          </>
        ))}
      </p>
    ) : null}
    <JobsTable jobs={d.jobs} />
  </>
);

export const JobPage: FC<{ d: JobData }> = ({ d }) => {
  const j = d.job;
  return (
    <>
      <p>
        <a href={d.repo.page}>
          {d.repo.owner}/{d.repo.name}
        </a>{" "}
        · <a href={d.pipeline.page}>pipeline #{d.pipeline.id}</a> ({d.pipeline.subject} at <Sha sha={d.pipeline.headSha} />)
      </p>
      <table>
        <tbody>
          <tr>
            <th>State</th>
            <td>
              <State state={j.state} />
              {j.message ? <> {j.message}</> : null}
            </td>
          </tr>
          <tr>
            <th>Target</th>
            <td>
              {j.target} in {j.backendTitle}
            </td>
          </tr>
          <tr>
            <th>At the backend</th>
            <td>{j.backendPage ? <a href={j.backendPage.url}>{j.backendPage.label}</a> : <span class="muted">not submitted yet</span>}</td>
          </tr>
          <tr>
            <th>Duration</th>
            <td>
              <Duration ms={j.durationMs} /> (started <When at={j.startedAt} />, ended <When at={j.finishedAt} />)
            </td>
          </tr>
          {d.waitingFor ? (
            <tr>
              <th>Waiting</th>
              <td>{d.waitingFor}</td>
            </tr>
          ) : null}
          {d.dependency ? (
            <tr>
              <th>Runs after</th>
              <td>
                <a href={d.dependency.page}>{d.dependency.check}</a> <State state={d.dependency.state} />
              </td>
            </tr>
          ) : null}
          {d.dependants.length > 0 ? (
            <tr>
              <th>Then runs</th>
              <td>
                {d.dependants.map((x) => (
                  <>
                    <a href={x.page}>{x.check}</a> <State state={x.state} />{" "}
                  </>
                ))}
              </td>
            </tr>
          ) : null}
          {d.rerunOf ? (
            <tr>
              <th>Re-run of</th>
              <td>
                <a href={d.rerunOf.page}>job {d.rerunOf.id}</a>
              </td>
            </tr>
          ) : null}
          {d.reruns.length > 0 ? (
            <tr>
              <th>Run again as</th>
              <td>
                {d.reruns.map((r) => (
                  <>
                    <a href={r.page}>job {r.id}</a> <State state={r.state} />{" "}
                  </>
                ))}
              </td>
            </tr>
          ) : null}
          <tr>
            <th>Check run</th>
            <td>
              {d.checkRun ? (
                <>
                  {d.checkRun.name}
                  {d.checkRun.lastError ? <span class="muted"> (last error sending it: {d.checkRun.lastError})</span> : null}
                </>
              ) : (
                <span class="muted">none</span>
              )}
            </td>
          </tr>
        </tbody>
      </table>
      {d.cancellation ? (
        <>
          <h2>Cancellation</h2>
          <p>
            {d.cancellation.reason ?? "Cancelled"}
            {d.cancellation.supersededBy ? (
              <>
                {" "}
                — the newer head{" "}
                <a href={d.cancellation.supersededBy.page} id="superseded-by">
                  <Sha sha={d.cancellation.supersededBy.headSha} /> (pipeline #{d.cancellation.supersededBy.id})
                </a>
              </>
            ) : null}
          </p>
          {j.savedMs !== null || j.savedBasis ? (
            <p>
              Builder time saved: <b>{j.savedMs !== null ? formatDuration(j.savedMs) : "unknown"}</b>{" "}
              <span class="muted">({j.savedBasis})</span>
            </p>
          ) : null}
          {d.cancellation.results.length > 0 ? (
            <table>
              <thead>
                <tr>
                  <th>When</th>
                  <th>Asked by</th>
                  <th>Through</th>
                  <th>Code</th>
                  <th>Result</th>
                </tr>
              </thead>
              <tbody>
                {d.cancellation.results.map((r) => (
                  <tr>
                    <td>
                      <When at={r.at} />
                    </td>
                    <td>{r.by}</td>
                    <td>{r.source}</td>
                    <td>{r.code}</td>
                    <td>
                      {r.text}
                      <br />
                      <span class="muted">{r.meaning}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </>
      ) : null}
      <h2>History</h2>
      <table>
        <tbody>
          <tr>
            <td>
              <When at={j.createdAt} />
            </td>
            <td>
              <State state="pending" />
            </td>
            <td>planned</td>
          </tr>
          {d.history.map((e) => (
            <tr>
              <td>
                <When at={e.at} />
              </td>
              <td>
                <State state={e.state} />
              </td>
              <td>{e.message ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
};

export const CancellationsPage: FC<{ d: CancellationsData }> = ({ d }) => (
  <>
    <div class="cards">
      <Saved label="Last 24 hours" jobs={d.saved.day.jobs} savedMs={d.saved.day.savedMs} />
      <Saved label="Last 7 days" jobs={d.saved.week.jobs} savedMs={d.saved.week.savedMs} />
      <div class="card">
        Requests in the last 7 days by entry point
        {d.bySource.length === 0 ? <b>none</b> : d.bySource.map((s) => <b>{`${s.source}: ${s.n}`}</b>)}
      </div>
    </div>
    <h2>Every cancel</h2>
    {d.reports.items.length === 0 ? <p class="muted">Nothing was cancelled yet.</p> : null}
    {d.reports.items.map((r) => (
      <section>
        <h3>
          <When at={r.at} /> · {r.source} by {r.by}
          {r.repo ? (
            <>
              {" "}
              in{" "}
              <a href={r.repo.page}>
                {r.repo.owner}/{r.repo.name}
              </a>
            </>
          ) : null}{" "}
          · {r.overall}
        </h3>
        <p class="muted">{r.reason}</p>
        {r.results.length > 0 ? (
          <table>
            <thead>
              <tr>
                <th>Check run</th>
                <th>Code</th>
                <th>Result</th>
              </tr>
            </thead>
            <tbody>
              {r.results.map((x) => (
                <tr>
                  <td>
                    <a href={x.page}>{x.check}</a>
                  </td>
                  <td>{x.code}</td>
                  <td>{x.text}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    ))}
    <More path="/cancellations" next={d.reports.next} />
  </>
);

export const MaintenancePage: FC<{ d: MaintenanceData }> = ({ d }) => (
  <>
    <h2>Next candidates (mode: {d.mode})</h2>
    {d.candidates.length === 0 ? (
      <p class="muted">No installations.</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th>Installation</th>
            <th>Account</th>
            <th>Next sweep</th>
            <th>Why</th>
          </tr>
        </thead>
        <tbody>
          {d.candidates.map((c) => (
            <tr>
              <td>{c.id}</td>
              <td>{c.account}</td>
              <td>{c.action}</td>
              <td>{c.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
    <h2>Sweep decisions</h2>
    {d.decisions.items.length === 0 ? (
      <p class="muted">No sweep has run yet.</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th>When</th>
            <th>By</th>
            <th>Decision</th>
            <th>Installation</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {d.decisions.items.map((a) => (
            <tr>
              <td>
                <When at={a.at} />
              </td>
              <td>{a.by}</td>
              <td>{a.action}</td>
              <td>{a.subject}</td>
              <td>
                <code>{JSON.stringify(a.detail)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
    <More path="/maintenance" next={d.decisions.next} />
  </>
);

export const QueuePage: FC<{ d: QueueData }> = ({ d }) => (
  <>
    <h2>Tasks by state and queue</h2>
    {d.depth.length === 0 ? <p class="muted">The queue is empty.</p> : null}
    <table>
      <tbody>
        {d.depth.map((x) => (
          <tr>
            <td>{x.queue}</td>
            <td>{x.status === "todo" ? "waiting" : "running"}</td>
            <td>{x.n}</td>
          </tr>
        ))}
        {d.finishedToday.map((x) => (
          <tr>
            <td>all</td>
            <td>{x.status} in the last 24 h</td>
            <td>{x.n}</td>
          </tr>
        ))}
      </tbody>
    </table>
    <h2>Oldest due</h2>
    {d.oldestDue.length === 0 ? <p class="muted">Nothing is due.</p> : null}
    <table>
      <tbody>
        {d.oldestDue.map((x) => (
          <tr>
            <td>{x.queue}</td>
            <td>{x.name}</td>
            <td>
              due <When at={x.scheduled_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
    <h2>Running workers</h2>
    {d.workers.length === 0 ? <p class="muted">No worker runs a task now.</p> : null}
    <table>
      <tbody>
        {d.workers.map((w) => (
          <tr>
            <td>{w.worker_id}</td>
            <td>{w.queue}</td>
            <td>{w.n} running</td>
            <td>
              oldest since <When at={w.oldest_started_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </>
);
