import type { NotificationDeliveryV1 } from '../../shared/events/event-schemas.js';

/**
 * What the buyer receives, fitted to the channel (Meta's limits, checked against its documentation):
 *
 * - Messenger text: "UTF-8 and less than 2000 characters" → at most 1999 (send-api reference).
 * - Button template `text`: "UTF-8-encoded text of up to 640 characters"; 1–3 buttons; button `title`:
 *   "20 character limit"; postback `payload`: "1000 character limit" (template/button, buttons/postback).
 * - Quick replies: up to 13, `title` 20 characters, `payload` 1000 characters (send-messages/quick-replies).
 * - Instagram text: "1,000 bytes or less" (UTF-8); button templates are not shown on Instagram's web version,
 *   so the link also stays in the text there; quick replies on a private reply are undocumented for Instagram,
 *   so its private reply asks a short question instead.
 *
 * Characters are counted as UTF-16 code units (never fewer than what Meta may count) and text is cut only between
 * code points, with an ellipsis; a suffix that must survive (the link, the invitation) is kept whole.
 */

export const LIMITS = {
  messengerText: 1999,
  buttonTemplateText: 640,
  buttonTitle: 20,
  payload: 1000,
  instagramTextBytes: 1000,
} as const;

export type MessageFormat = 'text' | 'quick_replies' | 'button_template' | 'utility_template';

export interface BuiltMessage {
  message: Record<string, unknown>;
  format: MessageFormat;
}

/** Button and quick-reply titles (≤ 20 characters). */
export const TITLES = { pay: 'Pagar ahora', notifyHere: 'Avisarme por aquí' } as const;

/** The invitation that makes the buyer answer, which opens the 24 h window (a private reply does not). */
export const INVITATION = {
  facebook: `Toca «${TITLES.notifyHere}» para recibir por este chat las novedades de tu pedido.`,
  instagram: '¿Te avisamos por aquí de las novedades de tu pedido? Respóndenos «sí» a este mensaje.',
} as const;

const ELLIPSIS = '…';
const utf16 = (s: string) => s.length;
const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** `text` cut to `limit` by `measure`, between code points, with an ellipsis when cut. */
export function fitText(text: string, limit: number, measure: (s: string) => number = utf16): string {
  if (measure(text) <= limit) return text;
  const points = Array.from(text);
  let lo = 0;
  let hi = points.length;
  // Longest prefix whose measure plus the ellipsis fits.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(points.slice(0, mid).join('') + ELLIPSIS) <= limit) lo = mid;
    else hi = mid - 1;
  }
  return points.slice(0, lo).join('').trimEnd() + ELLIPSIS;
}

/** `body` + `suffix` within `limit`: the body is shortened first, the suffix kept whole (cut only if it alone is too long). */
export function fitWithSuffix(body: string, suffix: string, limit: number, measure: (s: string) => number = utf16): string {
  if (!suffix) return fitText(body, limit, measure);
  const room = limit - measure(suffix);
  if (room <= measure(ELLIPSIS)) return fitText(suffix.trimStart(), limit, measure);
  return fitText(body, room, measure) + suffix;
}

/**
 * The quick-reply / postback payload that comes back with the buyer's answer: it links the buyer's thread to the
 * comment and order. `lss1?c=<comment id>&o=<order id>` (URL-encoded), ≤ 1000 characters.
 */
export function answerPayload(n: Pick<NotificationDeliveryV1, 'comment_id' | 'order_id'>): string {
  const q = new URLSearchParams({ c: n.comment_id });
  if (n.order_id) q.set('o', n.order_id);
  const payload = `lss1?${q.toString()}`;
  return payload.length <= LIMITS.payload ? payload : `lss1?${new URLSearchParams({ c: n.comment_id }).toString()}`.slice(0, LIMITS.payload);
}

/** The comment and order a payload of ours names; null for anything else (a payload of another app, a typo). */
export function parseAnswerPayload(payload: string | null | undefined): { commentId: string; orderId: string | null } | null {
  if (!payload || !payload.startsWith('lss1?')) return null;
  const q = new URLSearchParams(payload.slice(5));
  const c = q.get('c');
  return c ? { commentId: c, orderId: q.get('o') || null } : null;
}

/** The link in the text too, unless the text already carries it. */
function linkSuffix(n: NotificationDeliveryV1): string {
  return n.payment_url && !n.text.includes(n.payment_url) ? `\n${n.payment_url}` : '';
}

/** The first message about a comment: its private reply, with the invitation to answer. */
export function buildPrivateReply(n: NotificationDeliveryV1): BuiltMessage {
  const payload = answerPayload(n);
  if (n.platform === 'instagram') {
    const text = fitWithSuffix(n.text, `${linkSuffix(n)}\n\n${INVITATION.instagram}`, LIMITS.instagramTextBytes, utf8);
    return { format: 'text', message: { text } };
  }
  if (n.payment_url) {
    // The doc's own private-reply example is a button template: the link as a button, the postback as the answer.
    return {
      format: 'button_template',
      message: {
        attachment: {
          type: 'template',
          payload: {
            template_type: 'button',
            text: fitWithSuffix(n.text, `\n\n${INVITATION.facebook}`, LIMITS.buttonTemplateText),
            buttons: [
              { type: 'web_url', url: n.payment_url, title: TITLES.pay },
              { type: 'postback', title: TITLES.notifyHere, payload },
            ],
          },
        },
      },
    };
  }
  return {
    format: 'quick_replies',
    message: {
      text: fitWithSuffix(n.text, `\n\n${INVITATION.facebook}`, LIMITS.messengerText),
      quick_replies: [{ content_type: 'text', title: TITLES.notifyHere, payload }],
    },
  };
}

/** A later message, in the buyer's thread (inside the 24 h window). */
export function buildThreadMessage(n: NotificationDeliveryV1): BuiltMessage {
  if (n.payment_url) {
    const text =
      n.platform === 'instagram'
        ? fitWithSuffix(n.text, linkSuffix(n), LIMITS.buttonTemplateText) // IG web shows no buttons: keep the link readable
        : fitText(n.text, LIMITS.buttonTemplateText);
    return {
      format: 'button_template',
      message: { attachment: { type: 'template', payload: { template_type: 'button', text, buttons: [{ type: 'web_url', url: n.payment_url, title: TITLES.pay }] } } },
    };
  }
  const text = n.platform === 'instagram' ? fitText(n.text, LIMITS.instagramTextBytes, utf8) : fitText(n.text, LIMITS.messengerText);
  return { format: 'text', message: { text } };
}

export interface UtilityTemplate {
  name: string;
  language: string;
}

/**
 * Outside the window on Messenger, where the Page has an approved UTILITY template (`page_utility_messaging`):
 * the template with the notification text as its one body parameter. The parameter's length limit is not
 * documented for Messenger; the button-template text limit is used as a conservative bound.
 */
export function buildUtilityMessage(n: NotificationDeliveryV1, template: UtilityTemplate): BuiltMessage {
  return {
    format: 'utility_template',
    message: {
      template: {
        name: template.name,
        language: { code: template.language },
        components: [{ type: 'body', parameters: [{ type: 'text', text: fitWithSuffix(n.text, linkSuffix(n), LIMITS.buttonTemplateText) }] }],
      },
    },
  };
}
