import { domainToASCII, domainToUnicode } from 'node:url';

/**
 * Host names as .NET's IdnMapping treats them: a non-ASCII name goes on the wire (SNI) and is
 * checked against certificates as its A-label ("xn--…"), and is shown in its Unicode form. WHATWG's
 * domainToASCII does the mapping where it accepts the label; a label it refuses (a space, which
 * IdnMapping allows without STD3 rules) is punycoded as it is (RFC 3492), as IdnMapping would.
 */

const base = 36;
const tMin = 1;
const tMax = 26;
const skew = 38;
const damp = 700;

function adapt(delta: number, points: number, first: boolean): number {
  delta = first ? Math.floor(delta / damp) : delta >> 1;
  delta += Math.floor(delta / points);
  let k = 0;
  while (delta > ((base - tMin) * tMax) >> 1) {
    delta = Math.floor(delta / (base - tMin));
    k += base;
  }
  return k + Math.floor(((base - tMin + 1) * delta) / (delta + skew));
}

const digit = (d: number): string => String.fromCharCode(d < 26 ? 97 + d : 22 + d);

/** RFC 3492 encoding of one label (without the "xn--" prefix). */
function punycode(label: string): string {
  const input = Array.from(label, (c) => c.codePointAt(0)!);
  let output = input
    .filter((c) => c < 0x80)
    .map((c) => String.fromCharCode(c))
    .join('');
  const basic = output.length;
  if (basic > 0) output += '-';
  let n = 0x80;
  let delta = 0;
  let bias = 72;
  for (let handled = basic; handled < input.length;) {
    const m = Math.min(...input.filter((c) => c >= n));
    delta += (m - n) * (handled + 1);
    n = m;
    for (const c of input) {
      if (c < n) delta++;
      if (c !== n) continue;
      let q = delta;
      for (let k = base; ; k += base) {
        const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
        if (q < t) break;
        output += digit(t + ((q - t) % (base - t)));
        q = Math.floor((q - t) / (base - t));
      }
      output += digit(q);
      bias = adapt(delta, handled + 1, handled === basic);
      delta = 0;
      handled++;
    }
    delta++;
    n++;
  }
  return output;
}

/** RFC 3492 decoding of one label (without the "xn--" prefix); undefined when it is not valid. */
function unpunycode(encoded: string): string | undefined {
  const cut = encoded.lastIndexOf('-');
  const output = cut > 0 ? Array.from(encoded.slice(0, cut), (c) => c.codePointAt(0)!) : [];
  let n = 0x80;
  let i = 0;
  let bias = 72;
  for (let at = cut > 0 ? cut + 1 : 0; at < encoded.length;) {
    const old = i;
    let w = 1;
    for (let k = base; ; k += base) {
      if (at >= encoded.length) return undefined;
      const c = encoded.charCodeAt(at++);
      const d = c - 48 < 10 ? c - 22 : c - 65 < 26 ? c - 65 : c - 97 < 26 ? c - 97 : base;
      if (d >= base) return undefined;
      i += d * w;
      const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
      if (d < t) break;
      w *= base - t;
    }
    bias = adapt(i - old, output.length + 1, old === 0);
    n += Math.floor(i / (output.length + 1));
    i %= output.length + 1;
    output.splice(i++, 0, n);
  }
  return String.fromCodePoint(...output);
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** The form a host name takes on the wire and in certificates. */
export function toAsciiHost(host: string): string {
  if (isAscii(host)) return host;
  return host
    .split('.')
    .map((label) => {
      if (isAscii(label)) return label;
      const mapped = domainToASCII(label);
      return mapped !== '' ? mapped : `xn--${punycode(label.normalize('NFC').toLowerCase())}`;
    })
    .join('.');
}

/** The form a host name is shown in: each A-label decoded. */
export function toUnicodeHost(host: string): string {
  if (!host.toLowerCase().includes('xn--')) return host;
  return host
    .split('.')
    .map((label) => {
      if (!label.toLowerCase().startsWith('xn--')) return label;
      const mapped = domainToUnicode(label);
      return mapped !== '' && mapped !== label ? mapped : (unpunycode(label.slice(4)) ?? label);
    })
    .join('.');
}
