/**
 * GitHub's side of the kill loop: each delivery is sent until it is answered 2xx,
 * with the same id and body each time — an answer that is not 2xx, or a connection
 * cut by the dying process, is redelivered a little later.
 */
import { sendWebhook } from "../github-sim/index.js";
import type { SentDelivery } from "./count.js";
import type { PlannedDelivery } from "./plan.js";

export interface RedelivererOptions {
  /** The service's webhook URL now (it moves with each restart). */
  url(): string;
  secret: string;
  /** Deliveries in flight at once. */
  concurrency: number;
  /** Sends of one delivery before it is given up (counted unanswered). */
  maxAttempts: number;
  /** Wait before the n-th redelivery: n × this, at most 5 ×. */
  backoffMs: number;
  /** A send not answered by then counts as failed. */
  answerTimeoutMs: number;
}

interface Owed {
  planned: PlannedDelivery;
  sent: SentDelivery;
  dueAt: number;
}

export class Redeliverer {
  readonly sent: SentDelivery[] = [];
  /** Answers by status ("error" for no answer), for the progress lines. */
  readonly answers = new Map<string, number>();
  private readonly owed: Owed[] = [];
  private inFlight = 0;
  private readonly pump: NodeJS.Timeout;

  constructor(private readonly o: RedelivererOptions) {
    this.pump = setInterval(() => this.sendDue(), 10);
  }

  /** The event happens on GitHub and its delivery is sent (now, and again until answered). */
  release(planned: PlannedDelivery): void {
    planned.happen();
    const sent: SentDelivery = { id: planned.id, kind: planned.kind, answered: false, attempts: 0, markers: planned.markers };
    this.sent.push(sent);
    this.owed.push({ planned, sent, dueAt: 0 });
  }

  /** Deliveries neither answered nor given up. */
  get pending(): number {
    return this.owed.length + this.inFlight;
  }

  stop(): void {
    clearInterval(this.pump);
  }

  private sendDue(): void {
    const now = Date.now();
    while (this.inFlight < this.o.concurrency) {
      const i = this.owed.findIndex((x) => x.dueAt <= now);
      if (i < 0) return;
      const [item] = this.owed.splice(i, 1);
      this.inFlight++;
      void this.send(item!).finally(() => this.inFlight--);
    }
  }

  private async send(item: Owed): Promise<void> {
    item.sent.attempts++;
    const { event, payload, id } = item.planned;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("no answer in time")), this.o.answerTimeoutMs);
    });
    const status = await Promise.race([sendWebhook(this.o.url(), { event, payload, secret: this.o.secret, deliveryId: id }), timeout]).then(
      (r) => r.status,
      () => 0,
    );
    clearTimeout(timer);
    const label = status === 0 ? "error" : String(status);
    this.answers.set(label, (this.answers.get(label) ?? 0) + 1);
    if (status >= 200 && status < 300) item.sent.answered = true;
    else if (item.sent.attempts < this.o.maxAttempts)
      this.owed.push({ ...item, dueAt: Date.now() + this.o.backoffMs * Math.min(item.sent.attempts, 5) });
  }
}
