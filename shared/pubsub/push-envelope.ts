/**
 * The Pub/Sub push envelope. `deliveryAttempt` is only present in production with a dead-letter policy
 * (the emulator omits it); `publishTime` / `orderingKey` are not relied upon (the emulator may omit them).
 */
export interface PushEnvelope {
  subscription: string;
  message: {
    data?: string;
    attributes?: Record<string, string>;
    messageId: string;
    publishTime?: string;
    orderingKey?: string;
  };
  deliveryAttempt?: number;
}

export function isPushEnvelope(body: unknown): body is PushEnvelope {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  if (typeof b.subscription !== 'string') return false;
  const m = b.message as Record<string, unknown> | undefined;
  if (typeof m !== 'object' || m === null) return false;
  const id = m.messageId ?? m.message_id;
  if (typeof id !== 'string' || id.length === 0) return false;
  if (m.data !== undefined && typeof m.data !== 'string') return false;
  if (m.attributes !== undefined) {
    if (typeof m.attributes !== 'object' || m.attributes === null) return false;
    if (!Object.values(m.attributes).every((v) => typeof v === 'string')) return false;
  }
  if (b.deliveryAttempt !== undefined && typeof b.deliveryAttempt !== 'number') return false;
  return true;
}

/** Normalises snake_case duplicates (`message_id`) the push body also carries. */
export function normaliseEnvelope(body: PushEnvelope): PushEnvelope {
  const m = body.message as PushEnvelope['message'] & { message_id?: string };
  return {
    subscription: body.subscription,
    message: { ...m, messageId: m.messageId ?? m.message_id ?? '', attributes: m.attributes ?? {} },
    ...(body.deliveryAttempt !== undefined ? { deliveryAttempt: body.deliveryAttempt } : {}),
  };
}

/** Strict base64 check: Buffer.from silently ignores garbage, which would hide corrupt messages. */
export function decodeBase64Strict(data: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) return null;
  return Buffer.from(data, 'base64');
}
