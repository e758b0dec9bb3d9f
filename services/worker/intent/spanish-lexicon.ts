/**
 * General Spanish live-commerce vocabulary, independent of any catalog.
 *
 * The classifier must work with catalogs it has never seen, so everything here is language
 * knowledge, not product data: regional synonyms of garment names ("polera"/"remera"/"playera"),
 * colour synonyms ("café"/"marrón", "gris"/"plomo"), spelled-out sizes ("eme", "equis ele"), and the
 * filler words that surround a claim ("porfa", "amiga", "po"). A catalog entry is matched through
 * these groups only when the group points at exactly one product/value of that catalog.
 * All entries are written already normalised (lowercase, no accents).
 */

/**
 * Colour synonym groups (base forms; gender/plural/diminutive forms are generated).
 * A comment colour and a catalog colour in the same group are the same colour.
 */
export const COLOUR_GROUPS: readonly (readonly string[])[] = [
  ['rojo', 'colorado', 'red'],
  ['negro', 'black'],
  ['blanco', 'white'],
  ['azul', 'blue'],
  ['azul marino', 'marino', 'navy', 'azul oscuro'],
  ['celeste', 'azul claro', 'azul cielo', 'calipso'],
  ['verde', 'green'],
  ['amarillo', 'yellow'],
  ['rosado', 'rosa', 'pink'],
  ['fucsia', 'fuxia', 'fucia', 'fiusha', 'magenta'],
  ['morado', 'violeta', 'purpura', 'purple', 'lila', 'lavanda'],
  ['cafe', 'marron', 'chocolate', 'brown'],
  ['gris', 'plomo', 'gray', 'grey'],
  ['dorado', 'oro', 'gold'],
  ['plateado', 'plata', 'silver'],
  ['naranja', 'naranjo', 'anaranjado', 'orange'],
  ['beige', 'beis', 'arena'],
  ['crema', 'marfil', 'hueso', 'crudo'],
  ['burdeo', 'burdeos', 'bordo', 'bordeaux', 'vino', 'guinda', 'granate', 'borgona'],
  ['turquesa', 'turqueza', 'aqua', 'aguamarina'],
  ['nude', 'piel'],
  ['camel'],
  ['coral'],
  ['mostaza'],
  ['terracota'],
  ['caqui', 'kaki', 'khaki'],
  ['verde oliva', 'oliva', 'verde militar', 'militar'],
  ['verde agua', 'menta', 'verde menta'],
  ['salmon'],
  ['multicolor'],
  ['estampado'],
  ['transparente'],
  ['cobre', 'cobrizo'],
  ['oro rosa', 'rose gold', 'rosado dorado'],
  ['jaspeado'],
  ['floreado'],
  ['animal print'],
];

/**
 * Words of COLOUR_GROUPS that are ordinary words too ("plata" = money, "vino" = came, "piel" = skin):
 * they count as colours only when the catalog offers them, never as an "unknown colour".
 */
export const AMBIGUOUS_COLOUR_WORDS: ReadonlySet<string> = new Set([
  'plata',
  'oro',
  'piel',
  'natural',
  'vino',
  'militar',
  'marino',
  'rosa',
  'cobre',
  'crema',
  'coral',
  'menta',
  'salmon',
  'camel',
  'arena',
  'crudo',
  'hueso',
  'chocolate',
  'red',
  'animal print',
  'estampado',
  'floreado',
  'aqua',
]);

/** A size spelling ("eme") for a canonical size ("M"). Guarded forms count only right after "talla". */
export interface SizeAlias {
  canonical: string;
  forms: readonly string[];
  /** Ordinary words too ("ese" = that, "grande" = big, "tu" = your): only after "talla/talle/size". */
  guarded: readonly string[];
}

/** Letter sizes and their spoken/written variants. */
export const SIZE_ALIASES: readonly SizeAlias[] = [
  { canonical: 'XXS', forms: ['xxs', '2xs'], guarded: [] },
  { canonical: 'XS', forms: ['xs', 'extra small', 'extra chica', 'equis ese', 'extra pequena'], guarded: [] },
  {
    canonical: 'S',
    forms: ['s', 'small'],
    guarded: ['ese', 'chica', 'chico', 'chicas', 'chicos', 'pequena', 'pequeno', 'pequenas', 'pequenos', 'peque'],
  },
  { canonical: 'M', forms: ['m', 'eme', 'mediana', 'mediano', 'medianas', 'medianos', 'medium'], guarded: ['med'] },
  { canonical: 'L', forms: ['l', 'ele', 'large'], guarded: ['grande', 'grandes'] },
  { canonical: 'XL', forms: ['xl', 'equis ele', 'extra large', 'extra grande', 'extragrande', 'extra grandes'], guarded: [] },
  { canonical: 'XXL', forms: ['xxl', '2xl', 'doble equis ele', 'doble xl', 'xx l'], guarded: [] },
  { canonical: 'XXXL', forms: ['xxxl', '3xl', 'triple equis ele', 'triple xl'], guarded: [] },
  { canonical: '4XL', forms: ['4xl', 'xxxxl'], guarded: [] },
  {
    canonical: 'UNICA',
    forms: ['unica', 'talla unica', 'unitalla', 'estandar', 'standard', 'std', 'one size', 'talla estandar'],
    guarded: ['u', 'tu', 'os', 'libre'],
  },
];

/**
 * Guarded size words that are ordinary adjectives describing size ("chica", "grande"): besides after
 * "talla", they count as a size where a size is expected — after "en" ("la quiero en chica"), right
 * after a colour or product ("la negra grande", "sudadera chica"), or closing a counted item ("una
 * grande y una mediana"). Other guarded forms ("ese", "tu", "u") stay talla-only: "en ese momento".
 */
export const DESCRIPTIVE_SIZE_WORDS: ReadonlySet<string> = new Set([
  'chica', 'chico', 'chicas', 'chicos', 'pequena', 'pequeno', 'pequenas', 'pequenos', 'grande', 'grandes',
]);

/**
 * Regional letter codes merchants use for sizes, read only from the catalog's own values: Mexico and
 * Central America sell "CH" (chica), "G" (grande), "XG" (extra grande); others "P" (pequeña).
 * A catalog value spelled this way gets the same concept as the international letter, so "chica",
 * "S", "grande" or "L" resolve to the merchant's "CH"/"G". They are never matched in comments of a
 * catalog that does not sell them ("g" or "p" alone are too ambiguous as generic words).
 */
export const REGIONAL_SIZE_CODES: ReadonlyMap<string, string> = new Map([
  ['xxch', 'XXS'],
  ['xch', 'XS'],
  ['ch', 'S'],
  ['p', 'S'],
  ['g', 'L'],
  ['xg', 'XL'],
  ['eg', 'XL'],
  ['xxg', 'XXL'],
  ['2xg', 'XXL'],
  ['xxxg', 'XXXL'],
  ['3xg', 'XXXL'],
]);

/** Words that introduce a size ("talla M", "talle 40", "calzo 38", "número 37"). */
export const SIZE_INTRODUCERS: ReadonlySet<string> = new Set([
  'talla',
  'tallas',
  'talle',
  'talles',
  'tala',
  'tlla',
  'taya',
  'size',
  'calzo',
  'calza',
  'calce',
  'numero',
  'num',
  'nro',
  'tamano',
  't',
  // "n° 38", "nº 36": a number sign before a number is a shoe/size number when the product sells it (else a code).
  'n',
  'nº',
]);

/**
 * Measurement units a size value may carry ("4 años", "50 ml", "128 GB", "24 cm", "2 m"), each with
 * the ways viewers say it. A catalog value's unit pulls in its group; a unit outside every group (e.g.
 * "plazas") still answers to its own singular/plural forms. Only read right after a number.
 */
export const UNIT_GROUPS: readonly (readonly string[])[] = [
  ['anos', 'ano', 'anitos', 'anito'],
  ['meses', 'mes', 'mesecitos', 'm'],
  ['ml', 'mililitros', 'mililitro', 'mls', 'cc', 'mili', 'milis'],
  ['l', 'litro', 'litros', 'lt', 'lts', 'ltr'],
  ['gb', 'gigas', 'giga', 'gigabytes', 'gbs', 'g'],
  ['tb', 'teras', 'tera', 'terabyte', 'terabytes'],
  ['mah', 'miliamperios'],
  ['cm', 'cms', 'centimetros', 'centimetro', 'centi', 'centis'],
  ['mm', 'milimetros', 'milimetro'],
  ['m', 'metro', 'metros', 'mts', 'mt', 'mtr', 'mtrs'],
  ['kg', 'kgs', 'kilo', 'kilos', 'kilogramos'],
  ['gr', 'grs', 'gramos', 'gramo', 'g'],
  ['oz', 'onzas', 'onza'],
  ['pulgadas', 'pulgada', 'pulg', 'in'],
  ['w', 'watts', 'watt', 'vatios'],
  ['plazas', 'plaza', 'pz'],
  ['piezas', 'pieza', 'pzas', 'pza', 'pcs'],
];

/**
 * Nouns of things sold in pairs: "un par de botines" is one unit (one pair), not two. A product is
 * paired when its name or a keyword is one of these.
 */
export const PAIRED_NOUNS: ReadonlySet<string> = new Set([
  'zapato', 'zapatos', 'zapatilla', 'zapatillas', 'zapatito', 'zapatitos', 'zapatillitas', 'zapas', 'tenis', 'sneakers',
  'botin', 'botines', 'bota', 'botas', 'botitas', 'sandalia', 'sandalias', 'sandalitas', 'chalas', 'chanclas',
  'ojotas', 'mocasin', 'mocasines', 'tacones', 'tacos', 'pantuflas', 'alpargatas', 'balerinas', 'bailarinas', 'tabas',
  'borcegos', 'crocs', 'media', 'medias', 'calcetines', 'calcetas', 'soquetes', 'guantes', 'aros', 'aretes',
  'pendientes', 'zarcillos', 'argollas', 'arracadas', 'candongas',
]);

/** Words that introduce a product code ("cod 101", "producto 7", "modelo A12"). */
export const CODE_INTRODUCERS: ReadonlySet<string> = new Set([
  'cod',
  'codigo',
  'code',
  'producto',
  'prod',
  'art',
  'articulo',
  'modelo',
  'item',
  'ref',
  'referencia',
  'sku',
]);

/**
 * Regional synonyms of product nouns. A catalog keyword pulls in its whole group (when the group
 * resolves to a single product of that catalog); words of groups that match no catalog product are
 * "unknown product words" and lower the confidence.
 */
export const PRODUCT_NOUN_GROUPS: readonly (readonly string[])[] = [
  ['polera', 'remera', 'playera', 'camiseta', 'polo', 'franela', 'tshirt', 'remerita', 'playerita'],
  ['poleron', 'sudadera', 'buzo', 'hoodie', 'canguro', 'sueter', 'sweater', 'sweter', 'chompa', 'jersey', 'pulover'],
  ['chaqueta', 'casaca', 'campera', 'chamarra', 'chamara', 'cazadora', 'jacket', 'chaqueton'],
  ['abrigo', 'tapado', 'parka', 'parca', 'anorak', 'impermeable'],
  ['blazer', 'saco', 'americana'],
  ['chaleco', 'vest'],
  ['jeans', 'jean', 'vaqueros', 'vaquero', 'mezclilla', 'bluejean', 'bluyin', 'denim'],
  ['pantalon', 'pantalones', 'palazzo', 'jogger', 'joggers'],
  ['short', 'shorts', 'bermuda', 'bermudas', 'pantaloneta', 'chor'],
  ['falda', 'pollera', 'saya', 'minifalda'],
  ['vestido'],
  ['enterizo', 'jumpsuit', 'overol', 'jardinera', 'mameluco'],
  ['blusa', 'camisa', 'camisola'],
  ['top', 'croptop', 'peto', 'bralette'],
  ['body', 'bodysuit'],
  ['calzas', 'leggings', 'leggins', 'licras', 'licra', 'mallas', 'lycra'],
  ['pijama', 'piyama', 'camison'],
  ['bikini', 'banador', 'trikini', 'enteriza'],
  ['zapatillas', 'tenis', 'zapas', 'championes', 'deportivas', 'sneakers', 'zapatos deportivos', 'zapatillas deportivas'],
  ['zapatos', 'zapato', 'calzado', 'mocasines', 'mocasin', 'flats', 'balerinas', 'bailarinas'],
  ['sandalias', 'chanclas', 'chalas', 'ojotas', 'cholas', 'chancletas', 'sayonaras', 'hawaianas', 'slides'],
  ['botas', 'botines', 'botin', 'botitas', 'borcegos', 'bototos'],
  ['tacones', 'tacos', 'stilettos', 'zapatos de taco', 'plataformas'],
  ['aros', 'aretes', 'pendientes', 'zarcillos', 'caravanas', 'argollas', 'candongas', 'topos'],
  ['collar', 'cadena', 'gargantilla', 'colgante', 'dije', 'choker'],
  ['pulsera', 'brazalete', 'esclava', 'manilla', 'pulso'],
  ['anillo', 'sortija', 'anillos'],
  ['reloj', 'relojes', 'smartwatch'],
  ['cartera', 'bolso', 'bolsa', 'clutch', 'tote', 'bandolera', 'riñonera', 'rinonera', 'canguro bolso'],
  ['mochila', 'morral'],
  ['billetera', 'monedero', 'tarjetero'],
  ['cinturon', 'correa', 'cinto'],
  ['gorro', 'gorra', 'jockey', 'cachucha', 'visera', 'boina', 'sombrero', 'beanie'],
  ['bufanda', 'panuelo', 'chalina', 'pashmina', 'foulard'],
  ['lentes', 'gafas', 'anteojos', 'lentes de sol'],
  ['calcetines', 'medias', 'soquetes', 'calcetas', 'tobilleras'],
  ['brasier', 'brassier', 'sosten', 'sujetador', 'bra', 'corpino'],
  ['calzon', 'calzones', 'panties', 'bombacha', 'bombachas', 'tanga', 'colales', 'boxer', 'boxers'],
  ['labial', 'lapiz labial', 'pintalabios', 'lipstick', 'labiales'],
  ['gloss', 'brillo labial', 'lipgloss'],
  ['base', 'base de maquillaje'],
  ['rimel', 'mascara de pestanas', 'pestanina', 'rimmel'],
  ['delineador', 'eyeliner', 'delineador de ojos'],
  ['sombras', 'paleta de sombras', 'paleta'],
  ['rubor', 'blush', 'colorete'],
  ['corrector', 'concealer'],
  ['polvo', 'polvos', 'polvo compacto'],
  ['perfume', 'colonia', 'fragancia', 'perfumes'],
  ['crema', 'crema hidratante', 'hidratante'],
  ['serum', 'suero'],
  ['protector solar', 'bloqueador', 'bloqueador solar', 'protector'],
  ['esmalte', 'pintaunas', 'esmaltes'],
  ['brocha', 'brochas', 'pinceles', 'pincel'],
  ['shampoo', 'champu', 'champo'],
  ['acondicionador'],
  ['cojin', 'almohadon', 'cojines'],
  ['taza', 'tazon', 'mug'],
  ['funda', 'carcasa', 'case'],
  ['audifonos', 'auriculares', 'cascos'],
];

/**
 * Product nouns that are also everyday words ("top" = great, "base" = basis, "saco" = I take out):
 * they map to a catalog product when the catalog names them, but never count as an unknown product.
 */
export const AMBIGUOUS_PRODUCT_WORDS: ReadonlySet<string> = new Set([
  'top', 'base', 'polvo', 'polvos', 'paleta', 'protector', 'case', 'correa', 'cadena', 'bolsa', 'saco', 'tacos', 'pulso',
  'crema', 'canguro', 'denim', 'vest', 'mallas', 'jersey', 'body', 'suero', 'funda', 'cascos', 'mujer', 'flats',
  'colonia', 'americana', 'dije', 'topos', 'slides', 'bra', 'mascara', 'hidratante', 'peto', 'esclava', 'manilla',
  'impermeable', 'tote', 'pincel', 'cinto', 'visera', 'plataformas', 'calzado', 'mug', 'polo', 'buzo', 'tenis',
  'medias', 'calza', 'licra', 'pulsera de', 'protector solar',
]);

/** Greetings and thanks that may wrap a bare claim ("buenas! roja M porfa"). */
export const POLITE_WORDS: ReadonlySet<string> = new Set([
  'hola', 'holi', 'holis', 'ola', 'buenas', 'buenos', 'buen', 'dia', 'dias', 'tardes', 'noches', 'gracias', 'saludos',
  'wenas', 'hello', 'hi', 'hey', 'mil',
]);

/** Vocatives and politeness that surround a bare claim without changing it ("roja M porfa amiga"). */
export const FILLER_WORDS: ReadonlySet<string> = new Set([
  'la', 'el', 'los', 'las', 'lo', 'un', 'una', 'unos', 'unas', 'en', 'de', 'del', 'color', 'colour', 'talla', 'talle',
  'tallas', 'size', 'porfa', 'por', 'favor', 'please', 'gracias', 'po', 'pe', 'pues', 'ps', 'pue', 'amiga', 'amigo',
  'amix', 'ami', 'reina', 'mami', 'nena', 'vecina', 'querida', 'mija', 'mijita', 'senora', 'sra', 'seno', 'dona',
  'jefa', 'bb', 'y', 'e', 'con', 'tambien', 'x', 'cod', 'codigo', 'numero', 'nro', 'otra', 'otro', 'mas', 'si', 'ok',
  'ahi', 'aca', 'aqui', 'esa', 'ese', 'esta', 'este', 'nomas', 'plis', 'porfis',
  'porfavor', 'xfa', 'fa', 'producto', 'modelo', 'ref', 'a', 'o', 'u', 'n', 'nº', 'tono', 'regalo',
]);

/** Family and friends: "mi hermana quiere la azul" is a purchase on someone's behalf. */
export const THIRD_PARTIES: ReadonlySet<string> = new Set([
  'hermana', 'hermano', 'mama', 'mami', 'papa', 'hija', 'hijo', 'hijas', 'hijos', 'tia', 'tio', 'prima', 'primo', 'amiga',
  'amigo', 'suegra', 'suegro', 'abuela', 'abuelo', 'esposo', 'esposa', 'marido', 'mujer', 'novio', 'novia', 'sobrina',
  'sobrino', 'nieta', 'nieto', 'cunada', 'cunado', 'comadre', 'compadre', 'vecina', 'jefa', 'jefe', 'companera',
  'companero', 'bebe', 'nena', 'nene', 'gorda', 'gordo', 'flaca', 'flaco', 'pareja', 'hermanita', 'mamita', 'hijita',
  'nina', 'nino', 'ninas', 'ninos', 'hijito', 'nietecita', 'sobrinita', 'princesa', 'chiquita', 'chiquito', 'bebita',
  'peque', 'enana', 'enano', 'mamacita', 'amor', 'esposita', 'cunadita', 'primita', 'tiita', 'hermanito', 'mami',
  'vieja', 'viejo', 'viejita', 'viejito', 'madre', 'padre', 'hermanas', 'hermanos', 'sobrinas', 'sobrinos', 'nietas',
  'nietos', 'pololo', 'polola', 'jefe',
]);

/** Common Spanish words: used only to tell "chatter we understand" from "words we do not know". */
export const COMMON_WORDS: ReadonlySet<string> = new Set(
  (
    'de que la el en y a los se del las un por con no una su para es al lo como mas pero sus le ya o este si porque esta ' +
    'entre cuando muy sin sobre tambien me hasta hay donde quien desde todo nos durante todos uno les ni contra otros ese ' +
    'eso ante ellos e esto mi antes algunos que unos yo otro otras otra el tanto esa estos mucho quienes nada muchos cual ' +
    'poco ella estar estas algunas algo nosotros mis tu te ti tus ellas nosotras vosotros os mio mia mios mias tuyo tuya ' +
    'suyo suya nuestro nuestra esos esas estoy estas esta estamos estan este estuve estaba soy eres es somos son fue era ' +
    'he has ha hemos han hay habia tengo tienes tiene tenemos tienen tenia hago hace hacen hizo voy vas va vamos van ' +
    'ir ver veo vi visto mira miren mirando viendo quiero quieres quiere queremos quieren quisiera puedo puede pueden ' +
    'podemos poder se sabe saber sabes dice digo dijo creo cree gusta gustan encanta encantan encanto amo ama bien mal ' +
    'bueno buena buenos buenas malo mala hoy ayer manana ahora luego despues antes siempre nunca tarde temprano noche ' +
    'dia dias semana mes ano vez veces aqui aca alli alla ahi asi tan tanto todo toda todas cada mismo misma otro ' +
    'hola chao chau adios gracias porfa favor saludos saludo besos abrazos bendiciones amiga amigo amigas amigos chicas ' +
    'chicos gente todos linda lindo lindas lindos hermosa hermoso bella bello bonita bonito preciosa precioso divina ' +
    'divino color colores talla tallas precio precios envio envios pago pague pagar pedido pedidos compra comprar ' +
    'compre compro llevo llevar lleva live vivo transmision directo video foto fotos link tienda casa calle ciudad ' +
    'jaja jajaja wow top genial ok okey listo dale claro obvio sip nop si no tal vez quizas capaz igual mejor peor ' +
    'grande chica chico pequeno pequena nuevo nueva nuevos nuevas ultimo ultima primera primero segunda segundo ' +
    'estan estuvo sera seria puede podria deberia tiene tenga tengan sale salen vale valen cuesta cuestan queda quedan ' +
    'hermana hermano mama papa hija hijo tia prima esposo novio novia mujer hombre nina nino ninas ninos bebe ' +
    'llegue llego llegaron escucha escuchar ve vea verlo verla mostrar muestra muestras modelo modelando puesta ' +
    'producto productos cosa cosas ropa prenda prendas tela calidad material stock disponible disponibles ' +
    // time words: never misspelt catalog words ("horas" is one letter away from nothing we sell)
    'hora horas minuto minutos segundo segundos semanas meses anos rato ratito ahorita horita'
  ).split(' '),
);
