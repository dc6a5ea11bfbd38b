/**
 * The app's own error hierarchy. Transport and driver errors are translated into
 * these at the boundary (backend clients, stores) so that callers decide on a
 * small, stable set of cases.
 */
export class AppError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A backend call failed. `transient` errors are worth retrying (5xx, timeout, connection). */
export class BackendError extends AppError {
  readonly backend: string;
  readonly transient: boolean;
  readonly status: number | undefined;
  constructor(backend: string, message: string, opts: { transient: boolean; status?: number; cause?: unknown }) {
    super(`${backend}: ${message}`, { cause: opts.cause });
    this.backend = backend;
    this.transient = opts.transient;
    this.status = opts.status;
  }
}

/** Service settings are invalid; the message names the bad key. */
export class SettingsError extends AppError {}

/** The database cannot be used as it is (a damaged file): the message names the file and how to restore it. */
export class StorageError extends AppError {}

/** A .packit.yaml could not be parsed or validated. */
export class ConfigError extends AppError {
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(message: string, pos?: { line?: number; column?: number }) {
    super(message);
    this.line = pos?.line;
    this.column = pos?.column;
  }
}

/**
 * GitHub answered with a condition a redelivery cannot change (the repository is not
 * readable by the App or no longer exists; the installation is gone). A delivery
 * that meets one is answered 2xx and counted `ignored`, not failed.
 */
export class PermanentCondition extends AppError {}

/** Normalise anything thrown into an Error, once. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === "string" ? thrown : JSON.stringify(thrown));
}

/** The HTTP status an Octokit (or fetch-style) error carries, if any. */
export function httpStatus(thrown: unknown): number | undefined {
  const status = typeof thrown === "object" && thrown !== null ? (thrown as { status?: unknown }).status : undefined;
  return typeof status === "number" ? status : undefined;
}

/** The `code` a driver or the OS put on an error (SQLITE_FULL, ENOSPC, PostgreSQL's SQLSTATE), or "". */
export function errorCode(thrown: unknown): string {
  const code = typeof thrown === "object" && thrown !== null ? (thrown as { code?: unknown }).code : undefined;
  return typeof code === "string" || typeof code === "number" ? String(code) : "";
}
