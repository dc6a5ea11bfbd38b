/** `/`: the queue, builder time saved, what waits for approval and the recent pipelines across projects. */
import type { FC } from "hono/jsx";
import type { HomeData } from "../data.js";
import { More, Saved, Sha, State, When } from "./common.js";

export const HomePage: FC<{ d: HomeData }> = ({ d }) => (
  <>
    <div class="cards">
      <div class="card">
        Queue
        <b>{d.queue.waiting} waiting</b>
        {d.queue.running} running · <a href="/queue">details</a>
      </div>
      <Saved label="Last 24 hours" s={d.cancelled.day} />
      <Saved label="Last 7 days" s={d.cancelled.week} />
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
