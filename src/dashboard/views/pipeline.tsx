/** `/pipelines/<id>`: every job of a head, and the head that superseded it. */
import type { FC } from "hono/jsx";
import type { PipelineData } from "../pipeline-data.js";
import { JobsTable, Sha, When } from "./common.js";

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
