/** `/projects/<owner>/<repo>`: builder time saved per week and the project's pipelines with their jobs. */
import type { FC } from "hono/jsx";
import { formatDuration } from "../../metrics/time-saved.js";
import type { ProjectData } from "../data.js";
import { JobsTable, More, Sha, When } from "./common.js";

export const ProjectPage: FC<{ d: ProjectData; path: string }> = ({ d, path }) => {
  const max = Math.max(1, ...d.savedPerWeek.map((w) => w.savedMs));
  return (
    <>
      <p>
        <a href={`https://github.com/${d.repo.owner}/${d.repo.name}`}>On GitHub</a>
        {d.repo.private ? " · private" : ""}
      </p>
      <h2>Builder time saved per week</h2>
      {d.savedPerWeek.every((w) => w.jobs === 0) ? (
        <p class="muted">
          No estimate in the last {d.savedPerWeek.length} weeks: no cancelled job had an earlier run of its check to go by.
        </p>
      ) : (
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
      )}
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
