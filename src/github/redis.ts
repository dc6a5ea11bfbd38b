import { Redis } from "ioredis";
import { redactedUrl } from "../db/postgres.js";
import { SettingsError } from "../errors.js";

/**
 * Stop the start when the Redis `redis.url` (`REDIS_URL`) names does not answer a
 * PING: the rate limiters wait for their connection, so every GitHub request would
 * hang instead. The password never appears in the message.
 */
export async function checkRedis(url: string, timeoutMs = 5000): Promise<void> {
  const shown = redactedUrl(url);
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Reported through connect()'s rejection below; without a listener ioredis would print it.
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    const message = ((err as Error).message || String(err)).replaceAll(url, shown);
    throw new SettingsError(`redis.url (REDIS_URL): cannot use ${shown}: ${message}`, { cause: err });
  } finally {
    client.disconnect();
  }
}
