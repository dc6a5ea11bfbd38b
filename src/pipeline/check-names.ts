/**
 * Check-run names as Packit gives its statuses (packit-service
 * `worker/helpers/build/build_helper.py`, `get_check_cls`):
 * `<job>[:<branch or tag>]:<target>[:<identifier>]`, or the job's
 * `status_name_template` formatted with `job_name`, `chroot`, `event`, `identifier`
 * and `package`, falling back to the default name when formatting fails.
 */

export interface CheckNameParts {
  /** `rpm-build`, `testing-farm`, … */
  jobName: string;
  chroot: string;
  /** The pushed branch or the release tag; nothing for pull requests. */
  event?: string;
  identifier?: string;
  package: string;
}

/** The check name, and why the template was not used when it failed. */
export function checkName(parts: CheckNameParts, template?: string | null): { name: string; templateError?: string } {
  // Packit replaces ':' in the branch or tag so that the name stays splittable.
  const event = parts.event?.replaceAll(":", "-");
  const fallback = [parts.jobName, event, parts.chroot, parts.identifier].filter((p) => p).join(":");
  if (template === undefined || template === null) return { name: fallback };
  const formatted = formatPython(template, {
    job_name: parts.jobName,
    chroot: parts.chroot,
    event,
    identifier: parts.identifier,
    package: parts.package,
  });
  return "error" in formatted ? { name: fallback, templateError: formatted.error } : { name: formatted.text };
}

/**
 * Python's `str.format(**values)` for replacement fields without format specs:
 * `{name}`, `{name!r}`, `{{` and `}}`; a missing value prints as Python's `None`.
 * Anything Python would raise on (unknown or positional fields, a lone brace) is an
 * error; format specs are not supported and count as one.
 */
export function formatPython(template: string, values: Readonly<Record<string, string | undefined>>): { text: string } | { error: string } {
  let text = "";
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === "}") {
      if (template[i + 1] !== "}") return { error: "Single '}' encountered in format string" };
      text += "}";
      i++;
      continue;
    }
    if (c !== "{") {
      text += c;
      continue;
    }
    if (template[i + 1] === "{") {
      text += "{";
      i++;
      continue;
    }
    const end = template.indexOf("}", i);
    if (end < 0) return { error: "Single '{' encountered in format string" };
    const field = /^([A-Za-z_]\w*)(?:!([rsa]))?$/.exec(template.slice(i + 1, end));
    if (!field) return { error: `unsupported replacement field {${template.slice(i + 1, end)}}` };
    const [, name, conversion] = field as unknown as [string, string, string | undefined];
    if (!(name in values)) return { error: `KeyError: '${name}'` };
    const value = values[name];
    text += value === undefined ? "None" : conversion === "r" || conversion === "a" ? `'${value}'` : value;
    i = end;
  }
  return { text };
}
