/**
 * Text normalisation for live-stream comments in Latin-American Spanish.
 *
 * Comments are short, noisy and typed fast on a phone: "MÍAAA la negra L!!", "kiero la asul m",
 * "🙋‍♀️ roja M". Everything downstream (catalog matching, intent cues) works on the tokens
 * produced here, so the rules live in one place:
 * - `norm`: lowercase, accents and ñ folded ("mía"→"mia"), runs of 3+ equal letters collapsed
 *   ("siiii"→"si", "quierooo"→"quiero"); digits and "x" are never collapsed ("111", "xxxl").
 * - `key`: `norm` with every doubled letter squeezed ("quieroo"→"quiero", "zapatilla"→"zapatila"),
 *   used for lexicon look-ups so that one stray repeated letter does not defeat a match.
 * - `phoneticKey()`: a coarse Latin-American spelling key (z/s, c/s, qu/k, v/b, ll/y, silent h) for
 *   typo-tolerant look-ups ("kiero"≈"quiero", "asul"≈"azul", "yevo"≈"llevo").
 * - emoji sequences (including ZWJ sequences, skin tones and gender signs such as 🙋‍♀️) become
 *   one token with a coarse class: a raised hand is how many viewers say "me!".
 */

/** Coarse meaning of an emoji for intent purposes. */
export type EmojiClass = 'raise' | 'wave' | 'cart' | 'love' | 'laugh' | 'sad' | 'other';

/** What a token is, before any catalog or intent interpretation. */
export type TokenKind = 'word' | 'number' | 'punct' | 'emoji' | 'tag' | 'url';

/** One token of a comment. */
export interface Token {
  kind: TokenKind;
  /** The slice of the original text. */
  raw: string;
  /** Lowercase, accent-folded, long letter runs collapsed. Punctuation: the character. Emoji: `_emoji_`. */
  norm: string;
  /** `norm` with doubled letters squeezed (not digits, not "x"); the lexicon look-up key. */
  key: string;
  /** Set on emoji tokens. */
  emoji?: EmojiClass;
  /** A number written with a leading "#" ("#102"): a product code marker. */
  hash?: boolean;
}

/** Removes diacritics (á→a, ü→u, ñ→n). Applied to both the comment and the catalog, so matching is symmetric. */
export function foldAccents(text: string): string {
  return text.normalize('NFD').replace(/\p{M}+/gu, '');
}

/** Collapses runs of three or more equal letters to one ("siiii"→"si"); never digits or "x" ("xxxl" is a size). */
export function collapseRuns(word: string): string {
  return word.replace(/([^x\d])\1{2,}/g, '$1');
}

/** Squeezes every doubled letter (except digits and "x"): the tolerant look-up key. */
export function squeeze(word: string): string {
  return word.replace(/([^x\d])\1+/g, '$1');
}

/** Lowercase + fold accents + collapse long runs: the canonical spelling used for matching. */
export function normalizeWord(word: string): string {
  return collapseRuns(foldAccents(word.toLowerCase()));
}

/** Normalises a whole phrase token by token (catalog values, keywords) to the same form as comment tokens. */
export function normalizePhrase(phrase: string): string {
  return tokenize(phrase)
    .map((t) => t.norm)
    .join(' ');
}

/**
 * A coarse phonetic key for Latin-American Spanish spelling mistakes. Input must already be
 * normalised (`norm`). Collisions are possible ("casa"/"caza"), so callers use it only as a
 * fallback after exact look-ups, and drop keys that map to more than one entry.
 */
export function phoneticKey(norm: string): string {
  let s = norm.replace(/ll/g, 'y');
  s = squeeze(s);
  s = s.replace(/ch/g, '§');
  s = s.replace(/qu(?=[ei])/g, 'k').replace(/q/g, 'k');
  s = s.replace(/c(?=[ei])/g, 's').replace(/c/g, 'k');
  s = s.replace(/g(?=[ei])/g, 'j').replace(/gu(?=[ei])/g, 'g');
  s = s.replace(/z/g, 's').replace(/v/g, 'b').replace(/w/g, 'u').replace(/h/g, '');
  s = s.replace(/y(?![aeiou])/g, 'i');
  s = s.replace(/§/g, 'ch');
  return squeeze(s);
}

/** "jajaja", "jsjsjs", "JAJSJAJ", "xd", "lol", "kkkk", "ajajaj", "jeje". */
export function isLaughter(norm: string): boolean {
  if (norm === 'xd' || norm === 'lol' || norm === 'lmao' || norm === 'jaj' || norm === 'jej') return true;
  if (/^(?:(?:ja|je|ji|jo)+j?|(?:ha|he|hi)+h?)$/.test(norm) && norm.length >= 4) return true;
  if (/^a?(?:ja|je|ji|js|sj|aj|ej)+[jas]*$/.test(norm) && norm.length >= 4 && /j/.test(norm)) return true;
  if (/^k{3,}$/.test(norm)) return true;
  return false;
}

// Code points whose meaning matters for intent; everything else pictographic is 'other'.
const RAISE = new Set([0x1f64b, 0x270b, 0x1f590, 0x1f91a, 0x261d]); // 🙋 ✋ 🖐 🤚 ☝
const WAVE = new Set([0x1f44b]); // 👋
const CART = new Set([0x1f6d2, 0x1f6cd]); // 🛒 🛍
const LOVE = new Set([
  0x2764, 0x1f60d, 0x1f970, 0x1f63b, 0x1f495, 0x1f496, 0x1f497, 0x1f493, 0x1f49e, 0x1f498, 0x1f49d, 0x1f49c,
  0x1f499, 0x1f49a, 0x1f49b, 0x1f5a4, 0x1f90d, 0x1f90e, 0x1f9e1, 0x1f929, 0x2665, 0x1f618,
]);
const LAUGH = new Set([0x1f602, 0x1f923, 0x1f606, 0x1f639, 0x1f605, 0x1f604, 0x1f601]);
const SAD = new Set([0x1f62d, 0x1f622, 0x1f614, 0x1f61e, 0x1f625, 0x2639, 0x1f641, 0x1f97a]);

function classifyEmoji(sequence: string): EmojiClass {
  const first = sequence.codePointAt(0) ?? 0;
  if (RAISE.has(first)) return 'raise';
  if (WAVE.has(first)) return 'wave';
  if (CART.has(first)) return 'cart';
  if (LOVE.has(first)) return 'love';
  if (LAUGH.has(first)) return 'laugh';
  if (SAD.has(first)) return 'sad';
  return 'other';
}

/*
 * One pass over the comment. Alternatives, in priority order:
 *  1 URL  2 @tag  3 keycap digit ("2️⃣")  4 flag  5 emoji sequence (ZWJ, VS16, skin tones)
 *  6 decimal number not glued to letters ("37.5", "9.990")  7 "#"+digits  8 word (letters and digits)
 *  9 text emoticon  10 punctuation we care about.
 */
const TOKEN_RE = new RegExp(
  [
    String.raw`(https?:\/\/\S+|www\.\S+)`,
    String.raw`(@[\p{L}\p{N}_.]+)`,
    String.raw`([0-9])\uFE0F?\u20E3`,
    String.raw`([\u{1F1E6}-\u{1F1FF}]{2})`,
    String.raw`(\p{Extended_Pictographic}[\uFE0F\u{1F3FB}-\u{1F3FF}]*(?:\u200D\p{Extended_Pictographic}[\uFE0F\u{1F3FB}-\u{1F3FF}]*)*)`,
    String.raw`(\d+(?:[.,]\d+)+)(?![\p{L}\p{N}])`,
    String.raw`#\s?(\d+)`,
    String.raw`([\p{L}\p{M}\p{N}]+)`,
    String.raw`(<3|[:;]-?[()DPp](?![\p{L}]))`,
    String.raw`([?¿!.,;:+&/$%()=\-])`,
  ].join('|'),
  'gu',
);

function wordToken(raw: string): Token {
  const norm = normalizeWord(raw);
  const kind: TokenKind = /^\d+$/.test(norm) ? 'number' : 'word';
  return { kind, raw, norm, key: squeeze(norm) };
}

/**
 * Splits a comment into tokens. Never throws; unknown symbols are dropped.
 * Mixed letter/digit words ("2xl", "x2", "a12") stay whole: the catalog matcher decides whether
 * they are a size or a code before splitting them into parts.
 */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const source = text.normalize('NFC');
  for (const m of source.matchAll(TOKEN_RE)) {
    const [whole, url, tag, keycap, flag, emoji, decimal, hashNum, word, emoticon, punct] = m;
    if (url !== undefined) out.push({ kind: 'url', raw: url, norm: '_url_', key: '_url_' });
    else if (tag !== undefined) out.push({ kind: 'tag', raw: tag, norm: '_tag_', key: '_tag_' });
    else if (keycap !== undefined) out.push({ kind: 'number', raw: whole, norm: keycap, key: keycap });
    else if (flag !== undefined) out.push({ kind: 'emoji', raw: flag, norm: '_emoji_', key: '_emoji_', emoji: 'other' });
    else if (emoji !== undefined) {
      const cls = classifyEmoji(emoji);
      out.push({ kind: 'emoji', raw: emoji, norm: `_emoji_`, key: '_emoji_', emoji: cls });
    } else if (decimal !== undefined) {
      out.push({ kind: 'number', raw: decimal, norm: decimal.replace(',', '.'), key: decimal.replace(',', '.') });
    } else if (hashNum !== undefined) {
      out.push({ kind: 'number', raw: whole, norm: hashNum, key: hashNum, hash: true });
    } else if (word !== undefined) out.push(wordToken(word));
    else if (emoticon !== undefined) out.push({ kind: 'emoji', raw: emoticon, norm: '_emoji_', key: '_emoji_', emoji: 'other' });
    else if (punct !== undefined) out.push({ kind: 'punct', raw: punct, norm: punct, key: punct });
  }
  return out;
}

/**
 * Splits a mixed letter/digit word into its letter and digit runs ("x2"→["x","2"], "2rojas"→["2","rojas"]).
 * Returns null when the word is not mixed.
 */
export function splitMixedWord(token: Token): Token[] | null {
  if (token.kind !== 'word' || !/\d/.test(token.norm) || !/[a-z]/.test(token.norm)) return null;
  const parts = token.norm.match(/\d+|[a-z]+/g);
  if (!parts || parts.length < 2) return null;
  return parts.map((p) => wordToken(p));
}
