import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";

/** The compose file's structure (docker itself is not needed: the suite never runs it). */
interface Service {
  image?: string;
  build?: unknown;
  env_file?: (string | { path: string; required?: boolean })[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
  ports?: string[];
}
const compose = yaml.load(readFileSync("docker-compose.yml", "utf8")) as { services: Record<string, Service> };
const { services } = compose;

/** `KEY=value` lines of an env file (comments and blank lines skipped). */
function envFile(path: string): Record<string, string> {
  const lines = readFileSync(path, "utf8").split("\n");
  return Object.fromEntries(
    lines.filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}
const envFiles = (s: Service) => (s.env_file ?? []).map((f) => (typeof f === "string" ? { path: f, required: true } : f));
const env = envFile("deploy/postgres.env.example");

describe("docker-compose.yml", () => {
  it("runs PostgreSQL, Redis and 3 replicas of the app image built from the Dockerfile", () => {
    expect(Object.keys(services).sort()).toEqual(["app", "postgres", "redis"]);
    expect(services.postgres!.image).toMatch(/^postgres:\d+/);
    expect(services.redis!.image).toMatch(/^redis:\d+/);
    expect(services.app!.build).toBe(".");
    expect(services.app!.deploy?.replicas).toBe(3);
    // One host port per replica: a fixed single port would stop the second replica from starting.
    expect(services.app!.ports).toEqual(["3001-3003:3000"]);
  });

  it("gives the app and PostgreSQL their settings from deploy/postgres.env.example, secrets from an optional file beside it", () => {
    for (const name of ["app", "postgres"]) {
      expect(envFiles(services[name]!)).toEqual([
        { path: "deploy/postgres.env.example", required: true },
        { path: "deploy/postgres.env", required: false },
      ]);
    }
    expect(readFileSync(".gitignore", "utf8").split("\n")).toContain("deploy/postgres.env");
  });

  it("wires DATABASE_URL to the postgres service with its user, password and database, and REDIS_URL to the redis service", () => {
    const db = new URL(env.DATABASE_URL!);
    expect(db.protocol).toBe("postgres:");
    expect(db.hostname).toBe("postgres");
    expect(db.port).toBe("5432");
    expect(decodeURIComponent(db.username)).toBe(env.POSTGRES_USER);
    expect(decodeURIComponent(db.password)).toBe(env.POSTGRES_PASSWORD);
    expect(db.pathname).toBe(`/${env.POSTGRES_DB}`);
    const redis = new URL(env.REDIS_URL!);
    expect(redis.protocol).toBe("redis:");
    expect(redis.hostname).toBe("redis");
    // Nothing in the compose file overrides them with something else.
    expect(services.app!.environment?.DATABASE_URL).toBeUndefined();
    expect(services.app!.environment?.REDIS_URL).toBeUndefined();
  });

  it("checks health: PostgreSQL and Redis answer before the app starts, and the app's readiness endpoint", () => {
    expect(services.postgres!.healthcheck?.test.join(" ")).toContain("pg_isready");
    expect(services.redis!.healthcheck?.test).toEqual(["CMD", "redis-cli", "ping"]);
    expect(services.app!.depends_on).toEqual({
      postgres: { condition: "service_healthy" },
      redis: { condition: "service_healthy" },
    });
    const probe = services.app!.healthcheck?.test.join(" ") ?? "";
    expect(probe).toContain("http://127.0.0.1:3000/readyz");
    expect(probe).toContain("r.ok ? 0 : 1");
  });
});
