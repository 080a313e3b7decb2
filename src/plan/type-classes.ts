/**
 * BSON type classes in the server's sort order. Range operators ($gte/$lt) only match values of the bound's
 * class, so a plan splits each class separately and bounds open ends with $type (see FIELD-NOTES: type bracketing).
 */
export interface TypeClass {
  readonly name: string;
  /** $type aliases that make up the class. */
  readonly aliases: readonly string[];
  /** Whether values of the class can be ordered into ranges (classes of one value, like null, cannot). */
  readonly rangeable: boolean;
}

export const TYPE_CLASSES: readonly TypeClass[] = [
  { name: 'minKey', aliases: ['minKey'], rangeable: false },
  { name: 'null', aliases: ['null', 'undefined'], rangeable: false },
  { name: 'number', aliases: ['double', 'int', 'long', 'decimal'], rangeable: true },
  { name: 'string', aliases: ['string', 'symbol'], rangeable: true },
  { name: 'object', aliases: ['object'], rangeable: true },
  { name: 'binData', aliases: ['binData'], rangeable: true },
  { name: 'objectId', aliases: ['objectId'], rangeable: true },
  { name: 'bool', aliases: ['bool'], rangeable: true },
  { name: 'date', aliases: ['date'], rangeable: true },
  { name: 'timestamp', aliases: ['timestamp'], rangeable: true },
  { name: 'regex', aliases: ['regex'], rangeable: false },
  { name: 'dbPointer', aliases: ['dbPointer'], rangeable: false },
  { name: 'javascript', aliases: ['javascript'], rangeable: true },
  { name: 'javascriptWithScope', aliases: ['javascriptWithScope'], rangeable: false },
  { name: 'maxKey', aliases: ['maxKey'], rangeable: false },
];

const BY_NAME = new Map(TYPE_CLASSES.map((c) => [c.name, c]));

export function typeClass(name: string): TypeClass {
  const c = BY_NAME.get(name);
  if (!c) throw new Error(`unknown BSON type class ${JSON.stringify(name)}`);
  return c;
}

/** Position of a class in BSON sort order. */
export const classRank = (name: string): number => TYPE_CLASSES.findIndex((c) => c.name === name);

const BSONTYPE_CLASS: Record<string, string> = {
  Int32: 'number',
  Double: 'number',
  Long: 'number',
  Decimal128: 'number',
  BSONSymbol: 'string',
  Binary: 'binData',
  UUID: 'binData',
  ObjectId: 'objectId',
  Timestamp: 'timestamp',
  BSONRegExp: 'regex',
  DBPointer: 'dbPointer',
  MinKey: 'minKey',
  MaxKey: 'maxKey',
  DBRef: 'object',
};

/** The type class of a deserialized BSON value (as read with promoteValues: false or true). */
export function classOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'number':
    case 'bigint':
      return 'number';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    default:
  }
  if (value instanceof Date) return 'date';
  if (value instanceof RegExp) return 'regex';
  if (value instanceof Uint8Array) return 'binData';
  if (Array.isArray(value)) return 'array';
  const bsontype = (value as { _bsontype?: string })._bsontype;
  if (bsontype === 'Code') return (value as { scope?: unknown }).scope ? 'javascriptWithScope' : 'javascript';
  if (bsontype) return BSONTYPE_CLASS[bsontype] ?? 'object';
  return 'object';
}
