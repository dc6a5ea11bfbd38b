/**
 * GitHub App authentication as GitHub does it: the app signs a short-lived RS256
 * JWT with its private key; GitHub verifies it with the registered public key and
 * exchanges it for an installation access token (one hour).
 */
import { generateKeyPairSync, randomBytes, verify, type KeyObject } from "node:crypto";

/** The longest JWT lifetime GitHub accepts (`exp` at most 10 minutes ahead). */
const MAX_JWT_AHEAD_S = 600;
/** Tolerated rounding between our clock and the signer's (same machine). */
const SKEW_S = 1;
const TOKEN_TTL_MS = 60 * 60 * 1000;

/** A 401 with GitHub's message; the texts are the ones @octokit/auth-app matches for clock skew. */
export class AuthFailure extends Error {}

export interface AppKeys {
  /** PKCS#1 PEM, the format GitHub hands out for app private keys. */
  privateKey: string;
  publicKey: KeyObject;
}

export function generateAppKeys(): AppKeys {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    publicKey,
  };
}

function b64urlJson(part: string): Record<string, unknown> {
  const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  if (!value || typeof value !== "object") throw new Error("not an object");
  return value as Record<string, unknown>;
}

/** Verify an app JWT (signature, issuer, `iat`/`exp` window) or throw {@link AuthFailure}. */
export function verifyAppJwt(jwt: string, appId: number, publicKey: KeyObject, nowS = Math.floor(Date.now() / 1000)): void {
  const undecodable = new AuthFailure("A JSON web token could not be decoded");
  const parts = jwt.split(".");
  if (parts.length !== 3) throw undecodable;
  const [h, p, sig] = parts as [string, string, string];
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = b64urlJson(h);
    payload = b64urlJson(p);
  } catch {
    throw undecodable;
  }
  if (header.alg !== "RS256") throw undecodable;
  if (!verify("RSA-SHA256", Buffer.from(`${h}.${p}`), publicKey, Buffer.from(sig, "base64url"))) throw undecodable;
  // The signature matched this app's key, so a different `iss` is a different app.
  if (Number(payload.iss) !== appId) throw undecodable;

  const { iat, exp } = payload;
  if (typeof iat !== "number" || !Number.isInteger(iat) || iat > nowS + SKEW_S) {
    throw new AuthFailure("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued");
  }
  if (typeof exp !== "number" || exp <= nowS) {
    throw new AuthFailure(
      "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
    );
  }
  if (exp > nowS + MAX_JWT_AHEAD_S + SKEW_S) throw new AuthFailure("'Expiration time' claim ('exp') is too far in the future");
}

/** Installation access tokens the simulator has issued. */
export class TokenStore {
  private readonly tokens = new Map<string, { installationId: number; expiresAt: number }>();

  issue(installationId: number): { token: string; expiresAt: string } {
    // `ghs_` + 36 alphanumerics, the shape of real installation tokens.
    const token = `ghs_${randomBytes(27)
      .toString("base64")
      .replace(/[^A-Za-z0-9]/g, "A")
      .slice(0, 36)}`;
    const expiresAt = Date.now() + TOKEN_TTL_MS;
    this.tokens.set(token, { installationId, expiresAt });
    return { token, expiresAt: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z") };
  }

  /** The installation a live token belongs to. */
  installationOf(token: string): number | undefined {
    const t = this.tokens.get(token);
    if (!t) return undefined;
    if (t.expiresAt <= Date.now()) {
      this.tokens.delete(token);
      return undefined;
    }
    return t.installationId;
  }

  /** Deleting an installation revokes its tokens. */
  revoke(installationId: number): void {
    for (const [token, t] of this.tokens) if (t.installationId === installationId) this.tokens.delete(token);
  }
}
