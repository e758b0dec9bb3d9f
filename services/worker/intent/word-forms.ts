/**
 * Inflected forms of Spanish nouns and colour adjectives, so that a catalog written once
 * ("polera", "roja") matches what viewers type ("poleritas", "rojos", "blanquita").
 * Input and output are normalised words (lowercase, no accents). Over-generation is harmless
 * ("rosa"→"roso"): forms are only compared with what a viewer wrote.
 */

const VOWEL_END = /[aeiou]$/;

/** Diminutive stem: drop the final vowel and keep the consonant's sound before "i" (blanca→blanqu, larga→largu). */
function diminutiveStem(word: string): string {
  const stem = word.slice(0, -1);
  if (stem.endsWith('c')) return `${stem.slice(0, -1)}qu`;
  if (stem.endsWith('g')) return `${stem}u`;
  if (stem.endsWith('z')) return `${stem.slice(0, -1)}c`;
  return stem;
}

function addDiminutives(word: string, into: Set<string>): void {
  if (word.length < 3) return;
  if (/[ao]$/.test(word)) {
    const stem = diminutiveStem(word);
    for (const suffix of ['ita', 'ito', 'itas', 'itos']) into.add(stem + suffix);
  } else if (word.endsWith('e')) {
    const stem = word.slice(0, -1);
    for (const suffix of ['ita', 'ito', 'itas', 'itos']) into.add(stem + suffix);
    for (const suffix of ['cita', 'cito', 'citas', 'citos']) into.add(word + suffix);
  } else if (/[nrl]$/.test(word)) {
    for (const suffix of ['cito', 'cita', 'citos', 'citas', 'ito', 'ita', 'itos', 'itas']) into.add(word + suffix);
  } else if (/[^aeious]$/.test(word)) {
    for (const suffix of ['ito', 'ita', 'itos', 'itas']) into.add(word + suffix);
  }
}

/** Singular and plural of one word, guessing which one it is. */
function numberForms(word: string): { singulars: string[]; all: string[] } {
  const singulars: string[] = [];
  const all = new Set<string>([word]);
  if (word.endsWith('s') && word.length > 3) {
    // Looks plural: "aros"→"aro", "jeans"→"jean", "pantalones"→"pantalon", "aretes"→"arete".
    const minusS = word.slice(0, -1);
    singulars.push(minusS);
    all.add(minusS);
    if (word.endsWith('es') && word.length > 4 && !VOWEL_END.test(word.slice(0, -2))) {
      const minusEs = word.slice(0, -2);
      singulars.push(minusEs);
      all.add(minusEs);
    }
    if (word.endsWith('ces')) {
      const z = `${word.slice(0, -3)}z`;
      singulars.push(z);
      all.add(z);
    }
  } else {
    singulars.push(word);
    if (VOWEL_END.test(word)) all.add(`${word}s`);
    else if (word.endsWith('z')) all.add(`${word.slice(0, -1)}ces`);
    else {
      all.add(`${word}es`);
      all.add(`${word}s`); // anglicisms: "short"→"shorts", "top"→"tops"
    }
  }
  return { singulars, all: [...all] };
}

/** Forms of a product noun: singular/plural and diminutives ("polera"→"poleras","polerita","poleritas"). */
export function nounForms(word: string): string[] {
  const { singulars, all } = numberForms(word);
  const out = new Set(all);
  for (const s of singulars) addDiminutives(s, out);
  return [...out];
}

/** Forms of a colour adjective: both genders, plural, diminutives ("roja"→"rojo","rojas","rojitos"...). */
export function colourForms(word: string): string[] {
  const genders = new Set<string>([word]);
  if (word.endsWith('o')) genders.add(`${word.slice(0, -1)}a`);
  if (word.endsWith('a')) genders.add(`${word.slice(0, -1)}o`);
  const out = new Set<string>();
  for (const g of genders) {
    out.add(g);
    if (VOWEL_END.test(g)) out.add(`${g}s`);
    else if (g.endsWith('z')) out.add(`${g.slice(0, -1)}ces`);
    else out.add(`${g}es`);
    addDiminutives(g, out);
    if (/[ao]$/.test(g)) {
      const stem = diminutiveStem(g);
      out.add(`${stem}ito`);
    }
  }
  return [...out];
}

/**
 * Forms of a multi-word phrase: the head (first) word inflected, the rest kept; plus every word
 * inflected together for two-word noun+adjective phrases ("zapato deportivo"↔"zapatos deportivos").
 */
export function phraseForms(phrase: string, inflect: (word: string) => string[]): string[] {
  // Catalogs repeat the same words ("negra" in every product): memoise per inflection kind.
  let memo = MEMO.get(inflect);
  if (!memo) {
    memo = new Map();
    MEMO.set(inflect, memo);
  }
  const cached = memo.get(phrase);
  if (cached) return cached;
  const forms = computePhraseForms(phrase, inflect);
  if (memo.size < 50_000) memo.set(phrase, forms);
  return forms;
}

const MEMO = new Map<(word: string) => string[], Map<string, string[]>>();

function computePhraseForms(phrase: string, inflect: (word: string) => string[]): string[] {
  const words = phrase.split(' ').filter((w) => w.length > 0);
  const head = words[0];
  if (head === undefined) return [];
  const rest = words.slice(1).join(' ');
  const out = new Set<string>();
  for (const f of inflect(head)) out.add(rest ? `${f} ${rest}` : f);
  if (words.length === 2) {
    const second = words[1] ?? '';
    const plural = (w: string): string => (VOWEL_END.test(w) ? `${w}s` : `${w}es`);
    if (!head.endsWith('s') && !second.endsWith('s')) out.add(`${plural(head)} ${plural(second)}`);
    if (head.endsWith('s') && second.endsWith('s')) out.add(`${head.slice(0, -1)} ${second.slice(0, -1)}`);
  }
  return [...out];
}
