/**
 * Intent cues: the phrases that make a comment a purchase claim, a question, a cancellation or
 * chatter. Patterns run per clause over a canonical text in which typos are repaired and catalog
 * mentions are replaced by placeholders (_col_, _siz_, _prd_, _qty_, _num_, _noun_; _amt_ for a price,
 * time or date), so
 * "me la llevo en blanco" and "me la llevo en rosado" are the same pattern. All regexes are
 * compiled once at module load.
 */
import type { Intent } from './intent-types.js';

/** How much a cue alone should be trusted. */
export type CueStrength = 'strong' | 'medium' | 'weak';

/** One cue found in one clause. */
export interface Cue {
  name: string;
  intent: Intent;
  strength: CueStrength;
  /** Requests to the seller ("apártame", "me la separas?") stay purchases even when phrased as questions. */
  request: boolean;
  clause: number;
  negated: boolean;
  /** "ya no ..." — a negation that undoes an earlier claim. */
  undo: boolean;
}

/** A clause of the comment (split at . , ; : ! ? ¿ and "pero"). */
export interface Clause {
  /** Canonical text with one space around every unit, e.g. " la quiero ". */
  text: string;
  interrogative: boolean;
  /** Token range in the matcher's token list. */
  start: number;
  end: number;
}

interface CueSpec {
  name: string;
  intent: Intent;
  strength: CueStrength;
  re: RegExp;
  request?: boolean;
  /** Cues of a purchase verb can be negated ("no la quiero" is a cancellation). */
  negatable?: boolean;
  /** Claim words ("vendida", "apartado") asked as a question are questions ("¿vendida?"). */
  claimWord?: boolean;
  /** Counts only in a clause asked as a question. */
  onlyAsked?: boolean;
}

const W = String.raw`(?<![\w])`; // word start (placeholders contain "_", a word character)
const E = String.raw`(?![\w])`; // word end

const re = (source: string): RegExp => new RegExp(source, 'g');

const WANT_EXCLUSIONS =
  'saber|preguntar|consultar|ver|verla|verlo|verlas|verlos|info|informacion|pagar|hablar|decir|comentar|cancelar|anular|' +
  'devolver|cambiar|que|el precio|precio|mas info|foto|fotos|video|una foto|un video|participar|ganar|agradecer|' +
  'felicitar|saludar|unirme|entrar|ser|mostrarte|mostrarles|_tag_';

/** Enclitic pronouns glued to an infinitive ("llevar*me*", "comprar*la*", "apartár*mela*"). */
const ENCLITIC = '(?:me|te|se|nos)?(?:la|lo|las|los|le|les)?';
/** Infinitives that mean acquiring the item: "quiero comprarla", "quisiera apartar la negra". */
const BUYING_INFINITIVE =
  `(?:comprar|llevar|apartar|pedir|encargar|separar|reservar|quedar|ordenar|adquirir|agarrar)${ENCLITIC}`;
/** Everyday nouns and adjectives that end like an infinitive ("quiero collar dorado", "un color ámbar"). */
const NOT_INFINITIVE =
  'collar|collares|celular|familiar|lunar|lunares|mujer|taller|ambar|azucar|hogar|lugar|polar|solar|escolar|' +
  'similar|regular|particular|popular|militar|sueter|bazar|dolar|super';
/**
 * "quiero llorar", "quiero ver", "quiero ir", "necesito saber": a wish about something else than
 * the item. Any infinitive (-ar/-er/-ir, with enclitics) that is not a buying verb; catalog words
 * are placeholders by now, so "quiero collar" is not mistaken for a verb.
 */
const NON_BUYING_INFINITIVE =
  `(?!(?:${BUYING_INFINITIVE}|${NOT_INFINITIVE})${E})(?:[a-z]{2,}(?:ar|er|ir)|ir|ver|ser|dar|oir)${ENCLITIC}${E}`;

const PURCHASE: CueSpec[] = [
  {
    name: 'quiero',
    intent: 'purchase',
    strength: 'strong',
    negatable: true,
    // Not "te quiero (mucho)": love for the seller, unless a buying verb follows ("te quiero comprar...").
    re: re(
      `(?:(?<!(?:^| )te )${W}(?:quiero|quisiera)${E}(?! (?:${WANT_EXCLUSIONS})${E})(?! ${NON_BUYING_INFINITIVE})` +
        `|${W}te (?:quiero|quisiera)(?= ${BUYING_INFINITIVE}${E}))`,
    ),
  },
  {
    name: 'necesito',
    intent: 'purchase',
    strength: 'medium',
    negatable: true,
    re: re(
      `${W}(?:necesito|ocupo)${E}(?! (?:saber|preguntar|info|informacion|ayuda|que|el precio|precio|consultar)${E})` +
        `(?! ${NON_BUYING_INFINITIVE})`,
    ),
  },
  {
    name: 'me-la-llevo',
    intent: 'purchase',
    strength: 'strong',
    negatable: true,
    re: re(
      `${W}(?:me )?(?:(?:la|lo|las|los) )?(?:re )?(?:llevo|llevaria|llevare)${E}` +
        `(?! (?:horas|rato|tiempo|mucho|media|dias|semanas|esperando|viendo|mirando|_amt_|(?:_qty_|_siz_|_prd_|_num_) (?:horas|dias|minutos|semanas|anos|meses)))` +
        // "llevo 3 pares comprados": what the viewer has bought so far.
        `(?!(?: \\S+){0,3} (?:comprad|pedid|gastad)[oa]s?${E})`,
    ),
  },
  {
    name: 'mia',
    intent: 'purchase',
    strength: 'strong',
    negatable: true,
    // Not "la mía llegó rota" (my earlier order), not "dios mío".
    re: re(
      // Not "cancela lo mío" (my order), not "me llegaron las mías" / "ya tengo la mía" (what the viewer has).
      `(?<!(?:dios|amor|cielo|vida|corazon|lo) )(?<!(?:llego|llegaron|recibi|tengo|compre|usa|uso) (?:la|el|las|los) )` +
        `${W}(?:mia|mio|mias|mios)${E}` +
        `(?! (?:llego|llegaron|salio|vino|vinieron|estaba|era|fue|tenia|quedo|se|no|ya|todavia|aun)${E})`,
    ),
  },
  {
    name: 'claim-word',
    intent: 'purchase',
    strength: 'strong',
    negatable: true,
    claimWord: true,
    // Not "siempre compro aquí" (a habit, said as praise).
    re: re(
      `(?<!siempre )${W}(?:aparto|apartado|apartada|apartados|apartadas|separo|separado|separada|separados|separadas|reservo|` +
        `reservado|reservada|reservados|reservadas|sold|vendido|vendida|vendidos|vendidas|compro|comprado|comprada|` +
        `pido|anotado|anotada)${E}(?! (?:aqui|aca|aki|siempre|con ustedes)${E})`,
    ),
  },
  {
    name: 'me-anoto',
    intent: 'purchase',
    strength: 'strong',
    negatable: true,
    re: re(`${W}me (?:anoto|apunto|sumo|quedo con|(?:la|lo|las|los) quedo)${E}`),
  },
  {
    name: 'me-la-separas',
    intent: 'purchase',
    strength: 'strong',
    request: true,
    re: re(
      `${W}me (?:(?:la|lo|las|los) )?(?:apartas|separas|reservas|guardas|anotas|apuntas|agregas|sumas|vendes|das|regalas|` +
        `pones|envias|mandas|traes|dejas|aparta|separa|reserva|guarda|anota|regala|manda|envia|vende|apartarias|` +
        `apartan|separan|reservan|guardan|anotan|apuntan|agregan|venden|dan|regalan|ponen|envian|mandan|` +
        `separarias|guardarias|reservarias|(?:podrias|puedes|puede|podria|pueden) (?:apartar|separar|guardar|reservar|anotar)` +
        `(?:la|lo|las|los)?)${E}`,
    ),
  },
  {
    name: 'apartame',
    intent: 'purchase',
    strength: 'strong',
    request: true,
    re: re(
      `(?<!(?:se|la|una|mi|de|tu|su|hacen|haces|hay) )${W}(?:(?:apart|separ|reserv|guard|anot|apunt|agreg|sum|inclu|regal|vend)` +
        `(?:a|e|en)(?:me|mel[ao]s?|l[ao]s?|nos)|aparta|separa|reserva|anota|incluyeme|` +
        `(?:da|de|den|pon|ponga|pongan|manda|mande|manden|envia|envie|envien|trae|traiga|traigan)(?:me|mel[ao]s?))${E}`,
    ),
  },
  {
    name: 'que-me-la-guardes',
    intent: 'purchase',
    strength: 'strong',
    request: true,
    re: re(
      `${W}que me (?:(?:la|lo|las|los) )?(?:guardes|apartes|separes|reserves|mandes|envies|anotes|guarden|aparten|separen|` +
        `reserven|manden|envien|anoten)${E}`,
    ),
  },
  {
    name: 'es-para-mi',
    intent: 'purchase',
    strength: 'strong',
    negatable: true,
    re: re(`${W}(?:es|son|seria|serian) para (?:mi|mi \\S+)(?: porfa)? ?$`),
  },
  {
    name: 'third-party',
    intent: 'purchase',
    strength: 'strong',
    negatable: true,
    re: re(
      `${W}(?:mi|mis) \\S+(?: \\S+)? (?:tambien )?(?:ya )?(?:(?:la|lo|las|los) |se (?:la|lo|las|los) )?` +
        `(?:quiere|quieren|quisiera|lleva|llevan|necesita|pidio|encargo|encarga)${E}(?! ${NON_BUYING_INFINITIVE})`,
    ),
  },
  {
    name: 'third-party-pronoun',
    intent: 'purchase',
    strength: 'medium',
    negatable: true,
    re: re(`${W}(?:ella|ellas) (?:tambien )?(?:(?:la|lo|las|los) )?(?:quiere|quieren)${E}(?! ${NON_BUYING_INFINITIVE})`),
  },
  {
    name: 'voy-a-llevar',
    intent: 'purchase',
    strength: 'strong',
    negatable: true,
    re: re(
      `${W}(?:(?:me )?(?:la|lo|las|los) )?(?:voy a|vamos a) (?:llevar|comprar|apartar|separar|pedir|quedar)(?:me)?(?:la|lo|las|los)?${E}`,
    ),
  },
  {
    name: 'me-interesa',
    intent: 'purchase',
    strength: 'medium',
    negatable: true,
    re: re(`${W}me interesan?${E}`),
  },
];

const CANCEL: CueSpec[] = [
  { name: 'cancelo', intent: 'cancel', strength: 'strong', re: re(`${W}(?:cancel|anul)[a-z]*${E}`) },
  { name: 'me-arrepenti', intent: 'cancel', strength: 'strong', re: re(`${W}(?:arrepent|arrepient)[a-z]*${E}`) },
  {
    name: 'borrame',
    intent: 'cancel',
    strength: 'strong',
    re: re(
      `${W}(?:borra|borrame|borrala|borralo|borren|elimina|eliminame|eliminala|eliminalo|eliminen|quitame|quitamela|` +
        `quitamelo|sacame|sacamela|sacamelo|bajame|bajenme|quitenme|sacenme)${E}`,
    ),
  },
  { name: 'desisto', intent: 'cancel', strength: 'strong', re: re(`${W}desist[a-z]*${E}`) },
  {
    name: 'ya-no',
    intent: 'cancel',
    strength: 'strong',
    re: re(
      `${W}ya no${E}(?! (?:hay|se|queda|quedan|tienen|tengo|tiene|alcanzo|alcance|llego|llega|aparece|sale|veo|es|son|estan|esta|` +
        `me (?:llega|sale|aparece|deja|carga)|carga|puedo ver|funciona))`,
    ),
  },
  {
    name: 'mejor-no',
    intent: 'cancel',
    strength: 'medium',
    re: re(`${W}(?:mejor no|olvidalo|olvidala|olvidenlo|olvidenla|ya fue|no va)${E}`),
  },
  {
    name: 'libero',
    intent: 'cancel',
    strength: 'medium',
    re: re(`${W}(?:libero|liberala|liberalo|liberen|libera|liberar|liberenla|suelto)${E}`),
  },
  {
    name: 'la-dejo',
    intent: 'cancel',
    strength: 'medium',
    re: re(`${W}(?:(?:la|lo|las|los) dejo|dejala|dejalo|dejalas|dejalos)${E}(?! (?:asi|ahi|para))`),
  },
  {
    name: 'no-puedo-pagar',
    intent: 'cancel',
    strength: 'weak',
    re: re(`${W}no (?:(?:la|lo|las|los|me) )?(?:puedo|podre|voy a poder) (?:pagar|comprar|llevar)[a-z]*${E}`),
  },
  {
    name: 'no-me-la-separes',
    intent: 'cancel',
    strength: 'strong',
    re: re(
      `${W}no me (?:(?:la|lo|las|los) )?(?:apartes|separes|reserves|guardes|anotes|mandes|envies|aparten|separen|reserven|` +
        `guarden|anoten|manden|envien|aparte|separe|reserve|guarde|anote)${E}`,
    ),
  },
];

const QUESTION: CueSpec[] = [
  {
    // "¿es de cuero?", "son de algodón?": asked about; said ("son de abuelo jaja") it is an opinion.
    name: 'made-of',
    intent: 'question',
    strength: 'medium',
    onlyAsked: true,
    re: re(`${W}(?:es|son) de \\S+`),
  },
  {
    name: 'interrogative',
    intent: 'question',
    strength: 'strong',
    re: re(`${W}(?:cuanto|cuanta|cuantos|cuantas|donde|cual|cuales|cuando)${E}`),
  },
  { name: 'price', intent: 'question', strength: 'strong', re: re(`${W}(?:precio|precios|valor|costo|cuesta|cuestan)${E}|\\$`) },
  {
    name: 'shipping',
    intent: 'question',
    strength: 'strong',
    re: re(
      `${W}(?:envio|envios|envian|envias|enviar|despacho|despachos|despachan|despachas|delivery|shipping|contraentrega|` +
        `retiro en|retirar|entregas|entregan|hacen entregas|llega a|llegan a|mandan a|envian a|tienda fisica)${E}`,
    ),
  },
  {
    name: 'payment-method',
    intent: 'question',
    strength: 'medium',
    re: re(
      `${W}(?:aceptan|acepta|aceptas|reciben|recibes|tarjeta|transferencia|efectivo|yape|plin|nequi|daviplata|` +
        `mercado pago|mercadopago|paypal|cuotas|formas? de pago|medios? de pago|metodos? de pago)${E}`,
    ),
  },
  {
    name: 'product-info',
    intent: 'question',
    strength: 'medium',
    re: re(
      `${W}(?:medidas|mide|miden|material|de que (?:es|material|tela)|talla me|me recomiendas|` +
        `recomiendas|recomiendan|recomienda|horma|calce|tallan|talla (?:grande|chica|normal|real)|viene con|` +
        `incluye|garantia|original|originales|estira|transparenta|sirve|sirven|que talla|que tallas|que colores|` +
        `que color|que numero|colores hay|tallas hay|hay tallas|hay colores)${E}`,
    ),
  },
  {
    name: 'availability',
    intent: 'question',
    strength: 'medium',
    re: re(
      `^ (?:(?:y|pero|oye|amiga|hola|_col_|_prd_|_siz_|_qty_|la|el|los|las|lo|en|todavia|aun|ya|no) )*` +
        `(?:hay|tienen|tienes|tenes|tiene|tendras|tendran|tendra|viene|vienen|existe|manejan|manejas|traen|trae|habra)${E}` +
        `|${W}(?:disponible|disponibles|stock|agotado|agotada|agotados|agotadas)${E}` +
        `|(?<!(?:te|me|le|les|se|nos) )${W}(?:queda|quedan)(?= (?:en|_siz_|_col_|_prd_|talla|stock|disponible|alguna|alguno|algun|mas|todavia|aun|_qty_)${E}| ?$)`,
    ),
  },
  {
    name: 'info',
    intent: 'question',
    strength: 'medium',
    re: re(`${W}(?:info|informacion|link|inbox|interno|catalogo|detalles|pregunta|consulta|duda)${E}`),
  },
  {
    name: 'can-i',
    intent: 'question',
    strength: 'medium',
    re: re(
      `^ (?:\\S+ ){0,2}(?:puedo|pueden|puedes|podria|podrias|se puede|se pueden|hay que|tengo que)${E}` +
        `|${W}como (?:pago|compro|aparto|separo|reservo|pido|hago|hacemos|funciona|se|le hago|puedo)${E}`,
    ),
  },
  {
    // "quiero saber si hay en negro", "necesito preguntar algo": a question announced, with or without "?".
    name: 'want-to-know',
    intent: 'question',
    strength: 'medium',
    re: re(
      `${W}(?:quiero|quisiera|necesito|ocupo|me gustaria|queria) (?:saber|preguntar|consultar|averiguar)${E}`,
    ),
  },
  {
    name: 'timing',
    intent: 'question',
    strength: 'medium',
    re: re(`${W}(?:demora|demoran|tarda|tardan|hasta que hora|a que hora|horario)${E}`),
  },
];

/** Chatter categories; they explain a comment without a claim and raise confidence in "other". */
const OTHER: CueSpec[] = [
  {
    name: 'greeting',
    intent: 'other',
    strength: 'strong',
    re: re(
      `${W}(?:hola|holi|holis|buenas|buenos dias|buen dia|buenas tardes|buenas noches|saludos|saludo|bendiciones|` +
        `hello|hi|hey|que tal|que onda|alo|_wave_)${E}`,
    ),
  },
  {
    name: 'thanks-bye',
    intent: 'other',
    strength: 'strong',
    re: re(
      `${W}(?:gracias|chao|chau|bye|adios|nos vemos|hasta luego|hasta la proxima|besos|besitos|abrazos|exito|exitos|` +
        `felicidades|felicitaciones|dios (?:te|les|la) bendiga)${E}`,
    ),
  },
  { name: 'laughter', intent: 'other', strength: 'strong', re: re(`${W}(?:_lol_|_laugh_)${E}`) },
  {
    name: 'praise',
    intent: 'other',
    strength: 'strong',
    re: re(
      `${W}(?:lind[oa]s?|lindisim[oa]s?|hermos[oa]s?|hermosisim[oa]s?|precios[oa]s?|preciosisim[oa]s?|bell[oa]s?|` +
        `bellisim[oa]s?|bonit[oa]s?|divin[oa]s?|regi[oa]s?|espectacular(?:es)?|increible|genial(?:es)?|top|wow|guau|` +
        `bacan|bakan|chevere|padre|padrisim[oa]s?|chul[oa]s?|chulada|chimba|bravo|excelente|buenisim[oa]s?|brutal|` +
        `filete|me encantan?|me encanto|me fascina|amo|love|hermosura|belleza|preciosura|maravill(?:a|osa|oso)|` +
        `te queda|le queda|les queda|se ven?|que bonit[oa]|fachera|fachero|cute|perfect[oa]|elegante|de lujo|idola|` +
        `crack|diosa|mostra|genia|me gustan?|me gusto|me encantaron|encantad[oa]s?|recomendad[oa]s?|recomendadisim[oa]s?|` +
        `recomiendo|comodisim[oa]s?|_love_)${E}`,
    ),
  },
  {
    // "qué buen precio", "precio regalado", "qué precio tan bueno": praise, not a price question.
    name: 'price-praise',
    intent: 'other',
    strength: 'strong',
    re: re(
      `${W}(?:(?:que )?(?:buen|excelente|super|lindo|mejor) precio|precio regalado|precios? (?:baratos?|bajos?|buenos?)|` +
        `que \\S+ tan (?:buen[oa]s?|lind[oa]s?|bonit[oa]s?|barat[oa]s?))${E}`,
    ),
  },
  {
    name: 'presence',
    intent: 'other',
    strength: 'strong',
    re: re(
      `${W}(?:llegue|llegamos|aqui estoy|aca estoy|presente|conectad[oa]s?|desde|viendo|mirando|temprano|tarde|` +
        `llegando|recien)${E}`,
    ),
  },
  {
    name: 'stream',
    intent: 'other',
    strength: 'strong',
    re: re(
      `${W}(?:no se (?:escucha|oye|ve)|se (?:corto|congelo|pego|cayo|trabo|traba|escucha mal|ve mal|escucha bajo)|` +
        `audio|sonido|volumen|lag|camara|internet|no carga|pantalla negra)${E}`,
    ),
  },
  {
    name: 'share',
    intent: 'other',
    strength: 'strong',
    re: re(
      `${W}(?:comparti|compartido|compartida|compartiendo|comparto|compartir|share|like|likes|siganme|sigueme|` +
        `seguidores|seguidora|sorteo|participo|participando|etiqueto|_tag_|_url_)${E}`,
    ),
  },
  {
    name: 'paid',
    intent: 'other',
    strength: 'strong',
    re: re(
      `${W}(?:pague|pagado|pagada|transferi|transferido|transferida|deposite|depositado|abone|yapee|plinee|consigne|` +
        `consignado|consignada|` +
        `hice (?:la|el) (?:transferencia|pago|deposito)|comprobante|voucher|captura del pago|` +
        `ya te (?:pague|transferi|deposite|mande|envie))${E}`,
    ),
  },
  {
    name: 'delivered',
    intent: 'other',
    strength: 'strong',
    re: re(
      `${W}(?:me llego|ya me llego|llego mi|llegaron mis|me llegaron|llegaron (?:las|los) (?:mias|mios)|recibi|ya recibi|` +
        `gracias por (?:el|la|mi|los|las))${E}`,
    ),
  },
  {
    name: 'already-have',
    intent: 'other',
    strength: 'medium',
    re: re(`${W}(?:ya )?(?:tengo|compre|me compre) (?:la|el|las|los|una|un|unas|unos|_col_|_prd_)${E}`),
  },
  {
    name: 'compare',
    intent: 'other',
    strength: 'medium',
    re: re(`${W}(?:(?:mas|menos) \\S+ que|mejor que|peor que|prefiero)${E}`),
  },
];

const ALL_SPECS: readonly CueSpec[] = [...PURCHASE, ...CANCEL, ...QUESTION, ...OTHER];

const NEGATION_BEFORE = new RegExp(
  String.raw`(?:^| )(ya )?(?:no|nunca|tampoco|ni)(?: (?:me|te|se|la|lo|las|los|le|les|re|yo|tambien|_prd_|_col_|_siz_|_qty_|mas|voy a|vamos a|mi \S+))*\s*$`,
);
/** Words that turn a question clause into a question about the process ("¿cómo aparto?", "¿puedo cancelar?"). */
const PROCESS_QUESTION = /(?:^| )(?:como|donde|cuando|puedo|se puede|pueden|hay que|tengo que|hasta cuando|cuanto)(?= |$)/;
/** Requests for information rather than for the item ("mándame el link", "me das el precio"). */
const INFO_OBJECT =
  /(?:^| )(?:precio|precios|link|info|informacion|datos|foto|fotos|video|cuenta|numero|cbu|alias|ubicacion|direccion|detalles|medidas|catalogo|valor|menos|barato|barata|descuento|rebaja|oferta)(?= |$)/;
const SLOT = /_(?:col|siz|prd|qty)_/;

/** Finds the cues of every clause, with negation and question context applied. */
export function detectCues(clauses: readonly Clause[]): Cue[] {
  const cues: Cue[] = [];
  clauses.forEach((clause, clauseIndex) => {
    const text = clause.text;
    for (const spec of ALL_SPECS) {
      if (spec.onlyAsked && !clause.interrogative) continue;
      spec.re.lastIndex = 0;
      for (const m of text.matchAll(spec.re)) {
        const before = text.slice(0, m.index);
        const negation = spec.negatable ? NEGATION_BEFORE.exec(before) : null;
        let intent = spec.intent;
        let strength = spec.strength;
        const negated = negation !== null;
        const undo = negation?.[1] !== undefined;
        if (negated) {
          // "no la quiero", "ya no me la llevo": undoing a claim.
          intent = 'cancel';
          strength = undo ? 'strong' : 'medium';
        } else if (spec.intent === 'purchase' && clause.interrogative) {
          if (spec.claimWord || PROCESS_QUESTION.test(text)) continue; // "¿vendida?", "¿cómo aparto?"
          if (!spec.request) strength = 'medium'; // "¿me la llevo?"
        } else if (spec.intent === 'cancel' && clause.interrogative && PROCESS_QUESTION.test(text)) {
          continue; // "¿puedo cancelar?"
        }
        if (spec.request && INFO_OBJECT.test(text) && !SLOT.test(text)) continue; // "mándame el link", "¿me la das a menos?"
        cues.push({
          name: negated ? `no-${spec.name}` : spec.name,
          intent,
          strength,
          request: spec.request ?? false,
          clause: clauseIndex,
          negated,
          undo,
        });
      }
    }
  });
  // A price praised is not a price asked, unless the clause is a question.
  return cues.filter(
    (c) =>
      !(c.name === 'price' && !clauses[c.clause]?.interrogative && cues.some((o) => o.name === 'price-praise' && o.clause === c.clause)),
  );
}

/** What a claim is conditional on: stock ("si hay en 40 me lo llevo") or a deal / anything else ("si me hacen descuento…"). */
export type ClaimCondition = 'availability' | 'deal' | null;

const IF_CLAUSE = /(?:^| )si((?: (?:me|te|se|le|les|nos|lo|la|los|las))*) (\S+)((?: \S+)*)/;
/** "si hay", "si tienes", "si todavía queda": the condition is stock. */
const AVAILABILITY_WORDS = new Set([
  'hay', 'tienes', 'tienen', 'tenes', 'tiene', 'tendras', 'tendran', 'queda', 'quedan', 'sigue', 'siguen', 'viene',
  'vienen', 'existe', 'hubiera', 'hubiese', 'manejan', 'manejas', 'esta', 'estan', 'todavia', 'aun', 'alcanza', 'alcanzan',
]);
/** A condition about the deal, not the stock: "si hay descuento", "si me lo dejan en 800". */
const DEAL_WORDS =
  /(?:^| )(?:descuento|descuentos|rebaja|rebajas|rebajan|promo|promocion|oferta|regalo|gratis|precio|cuotas|menos|barato|_amt_|envio|dejas|dejan|deja|dejarias)(?= |$)/;
/** Verbs of a condition that is not about stock: "si me hacen…", "si pago…", "si llevo 2…", "si me queda…". */
const CONDITION_VERBS = new Set([
  'hacen', 'haces', 'hace', 'hacemos', 'dejas', 'dejan', 'deja', 'das', 'dan', 'da', 'rebajas', 'rebajan', 'bajas',
  'bajan', 'pago', 'pagamos', 'pagas', 'llevo', 'llevamos', 'compro', 'compramos', 'cobras', 'cobran', 'mandas', 'mandan',
  'envias', 'envian', 'llega', 'llegan', 'sale', 'salen', 'cuesta', 'cuestan', 'es', 'son', 'queda', 'quedan', 'alcanza',
  'alcanzo', 'aceptan', 'acepta', 'aceptas', 'tengo', 'consigo', 'junto', 'cobro', 'puedo', 'puedes', 'pueden', 'incluye',
  'incluyen', 'vale', 'valen', 'regalan', 'regalas', 'sirve', 'sirven', 'gusta', 'convence', 'ganas', 'gano', 'hay',
]);

/**
 * The condition a claim depends on, if any. "si hay en 40 me lo llevo", "si tienes el coral me lo apartas":
 * availability — a purchase of that variant (the order step reserves it or waitlists the buyer). "si me hacen
 * descuento me llevo dos", "si pago en efectivo…", "si me queda…": anything else — a question, not an order.
 * "sí, la quiero" / "si mía" (yes) is no condition.
 */
export function claimCondition(clauses: readonly Clause[]): ClaimCondition {
  let found: ClaimCondition = null;
  for (const clause of clauses) {
    const m = IF_CLAUSE.exec(clause.text.trimEnd());
    if (!m) continue;
    const pronouns = (m[1] ?? '').trim();
    const word = m[2] ?? '';
    const rest = m[3] ?? '';
    if (word === 'no') continue; // "si no hay, la azul": an alternative, judged elsewhere
    const deal = DEAL_WORDS.test(` ${word}${rest} `);
    // "si me queda" is about fit; "si queda" / "si te queda" (in stock) is stock.
    const fit = (word === 'queda' || word === 'quedan') && pronouns.split(' ').includes('me');
    if (AVAILABILITY_WORDS.has(word) && !deal && !fit) {
      found = found ?? 'availability';
    } else if (CONDITION_VERBS.has(word) || deal || fit) {
      return 'deal';
    }
  }
  return found;
}
