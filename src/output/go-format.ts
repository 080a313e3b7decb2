/**
 * Numbers as Go writes them: mongoexport's Extended JSON (the Go driver) and CSV (fmt's `%v`) go through Go's
 * strconv, whose shortest formatting differs from JavaScript's in where it switches to exponents and how it writes
 * them; and the Decimal128 text of the specification.
 */

/** The shortest digits of |v| (finite, not 0) that round-trip, and the decimal exponent of the first digit. */
function shortest(a: number): { digits: string; exp: number } {
  const text = '' + a;
  const e = text.indexOf('e');
  if (e >= 0) return { digits: text.slice(0, e).replace('.', ''), exp: +text.slice(e + 1) };
  // plain notation from JavaScript: 1e-7 < a < 1e21
  const point = text.indexOf('.');
  const int = point < 0 ? text : text.slice(0, point);
  const frac = point < 0 ? '' : text.slice(point + 1);
  if (int === '0') {
    const lead = frac.length - frac.replace(/^0+/, '').length;
    return { digits: frac.slice(lead), exp: -lead - 1 };
  }
  return { digits: (int + frac).replace(/0+$/, ''), exp: int.length - 1 };
}

/**
 * Go's `strconv.FormatFloat(v, 'g' or 'G', -1, 64)` for a finite v: the shortest digits, in exponent form (a sign
 * and at least two exponent digits) when the decimal exponent is below -4 or at least 6, else plain.
 */
export function goShortest(v: number, upper: boolean): string {
  const a = v < 0 ? -v : v;
  // JavaScript writes these in the same plain digits (it switches to exponents only at 1e21 and below 1e-6)
  if (a >= 1e-4 && a < 1e6) return '' + v;
  if (v === 0) return 1 / v < 0 ? '-0' : '0';
  const { digits, exp } = shortest(a);
  const m = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
  const x = exp < 0 ? -exp : exp;
  const e = upper ? 'E' : 'e';
  return (v < 0 ? '-' : '') + m + e + (exp < 0 ? '-' : '+') + (x < 10 ? '0' + x : '' + x);
}

/**
 * A finite double as the Go driver's Extended JSON writes it: `goShortest(v, 'G')`, with `.0` added when there is
 * neither a point nor an exponent (`10.0`, `-0.0`, `123456.0`, `1.234567E+06`, `1E-05`).
 */
export function formatDouble(v: number): string {
  const s = goShortest(v, true);
  return s.includes('.') || s.includes('E') ? s : s + '.0';
}

/** A double as Go's fmt `%v` writes it (mongoexport's CSV cells): `10`, `1e+06`, `-0`, `NaN`, `+Inf`, `-Inf`. */
export function formatGoG(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return goShortest(v, false);
}

const MAX_COEFFICIENT = 10n ** 34n - 1n;

/**
 * A Decimal128 as the specification's to-string writes it (IEEE 754-2008 BID): plain digits when the exponent is
 * at most 0 and the adjusted exponent at least -6, else scientific (`1.5E+3`). A coefficient beyond 34 digits, or
 * the `11` combination form, is non-canonical and read as zero, exponent kept.
 */
export function decimal128Text(b: Buffer, at: number): string {
  const low = b.readBigUInt64LE(at);
  const high = b.readBigUInt64LE(at + 8);
  const negative = high >> 63n === 1n;
  const combination = Number((high >> 58n) & 0x1fn);
  if (combination === 0x1f) return 'NaN';
  if (combination === 0x1e) return negative ? '-Infinity' : 'Infinity';
  let exponent: number;
  let coefficient: bigint;
  if (((high >> 61n) & 3n) === 3n) {
    exponent = Number((high >> 47n) & 0x3fffn);
    coefficient = 0n;
  } else {
    exponent = Number((high >> 49n) & 0x3fffn);
    coefficient = ((high & 0x1ffffffffffffn) << 64n) | low;
    if (coefficient > MAX_COEFFICIENT) coefficient = 0n;
  }
  exponent -= 6176;
  const digits = coefficient.toString();
  const adjusted = exponent + digits.length - 1;
  let text: string;
  if (exponent <= 0 && adjusted >= -6) {
    const point = digits.length + exponent; // digits before the decimal point
    if (exponent === 0) text = digits;
    else if (point > 0) text = digits.slice(0, point) + '.' + digits.slice(point);
    else text = '0.' + '0'.repeat(-point) + digits;
  } else {
    const mantissa = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    text = mantissa + 'E' + (adjusted >= 0 ? '+' : '') + adjusted;
  }
  return negative ? '-' + text : text;
}
