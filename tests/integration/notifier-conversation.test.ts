import { Timestamp } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BigQueryAnalyticsSink } from '../../shared/analytics/analytics-sink.js';
import { analyticsFromBigQuery } from '../../shared/analytics/analytics-recorder.js';
import type { NotificationDeliveryV1 } from '../../shared/events/event-schemas.js';
import { IdempotencyStore } from '../../shared/idempotency/idempotency-store.js';
import { createPublisher } from '../../shared/pubsub/publisher.js';
import { createSecretSource } from '../../shared/secrets/create-secret-source.js';
import { secretIdToEnvName } from '../../shared/secrets/env-secret-source.js';
import { provisionTopology } from '../../shared/topology/provision-topology.js';
import { ATTR, consumerFor, TOPIC_NAMES } from '../../shared/topology/topology.js';
import { createApp } from '../../services/notifier/app.js';
import { ConversationStore, conversationDocId } from '../../services/notifier/conversation-store.js';
import { createGraphClient } from '../../services/notifier/graph-client.js';
import { pageTokenSecretId, type NotificationDisposition } from '../../services/notifier/handlers/notification-handler.js';
import { INVITATION, TITLES } from '../../services/notifier/message-builder.js';
import { PagePacer } from '../../services/notifier/page-pacer.js';
import { startBigQueryFake, type BigQueryFake } from '../fakes/bigquery-fake.js';
import { startMetaGraphFake, type MetaGraphFake } from '../fakes/meta-graph-fake.js';
import { startIngressHarness, TEST_SECRETS, TEST_TIENDA, type IngressHarness } from '../helpers/ingress-harness.js';
import { collect, listen, sleep, waitUntil } from '../helpers/test-kit.js';

/**
 * The buyer's conversation end to end on the emulators: notifier → Meta Graph fake (one private reply per comment,
 * the 24 h window, tags refused) ← buyer's answer as Meta's signed `messages` webhook → the real ingress →
 * `buyer_messages` → notifier. Nothing here is mocked but Meta and BigQuery (wire-level fakes).
 */

const TIENDA = TEST_TIENDA.id;
const PAGE = TEST_TIENDA.meta_page_id;
const IG = TEST_TIENDA.instagram_account_id;
/** A second Page, approved for a Messenger utility template. */
const UTIL_PAGE = '3333333333';
const TOKEN = 'EAAG-page-token-tienda-test';
const LIVE = 'live-conv-1';
const notificationConsumer = consumerFor(TOPIC_NAMES.notificationDelivery);
const buyerConsumer = consumerFor(TOPIC_NAMES.buyerMessages);

let seq = 0;
function notification(over: Partial<NotificationDeliveryV1> & { notification_id: string; comment_id: string }): NotificationDeliveryV1 {
  return {
    schema_version: '1.0',
    tienda_id: TIENDA,
    live_id: LIVE,
    platform: 'facebook',
    account_id: PAGE,
    author_id: `61000000000${++seq}`,
    author_name: 'Javiera Soto',
    kind: 'payment_link',
    text: '¡Listo! Reservamos tu polera roja M. Paga aquí: https://pay.example/o1',
    order_id: 'order-1',
    payment_url: 'https://pay.example/o1',
    event_at: new Date(Date.now() - 3000).toISOString(),
    ...over,
  };
}

describe('notifier: one private reply per comment, then the buyer’s thread', () => {
  let h: IngressHarness;
  let meta: MetaGraphFake;
  let bq: BigQueryFake;
  let server: Awaited<ReturnType<typeof listen>>;
  let dlq: ReturnType<typeof collect>;
  let conversations: ConversationStore;
  let publisher: ReturnType<typeof createPublisher>;
  let pacer: PagePacer;
  const delivered: Array<{ id: string; disposition: NotificationDisposition }> = [];
  const buyerMids: string[] = [];

  beforeAll(async () => {
    h = await startIngressHarness();
    meta = await startMetaGraphFake({
      pageTokens: { [PAGE]: TOKEN, [IG]: TOKEN, [UTIL_PAGE]: TOKEN },
      instagramAccounts: [IG],
      appSecret: TEST_SECRETS.metaAppSecret,
      utilityTemplates: { [UTIL_PAGE]: ['order_update'] },
    });
    bq = await startBigQueryFake({ dataset: 'livestreamsell' });
    conversations = new ConversationStore(h.firestore);
    publisher = createPublisher(h.pubsub);
    pacer = new PagePacer({ ratePerPage: 50, maxQueueWaitMs: 15_000 });
    const app = createApp({
      idempotency: new IdempotencyStore(h.firestore),
      secrets: createSecretSource({ source: 'env', projectId: h.projectId, env: { [secretIdToEnvName(pageTokenSecretId(TIENDA))]: TOKEN } }),
      graph: createGraphClient({ baseUrl: meta.url, timeoutMs: 2000, onUsage: (a, u) => pacer.noteUsage(a, u) }),
      conversations,
      pacer,
      publisher,
      analytics: analyticsFromBigQuery(new BigQueryAnalyticsSink({ projectId: h.projectId, dataset: 'livestreamsell', apiEndpoint: bq.url, maxAttempts: 2, retryDelayMs: 10 })),
      retrySchedule: [300, 600, 900, 1200, 1500],
      pushAuth: { enabled: false, allowedServiceAccounts: [] },
      onDelivered: (disposition, id) => delivered.push({ id, disposition }),
      onBuyerMessage: (mid) => buyerMids.push(mid),
    });
    server = await listen(app);
    await provisionTopology(h.pubsub, {
      endpoints: { notifier: server.url },
      consumers: [notificationConsumer, buyerConsumer],
      nativeRetry: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 2 },
    });
    dlq = collect(h.pubsub, notificationConsumer.deadLetterSubscription);
    await h.firestore.collection('tiendas').doc(TIENDA).collection('lives').doc(LIVE).set({ status: 'live' });
    await h.firestore.collection('tiendas').doc(TIENDA).collection('lives').doc('live-ended').set({ status: 'ended' });
    await conversations.setUtilityTemplate('facebook', UTIL_PAGE, { name: 'order_update', language: 'es' });
  });
  afterAll(async () => {
    await dlq.close();
    await server.close();
    await pacer.stop();
    await publisher.close();
    await meta.close();
    await bq.close();
    await h.close();
  });

  const publish = (n: NotificationDeliveryV1) =>
    publisher.publishJson(TOPIC_NAMES.notificationDelivery, n, { event: 'notification_delivery', idempotencyKey: `notification:${n.notification_id}`, schemaVersion: '1.0', tiendaId: n.tienda_id });
  const handled = (id: string, count = 1) => waitUntil(() => delivered.filter((d) => d.id === id).length >= count, 20_000, `notification ${id} handled`);
  const dispositionOf = (id: string) => delivered.filter((d) => d.id === id).map((d) => d.disposition);
  const commentCalls = (commentId: string) => meta.requests.filter((r) => (r.body as { recipient?: { comment_id?: string } })?.recipient?.comment_id === commentId);
  const threadCalls = (buyerId: string) => meta.requests.filter((r) => (r.body as { recipient?: { id?: string } })?.recipient?.id === buyerId);
  const rowsOf = (id: string) => bq.rows('notifications').filter((r) => r.notification_id === id);
  const finalRow = async (id: string) => {
    await waitUntil(() => rowsOf(id).some((r) => ['sent', 'undeliverable', 'skipped'].includes(String(r.status))), 15_000, `the final row of ${id}`);
    return rowsOf(id).find((r) => ['sent', 'undeliverable', 'skipped'].includes(String(r.status)))!;
  };
  const conversationDoc = async (platform: 'facebook' | 'instagram', account: string, buyer: string) =>
    (await h.firestore.collection('conversations').doc(conversationDocId(platform, account, buyer)).get()).data();
  /** The buyer answers in Messenger / Instagram: Meta's signed webhook → the real ingress → buyer_messages → notifier. */
  const buyerAnswers = async (input: Parameters<MetaGraphFake['buyerWrites']>[0]) => {
    const hook = meta.buyerWrites(input);
    const res = await meta.deliverWebhook(`${h.url}/webhooks/meta`, hook);
    expect(res.status).toBe(200);
    await waitUntil(() => buyerMids.includes(hook.mid), 20_000, `buyer message ${hook.mid} recorded`);
    return hook;
  };

  it('link as a private reply that invites an answer; the buyer taps it (postback); "paid" goes to their thread, not dropped', async () => {
    const comment = `${PAGE}_live_c1`;
    const link = notification({ notification_id: 'order-1:payment_link', comment_id: comment });
    await publish(link);
    await handled(link.notification_id);
    expect(dispositionOf(link.notification_id)).toEqual(['sent']);
    const reply = meta.replies.find((r) => r.commentId === comment)!;
    const buttons = (reply.message as { attachment: { payload: { text: string; buttons: Array<Record<string, string>> } } }).attachment.payload;
    expect(buttons.text).toBe(`${link.text}\n\n${INVITATION.facebook}`);
    expect(buttons.buttons).toEqual([
      { type: 'web_url', url: link.payment_url, title: TITLES.pay },
      { type: 'postback', title: TITLES.notifyHere, payload: `lss1?c=${encodeURIComponent(comment)}&o=order-1` },
    ]);
    // The recipient id Meta returned is kept: the buyer's thread, known before they answer (window still closed).
    const buyer = reply.recipientId;
    expect(await conversationDoc('facebook', PAGE, buyer)).toMatchObject({ buyer_id: buyer, comment_ids: [comment], order_ids: ['order-1'] });
    expect((await conversationDoc('facebook', PAGE, buyer))!.last_inbound_at).toBeUndefined();

    await buyerAnswers({ accountId: PAGE, buyerId: buyer, postback: { title: TITLES.notifyHere, payload: buttons.buttons[1]!.payload! } });
    expect((await conversationDoc('facebook', PAGE, buyer))!.last_inbound_at).toBeInstanceOf(Timestamp);

    const paid = notification({ notification_id: 'order-1:payment_confirmed', comment_id: comment, kind: 'payment_confirmed', text: '¡Pago confirmado! Tu polera roja M va en camino.', payment_url: null, event_at: new Date().toISOString() });
    await publish(paid);
    await handled(paid.notification_id);
    expect(dispositionOf(paid.notification_id)).toEqual(['sent']);
    expect(meta.threadMessages.filter((m) => m.buyerId === buyer)).toEqual([
      expect.objectContaining({ accountId: PAGE, messagingType: 'UPDATE', text: paid.text }),
    ]);
    // One private reply for the comment, ever: the second message never tried it.
    expect(commentCalls(comment)).toHaveLength(1);
    expect(await finalRow(paid.notification_id)).toMatchObject({ status: 'sent', channel: 'thread', format: 'text', kind: 'payment_confirmed', http_status: 200 });
    expect(Number((await finalRow(paid.notification_id)).latency_ms)).toBeGreaterThanOrEqual(0);
  });

  it('a quick-reply answer opens the window too', async () => {
    const comment = `${PAGE}_live_c2`;
    const first = notification({ notification_id: 'order-2:waitlisted', comment_id: comment, kind: 'waitlisted', order_id: 'order-2', text: 'Quedaste en lista de espera para la polera roja M.', payment_url: null });
    await publish(first);
    await handled(first.notification_id);
    const reply = meta.replies.find((r) => r.commentId === comment)!;
    const quick = (reply.message as { quick_replies: Array<{ title: string; payload: string }> }).quick_replies;
    expect(quick).toEqual([{ content_type: 'text', title: TITLES.notifyHere, payload: `lss1?c=${encodeURIComponent(comment)}&o=order-2` }]);

    await buyerAnswers({ accountId: PAGE, buyerId: reply.recipientId, text: TITLES.notifyHere, quickReplyPayload: quick[0]!.payload });
    const promoted = notification({ notification_id: 'order-2:payment_link', comment_id: comment, kind: 'waitlist_promoted', order_id: 'order-2', text: '¡Se liberó tu polera! Paga aquí: https://pay.example/o2', payment_url: 'https://pay.example/o2' });
    await publish(promoted);
    await handled(promoted.notification_id);
    const sent = meta.threadMessages.filter((m) => m.buyerId === reply.recipientId);
    expect(sent).toHaveLength(1);
    // The payment link as a button in the thread as well.
    expect(sent[0]!.message).toMatchObject({ attachment: { payload: { template_type: 'button', buttons: [{ type: 'web_url', url: 'https://pay.example/o2' }] } } });
    expect(await finalRow(promoted.notification_id)).toMatchObject({ status: 'sent', channel: 'thread', format: 'button_template' });
  });

  it('outside every allowed channel → undeliverable with the reason: 2xx, not retried, not dead-lettered; a redelivery sends nothing', async () => {
    const comment = `${PAGE}_live_c3`;
    const link = notification({ notification_id: 'order-3:payment_link', comment_id: comment, order_id: 'order-3' });
    await publish(link);
    await handled(link.notification_id);
    const buyer = meta.replies.find((r) => r.commentId === comment)!.recipientId;
    // The buyer never answers: the private reply did not open the window, and this Page has no utility template.
    const expired = notification({ notification_id: 'order-3:order_expired', comment_id: comment, kind: 'order_expired', order_id: 'order-3', text: 'Tu reserva venció.', payment_url: null });
    const before = meta.requests.length;
    await publish(expired);
    await handled(expired.notification_id);
    expect(dispositionOf(expired.notification_id)).toEqual(['undeliverable']);
    expect(meta.requests.length).toBe(before); // nothing Meta would refuse was even tried
    const row = await finalRow(expired.notification_id);
    expect(row).toMatchObject({ status: 'undeliverable', channel: null, attempt: 1 });
    expect(String(row.reason)).toBe('private_reply_used_by:order-3:payment_link; buyer_never_wrote; no_utility_template');

    // Redelivered (Pub/Sub at-least-once, or a replay): recognised, no request to Meta.
    await publish(expired);
    await publish(link);
    await handled(expired.notification_id, 2);
    await handled(link.notification_id, 2);
    expect(dispositionOf(expired.notification_id)).toEqual(['undeliverable', 'duplicate']);
    expect(dispositionOf(link.notification_id)).toEqual(['sent', 'duplicate']);
    expect(meta.requests.length).toBe(before);
    expect(threadCalls(buyer)).toHaveLength(0);
    await sleep(1500);
    expect(dlq.messages.filter((m) => m.attributes[ATTR.idempotencyKey] === `notification:${expired.notification_id}`)).toHaveLength(0);
    expect(rowsOf(expired.notification_id).filter((r) => r.status === 'retrying')).toHaveLength(0);
  });

  it('a window that closed (buyer wrote 25 h ago) → undeliverable; Meta itself refuses the thread outside it', async () => {
    const comment = `${PAGE}_live_c4`;
    await publish(notification({ notification_id: 'order-4:payment_link', comment_id: comment, order_id: 'order-4' }));
    await handled('order-4:payment_link');
    const buyer = meta.replies.find((r) => r.commentId === comment)!.recipientId;
    await buyerAnswers({ accountId: PAGE, buyerId: buyer, text: 'ok', at: Date.now() - 25 * 3600_000 });
    const paid = notification({ notification_id: 'order-4:payment_confirmed', comment_id: comment, kind: 'payment_confirmed', order_id: 'order-4', text: 'Pago confirmado.', payment_url: null });
    await publish(paid);
    await handled(paid.notification_id);
    expect(String((await finalRow(paid.notification_id)).reason)).toBe('private_reply_used_by:order-4:payment_link; window_closed; no_utility_template');
    // And the fake enforces it the way Meta does: a thread message now is (#10) outside the allowed window.
    const res = await fetch(`${meta.url}/${PAGE}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ recipient: { id: buyer }, messaging_type: 'UPDATE', message: { text: 'hola' } }),
    });
    expect(await res.json()).toMatchObject({ error: { code: 10, error_subcode: 2018278 } });
  });

  it('outside the window on a Page allowed a utility template → sent as that template (messaging_type UTILITY, no tag)', async () => {
    const comment = `${UTIL_PAGE}_live_c5`;
    await publish(notification({ notification_id: 'order-5:payment_link', comment_id: comment, account_id: UTIL_PAGE, order_id: 'order-5' }));
    await handled('order-5:payment_link');
    const buyer = meta.replies.find((r) => r.commentId === comment)!.recipientId;
    const paid = notification({ notification_id: 'order-5:payment_confirmed', comment_id: comment, account_id: UTIL_PAGE, kind: 'payment_confirmed', order_id: 'order-5', text: 'Pago confirmado.', payment_url: null });
    await publish(paid);
    await handled(paid.notification_id);
    expect(dispositionOf(paid.notification_id)).toEqual(['sent']);
    const sent = meta.threadMessages.filter((m) => m.buyerId === buyer);
    expect(sent).toEqual([expect.objectContaining({ messagingType: 'UTILITY', text: 'order_update' })]);
    expect(sent[0]!.message).toEqual({ template: { name: 'order_update', language: { code: 'es' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Pago confirmado.' }] }] } });
    expect(threadCalls(buyer).every((r) => !('tag' in (r.body as object)))).toBe(true);
    expect(await finalRow(paid.notification_id)).toMatchObject({ status: 'sent', channel: 'utility_template', format: 'utility_template' });
  });

  it('two notifications about one comment at once: exactly one private reply, the other is not counted as sent by 10900', async () => {
    const comment = `${PAGE}_live_c6`;
    const a = notification({ notification_id: 'order-6:payment_link', comment_id: comment, order_id: 'order-6' });
    const b = notification({ notification_id: 'order-6b:waitlisted', comment_id: comment, kind: 'waitlisted', order_id: 'order-6b', text: 'Tu segunda polera quedó en lista de espera.', payment_url: null });
    await Promise.all([publish(a), publish(b)]);
    await handled(a.notification_id);
    await handled(b.notification_id);
    expect(commentCalls(comment)).toHaveLength(1);
    expect(meta.replies.filter((r) => r.commentId === comment)).toHaveLength(1);
    const dispositions = [...dispositionOf(a.notification_id), ...dispositionOf(b.notification_id)].sort();
    expect(dispositions).toEqual(['sent', 'undeliverable']);
    const loser = dispositionOf(a.notification_id)[0] === 'sent' ? b : a;
    const winner = loser === a ? b : a;
    expect(String((await finalRow(loser.notification_id)).reason)).toBe(`private_reply_used_by:${winner.notification_id}; buyer_never_wrote; no_utility_template`);
  });

  it('10900 is success only for the same notification: a lost answer is done, someone else’s reply is not', async () => {
    // Our own send whose answer got lost: the retry's 10900 completes it, no second reply.
    const own = notification({ notification_id: 'order-7:payment_link', comment_id: `${PAGE}_live_c7`, order_id: 'order-7' });
    meta.failNext({ timeout: true, deliver: true });
    await publish(own);
    await waitUntil(() => delivered.some((d) => d.id === own.notification_id), 30_000, 'the retry after the lost answer');
    expect(dispositionOf(own.notification_id)).toEqual(['already_replied']);
    expect(meta.replies.filter((r) => r.commentId === own.comment_id)).toHaveLength(1);
    expect(await finalRow(own.notification_id)).toMatchObject({ status: 'skipped', channel: 'private_reply', error_code: '10900' });

    // A person in the Page inbox replied to the comment first: 10900 is not this notification's success.
    const comment = `${PAGE}_live_c8`;
    await fetch(`${meta.url}/${PAGE}/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ recipient: { comment_id: comment }, message: { text: 'Hola, te escribo yo.' } }) });
    const other = notification({ notification_id: 'order-8:payment_link', comment_id: comment, order_id: 'order-8' });
    await publish(other);
    await handled(other.notification_id);
    expect(dispositionOf(other.notification_id)).toEqual(['undeliverable']);
    expect(String((await finalRow(other.notification_id)).reason)).toMatch(/^private_reply_used_elsewhere; buyer_thread_unknown$/);
  });

  it('Meta refuses a comment’s private reply for good (10903): the comment is closed and the thread tried, not dead-lettered', async () => {
    const igsid = 'igsid-writer-12';
    await buyerAnswers({ accountId: IG, buyerId: igsid, text: 'hola' });
    const n = notification({ notification_id: 'order-12:payment_link', comment_id: '17900000000001201', platform: 'instagram', account_id: IG, author_id: igsid, order_id: 'order-12', payment_url: null, text: 'Tu pedido está listo.' });
    meta.failNext(10903);
    await publish(n);
    await handled(n.notification_id);
    expect(dispositionOf(n.notification_id)).toEqual(['sent']);
    expect(commentCalls(n.comment_id).map((r) => r.errorCode)).toEqual([10903]);
    expect(meta.threadMessages.filter((m) => m.buyerId === igsid)).toEqual([expect.objectContaining({ text: 'Tu pedido está listo.' })]);
    expect(await finalRow(n.notification_id)).toMatchObject({ status: 'sent', channel: 'thread' });
    const again = notification({ notification_id: 'order-12:payment_confirmed', comment_id: n.comment_id, platform: 'instagram', account_id: IG, author_id: igsid, kind: 'payment_confirmed', order_id: 'order-12', payment_url: null, text: 'Pago recibido.' });
    await publish(again);
    await handled(again.notification_id);
    expect(commentCalls(n.comment_id)).toHaveLength(1); // closed: not tried again
    expect(meta.threadMessages.filter((m) => m.buyerId === igsid)).toHaveLength(2);
  });

  it('Instagram: a private reply with a short question; the buyer’s text answer opens the window; then the thread', async () => {
    const comment = '17900000000000901';
    const igsid = 'igsid-buyer-901';
    meta.addCommenter(IG, comment, igsid);
    const link = notification({ notification_id: 'order-9:payment_link', comment_id: comment, platform: 'instagram', account_id: IG, author_id: igsid, order_id: 'order-9', text: 'Reservamos tu polera roja M 💃. Paga aquí: https://pay.example/o9', payment_url: 'https://pay.example/o9' });
    await publish(link);
    await handled(link.notification_id);
    const reply = meta.replies.find((r) => r.commentId === comment)!;
    expect(reply.message).toEqual({ text: `${link.text}\n\n${INVITATION.instagram}` });
    expect(reply.recipientId).toBe(igsid);

    await buyerAnswers({ accountId: IG, buyerId: igsid, text: 'sí' });
    const paid = notification({ notification_id: 'order-9:payment_confirmed', comment_id: comment, platform: 'instagram', account_id: IG, author_id: igsid, kind: 'payment_confirmed', order_id: 'order-9', text: '¡Pago recibido!', payment_url: null });
    await publish(paid);
    await handled(paid.notification_id);
    expect(meta.threadMessages.filter((m) => m.buyerId === igsid)).toEqual([expect.objectContaining({ accountId: IG, text: '¡Pago recibido!' })]);
    expect(commentCalls(comment)).toHaveLength(1);
  });

  it('Instagram: after the live ended no private reply is attempted; the thread is used where the buyer wrote, undeliverable where not', async () => {
    // The buyer (IGSID = the comment's from.id) wrote to the account recently: the thread is allowed.
    const writer = 'igsid-writer-10';
    await buyerAnswers({ accountId: IG, buyerId: writer, text: '¿tienen talla L?' });
    const a = notification({ notification_id: 'order-10:payment_link', comment_id: '17900000000001001', platform: 'instagram', account_id: IG, author_id: writer, live_id: 'live-ended', order_id: 'order-10', text: 'Tu pedido: paga aquí https://pay.example/o10', payment_url: 'https://pay.example/o10' });
    await publish(a);
    await handled(a.notification_id);
    expect(commentCalls(a.comment_id)).toHaveLength(0);
    expect(meta.threadMessages.filter((m) => m.buyerId === writer)).toHaveLength(1);
    expect(await finalRow(a.notification_id)).toMatchObject({ status: 'sent', channel: 'thread', format: 'button_template' });

    const silent = notification({ notification_id: 'order-11:payment_link', comment_id: '17900000000001101', platform: 'instagram', account_id: IG, author_id: 'igsid-silent-11', live_id: 'live-ended', order_id: 'order-11' });
    await publish(silent);
    await handled(silent.notification_id);
    expect(commentCalls(silent.comment_id)).toHaveLength(0);
    expect(threadCalls('igsid-silent-11')).toHaveLength(0);
    expect(String((await finalRow(silent.notification_id)).reason)).toBe('instagram_live_ended; buyer_never_wrote; instagram_has_no_send_outside_window');
  });

  it('a buyer message redelivered by Meta is published once (idempotent on mid); echoes of our own sends are ignored', async () => {
    const hook = meta.buyerWrites({ accountId: PAGE, buyerId: 'psid-echo-test', text: 'hola' });
    const r1 = await meta.deliverWebhook(`${h.url}/webhooks/meta`, hook);
    const r2 = await meta.deliverWebhook(`${h.url}/webhooks/meta`, hook);
    expect(await r1.json()).toMatchObject({ published: 1 });
    expect(await r2.json()).toMatchObject({ published: 0 });
    const echo = JSON.stringify({ object: 'page', entry: [{ id: PAGE, time: Date.now(), messaging: [{ sender: { id: PAGE }, recipient: { id: 'psid-echo-test' }, timestamp: Date.now(), message: { mid: 'm_echo_1', is_echo: true, text: 'nuestro' } }] }] });
    const { signMetaBody } = await import('../../services/ingress/providers/meta-signature.js');
    const r3 = await fetch(`${h.url}/webhooks/meta`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(echo, TEST_SECRETS.metaAppSecret) }, body: echo });
    expect(await r3.json()).toMatchObject({ published: 0 });
    // A forged (unsigned) buyer message is refused like every Meta webhook.
    const forged = await fetch(`${h.url}/webhooks/meta`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) }, body: hook.body });
    expect(forged.status).toBe(401);
  });
});
