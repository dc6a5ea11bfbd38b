/** The backends' settings (`backends.*` of the service settings, `settings.ts`): URLs, credentials and login methods, timeouts. */
import { z } from "zod";

/** Red Hat SSO's token endpoint (Keycloak), where Image Builder's access tokens come from. */
export const RED_HAT_SSO_TOKEN_URL = "https://sso.redhat.com/auth/realms/redhat-external/protocol/openid-connect/token";

const backendFields = (defaultUrl: string) => ({
  url: z.string().url().default(defaultUrl),
  /** Koji/OSH "user:password". */
  token: z.string().optional(),
  timeoutMs: z.coerce.number().int().positive().default(30_000),
});
/** Per-call timeout of a backend, ms. */
const timeoutMs = () => z.coerce.number().int().positive().default(30_000);

/**
 * Kerberos login (GSSAPI): the app's principal and the keytab it gets its tickets
 * from, and a krb5.conf other than the system's. The krb5 library reads the keytab
 * and krb5.conf from the process environment, so every hub must name the same ones.
 */
const kerberosFields = {
  principal: z.string().min(1).optional(),
  keytab: z.string().min(1).optional(),
  krb5Config: z.string().min(1).optional(),
};

/** The credentials each login method needs; `token` is `user:password` for password login. */
function requireAuthFields(
  s: { auth?: string; principal?: string; keytab?: string; certificate?: string; key?: string; token?: string; url: string },
  ctx: z.RefinementCtx,
): void {
  const need = (key: string, why: string) => ctx.addIssue({ code: "custom", path: [key], message: why });
  const auth = s.auth ?? (s.principal || s.keytab ? "gssapi" : s.certificate || s.key ? "certificate" : undefined);
  if (auth === "gssapi") {
    if (!s.principal) need("principal", "required when auth is gssapi (e.g. packit@FEDORAPROJECT.ORG)");
    if (!s.keytab) need("keytab", "required when auth is gssapi (the keytab of the principal)");
  }
  if (auth === "certificate") {
    if (!s.certificate) need("certificate", "required when auth is certificate (PEM client certificate)");
    if (!s.key) need("key", "required when auth is certificate (PEM private key)");
    if (!s.url.startsWith("https:")) need("url", "a certificate login needs an https:// hub URL");
  }
  if (auth === "password" && !/^[^:]+:/.test(s.token ?? "")) need("token", "required as user:password when auth is password");
}

/** `backends`: where each backend service is and how the app logs in to it. */
export const backendsSchema = z
  .object({
    copr: z
      .object({
        url: z.string().url().default("https://copr.fedorainfracloud.org"),
        /** Copr's API config (<url>/api): `login` (a generated string) and `token` authenticate; `username` owns our projects and builds. */
        login: z.string().min(1).optional(),
        username: z.string().min(1).optional(),
        token: z.string().min(1).optional(),
        timeoutMs: timeoutMs(),
      })
      .strict()
      .refine(
        (c) => [c.login, c.username, c.token].every((v) => v === undefined) || [c.login, c.username, c.token].every((v) => v !== undefined),
        {
          message: "login, username and token go together: copy all three from the Copr API page (<url>/api)",
        },
      )
      .prefault({}),
    testingFarm: z
      .object({
        url: z.string().url().default("https://api.testing-farm.io"),
        /** The API key Testing Farm issued at onboarding. */
        apiKey: z.string().min(1).optional(),
        /** Testing Farm's artifacts server: a request's results page for people is `<artifactsUrl>/<request id>`. */
        artifactsUrl: z.string().url().default("https://artifacts.dev.testing-farm.io"),
        timeoutMs: timeoutMs(),
        /**
         * Testing Farm's notification webhook: the public URL of this service's
         * /api/testing-farm/notify and a shared token. Unset: status by polling only.
         */
        notify: z
          .object({ url: z.string().url(), token: z.string().min(16) })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    koji: z
      .object({
        ...backendFields("https://koji.fedoraproject.org/kojihub"),
        /** How to log in: GSSAPI (Fedora), a TLS client certificate, or user:password (`token`). Inferred when unset. */
        auth: z.enum(["gssapi", "certificate", "password"]).optional(),
        ...kerberosFields,
        /** PEM client certificate and key (auth: certificate), and the CA of the hub's certificate. */
        certificate: z.string().min(1).optional(),
        key: z.string().min(1).optional(),
        ca: z.string().min(1).optional(),
      })
      .strict()
      .superRefine(requireAuthFields)
      .prefault({}),
    imageBuilder: z
      .object({
        url: z.string().url().default("https://console.redhat.com/api/image-builder/v1"),
        /** Red Hat SSO's token endpoint. */
        tokenUrl: z.string().url().default(RED_HAT_SSO_TOKEN_URL),
        /** An offline token (access.redhat.com/management/api): the `refresh_token` grant, client `rhsm-api`. */
        refreshToken: z.string().min(1).optional(),
        /** A service account (console.redhat.com → Service Accounts): `client_credentials`. */
        clientId: z.string().min(1).optional(),
        clientSecret: z.string().min(1).optional(),
        timeoutMs: timeoutMs(),
      })
      .strict()
      .refine((c) => !(c.refreshToken && c.clientSecret), {
        message: "set either refreshToken (an offline token) or clientId and clientSecret (a service account), not both",
      })
      .refine((c) => !c.clientSecret || c.clientId, { message: "clientSecret needs the service account's clientId" })
      .prefault({}),
    openscanhub: z
      .object({
        ...backendFields("https://openscanhub.fedoraproject.org/xmlrpc/client/"),
        /** How to log in: GSSAPI (Fedora), or user:password (`token`) on hubs that allow it. Inferred when unset. */
        auth: z.enum(["gssapi", "password"]).optional(),
        ...kerberosFields,
        /** Largest SRPM moved from Copr to the hub, bytes. */
        maxSrpmBytes: z.coerce
          .number()
          .int()
          .min(1)
          .default(1024 ** 3),
        /** Where SRPMs wait between download and upload. Default: the OS temp directory. */
        tempDir: z.string().min(1).optional(),
      })
      .strict()
      .superRefine(requireAuthFields)
      .prefault({}),
  })
  .strict()
  .superRefine((b, ctx) => {
    // One client keytab and krb5.conf per process (see backends/kerberos/negotiate.ts).
    const usesKerberos = (h: { auth?: string; principal?: string }) => h.auth === "gssapi" || (!h.auth && Boolean(h.principal));
    const koji = usesKerberos(b.koji) ? b.koji : undefined;
    const osh = usesKerberos(b.openscanhub) ? b.openscanhub : undefined;
    if (!koji || !osh) return;
    for (const key of ["keytab", "krb5Config"] as const) {
      if (koji[key] !== osh[key]) {
        ctx.addIssue({
          code: "custom",
          path: ["openscanhub", key],
          message: `must be the same as backends.koji.${key}: the krb5 library takes one per process`,
        });
      }
    }
  })
  .prefault({});
