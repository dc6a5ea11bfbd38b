/** `/jobs/<id>`: one job's state, backend page, what it waits for, its cancellation and history. */
import type { FC } from "hono/jsx";
import { formatDuration } from "../../metrics/time-saved.js";
import type { JobData } from "../pipeline-data.js";
import { Duration, Sha, State, When } from "./common.js";

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
      <table class="history">
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
