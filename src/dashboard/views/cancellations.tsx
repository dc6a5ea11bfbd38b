/** `/cancellations`: every cancel by entry point, per-job result codes, builder time saved. */
import type { FC } from "hono/jsx";
import type { CancellationsData } from "../operations-data.js";
import { More, Saved, When } from "./common.js";

export const CancellationsPage: FC<{ d: CancellationsData }> = ({ d }) => (
  <>
    <div class="cards">
      <Saved label="Last 24 hours" s={d.saved.day} />
      <Saved label="Last 7 days" s={d.saved.week} />
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
          <table class="results">
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
