/**
 * The words intent cues are written in, and the repair of their common misspellings
 * ("kiero"→"quiero", "yevo"→"llevo", "xfa"→"porfa", "q"→"que") before cue patterns run.
 */
import { COMMON_WORDS, FILLER_WORDS, POLITE_WORDS, THIRD_PARTIES } from './spanish-lexicon.js';
import { phoneticKey, squeeze } from './spanish-text.js';

/** Words that carry intent (all normalised). */
export const INTENT_WORDS: ReadonlySet<string> = new Set(
  (
    // purchase
    'quiero quisiera quiere quieren necesito necesita ocupo llevo lleva llevan llevaria llevare mia mio mias mios ' +
    'aparto apartado apartada apartados apartadas separo separado separada separados separadas reservo reservado ' +
    'reservada reservados reservadas vendido vendida vendidos vendidas sold compro comprado comprada pido anoto anotado ' +
    'anotada apunto sumo quedo aparta apartame apartamela apartamelo apartala apartalo separa separame separamela ' +
    'separamelo separala separalo reserva reservame reservamela reservala guardame guardamela guardala anota anotame ' +
    'anotamela apuntame agregame sumame incluyeme dame damela damelo deme demela ponme ponmela mandame mandamela ' +
    'enviame enviamela regalame regaleme regalamela vendeme vendemela apartas separas reservas guardas anotas apuntas ' +
    'agregas sumas vendes das regalas pones envias mandas traes interesa interesan encargo comprar llevar apartar ' +
    'separar reservar pedir ' +
    // cancel
    'cancelo cancela cancelar cancelado cancelada cancelen cancelame cancelacion anulo anula anular anulado anulada ' +
    'anulen anulame arrepenti arrepiento arrepentida arrepentido borra borrame borren elimina eliminame eliminen ' +
    'quitame sacame desisto olvidalo olvidala olvida olviden libero libera liberala liberalo liberen dejo suelto ' +
    'devuelvo ' +
    // question
    'cuanto cuanta cuantos cuantas precio precios valor costo cuesta cuestan envio envios envian envias enviar ' +
    'despacho despachos despachan despachas delivery shipping aceptan acepta aceptas reciben recibes recomiendas ' +
    'recomiendan recomienda medidas mide miden material tela info informacion link inbox interno catalogo ' +
    'disponible disponibles stock agotado agotada agotados agotadas tienen tienes tenes hay viene vienen queda ' +
    'quedan donde cuando cual cuales como puedo pueden podria podrias horario direccion ubicacion retiro entrega ' +
    'entregas entregan contraentrega cuotas tarjeta transferencia efectivo yape plin nequi daviplata garantia ' +
    'pregunta consulta duda sirve tallas talla talle horma calce ' +
    // other
    'hola holi holis ola buenas buenos saludos bendiciones gracias chao chau bye adios besos abrazos linda lindo ' +
    'lindas lindos hermosa hermoso hermosas hermosos precioso preciosa preciosos preciosas bella bello bellas bellos ' +
    'bonita bonito bonitas bonitos divina divino divinas divinos regia regio espectacular increible genial top wow ' +
    'guau bacan bakan chevere padre padrisimo chula chulo chulada chimba bravo excelente buenisimo buenisima brutal ' +
    'filete encanta encantan encanto fascina amo love hermosura belleza preciosura maravilla maravillosa ' +
    'pague pagado pagada transferi transferido deposite depositado abone yapee plinee comprobante voucher ' +
    'llegue llegamos presente conectada conectado desde compartido comparti compartiendo comparto share sorteo ' +
    'participo participando escucha escuchan oye corto congelo pego cayo audio sonido volumen lag camara ' +
    'recibi llego felicidades exito exitos fan fans porfa tambien'
  ).split(' '),
);

/** Frequent misspellings, abbreviations and chat shorthand → the canonical word. */
const TYPO_MAP: ReadonlyMap<string, string> = new Map([
  ['quero', 'quiero'],
  ['kero', 'quiero'],
  ['qero', 'quiero'],
  ['quiro', 'quiero'],
  ['kiro', 'quiero'],
  ['qiero', 'quiero'],
  ['quieo', 'quiero'],
  ['qiuero', 'quiero'],
  ['queiro', 'quiero'],
  ['quieor', 'quiero'],
  ['kiere', 'quiere'],
  ['qiere', 'quiere'],
  ['q', 'que'],
  ['k', 'que'],
  ['ke', 'que'],
  ['xq', 'porque'],
  ['pq', 'porque'],
  ['porq', 'porque'],
  ['tb', 'tambien'],
  ['tmb', 'tambien'],
  ['tbm', 'tambien'],
  ['tmbn', 'tambien'],
  ['tambn', 'tambien'],
  ['xfa', 'porfa'],
  ['xfis', 'porfa'],
  ['xf', 'porfa'],
  ['porfis', 'porfa'],
  ['porfi', 'porfa'],
  ['porfas', 'porfa'],
  ['porfavor', 'porfa'],
  ['plis', 'porfa'],
  ['pliss', 'porfa'],
  ['pls', 'porfa'],
  ['plz', 'porfa'],
  ['please', 'porfa'],
  ['pa', 'para'],
  ['pal', 'para'],
  ['d', 'de'],
  ['dnd', 'donde'],
  ['cdo', 'cuando'],
  ['cnt', 'cuanto'],
  ['cuant', 'cuanto'],
  ['cuato', 'cuanto'],
  ['cuamto', 'cuanto'],
  ['prec', 'precio'],
  ['presio', 'precio'],
  ['toy', 'estoy'],
  ['ta', 'esta'],
  ['mmm', 'mm'],
  ['holaa', 'hola'],
  ['ola', 'hola'],
  ['wenas', 'buenas'],
  ['wena', 'buenas'],
  ['weno', 'bueno'],
  ['grax', 'gracias'],
  ['grasias', 'gracias'],
  ['msj', 'mensaje'],
  ['info', 'info'],
]);

/** Intent words by phonetic key, for misspellings the explicit map does not list ("kisiera", "yevo", "kuanto"). */
const PHONETIC_CANON = new Map<string, string | null>();
for (const w of INTENT_WORDS) {
  const key = phoneticKey(w);
  const prior = PHONETIC_CANON.get(key);
  if (prior === undefined) PHONETIC_CANON.set(key, w);
  else if (prior !== w) PHONETIC_CANON.set(key, null); // ambiguous key: never guess
}

const KNOWN: ReadonlySet<string> = new Set([
  ...COMMON_WORDS,
  ...FILLER_WORDS,
  ...INTENT_WORDS,
  ...POLITE_WORDS,
  ...THIRD_PARTIES,
  ...TYPO_MAP.keys(),
]);

/** A word the classifier has vocabulary for (not a candidate for catalog typo matching). */
export function isKnownWord(norm: string): boolean {
  return KNOWN.has(norm);
}

/** The canonical spelling of an intent-bearing word; other words come back unchanged. */
export function canonicalWord(norm: string): string {
  const mapped = TYPO_MAP.get(norm);
  if (mapped !== undefined) return mapped;
  if (KNOWN.has(norm)) return norm;
  const squeezed = squeeze(norm); // "yoo", "miaa", "quieroo"
  if (squeezed !== norm && (KNOWN.has(squeezed) || TYPO_MAP.has(squeezed))) return TYPO_MAP.get(squeezed) ?? squeezed;
  if (norm.length < 4) return norm;
  const viaSound = PHONETIC_CANON.get(phoneticKey(norm));
  return viaSound ?? norm;
}
