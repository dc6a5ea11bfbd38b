/** The operators' pages: `/maintenance` (sweep decisions and next candidates) and `/queue` (tasks and workers). */
import type { FC } from "hono/jsx";
import type { MaintenanceData, QueueData } from "../operations-data.js";
import { More, When } from "./common.js";

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
