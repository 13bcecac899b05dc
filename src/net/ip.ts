/** Allocation-free IP address parsing for the hot path, and the canonical text form of an address. */

/** An address in 128-bit space as four unsigned 32-bit words, most significant first. */
export type IpWords = [number, number, number, number];

/** What parseIpWords found: not an address, an IPv4 address (plain or IPv4-mapped), or IPv6. */
export type IpKind = 0 | 4 | 6;

/** Longest text worth scanning: a full IPv6 with embedded IPv4 is 45 characters, plus a short zone id. */
const MAX_LENGTH = 64;

const groups = new Uint16Array(8);

/**
 * Parses `ip` into `out` without allocating. IPv4 is four-part decimal without leading zeros
 * (as `net.isIPv4`), so `010.0.0.1` is not silently octal. IPv4 and IPv4-mapped IPv6 both
 * answer 4 and leave `[0, 0, 0xffff, v4]` in `out`: one address, one identity. A zone id
 * (`fe80::1%eth0`) is ignored. Returns 0 for anything else; never throws.
 */
export function parseIpWords(ip: string, out: IpWords): IpKind {
  const length = ip.length;
  if (length === 0 || length > MAX_LENGTH) return 0;
  const v4 = parseV4(ip, 0, length);
  if (v4 >= 0) {
    out[0] = 0;
    out[1] = 0;
    out[2] = 0xffff;
    out[3] = v4;
    return 4;
  }
  if (!parseV6(ip, out)) return 0;
  return out[0] === 0 && out[1] === 0 && out[2] === 0xffff ? 4 : 6;
}

/** Whether `ip` is an IPv4 or IPv6 address (as parseIpWords reads them). */
export function isIp(ip: string): boolean {
  return parseIpWords(ip, scratch) !== 0;
}

const scratch: IpWords = [0, 0, 0, 0];

/**
 * The one text form of an address, so that a block, a limit key or a log line does not depend
 * on how a client spelled it: IPv4 dotted decimal (IPv4-mapped IPv6 unwrapped), IPv6 in
 * RFC 5952 form (lower case, longest zero run compressed). Undefined when `ip` is no address.
 */
export function canonicalIp(ip: string): string | undefined {
  const kind = parseIpWords(ip, scratch);
  if (kind === 0) return undefined;
  if (kind === 4) return ip.length <= 15 && ip.indexOf(":") === -1 ? ip : formatV4(scratch[3]);
  return formatV6(scratch);
}

/** Dotted decimal of an unsigned 32-bit value. */
export function formatV4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** RFC 5952 text of an IPv6 address given as four words. */
export function formatV6(words: IpWords): string {
  const parts: number[] = [];
  for (const word of words) parts.push(word >>> 16, word & 0xffff);
  // Longest run of two or more zero groups, the first one on a tie (RFC 5952 §4.2).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string => parts.slice(from, to).map((part) => part.toString(16)).join(":");
  if (bestStart === -1) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** Four-part decimal IPv4 between `start` and `end` as an unsigned 32-bit value, or -1. */
function parseV4(ip: string, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let leadingZero = false;
  for (let i = start; i < end; i++) {
    const code = ip.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      if (leadingZero) return -1;
      if (digits === 0 && code === 48) leadingZero = true;
      octet = octet * 10 + (code - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else if (code === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      leadingZero = false;
    } else {
      return -1;
    }
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + octet;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/** RFC 4291 text (groups, one `::`, an optional trailing dotted IPv4, an optional zone id) into `out`. */
function parseV6(ip: string, out: IpWords): boolean {
  const percent = ip.indexOf("%");
  if (percent === 0 || percent === ip.length - 1) return false;
  const end = percent === -1 ? ip.length : percent;
  let count = 0;
  let gap = -1;
  let i = 0;
  if (ip.charCodeAt(0) === 58) {
    if (ip.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    if (count === 8) return false;
    let value = 0;
    let j = i;
    while (j < end && j - i < 5) {
      const digit = hexValue(ip.charCodeAt(j));
      if (digit < 0) break;
      value = value * 16 + digit;
      j++;
    }
    if (j < end && ip.charCodeAt(j) === 46) {
      // A trailing dotted IPv4 fills the last two groups.
      if (count > 6) return false;
      const v4 = parseV4(ip, i, end);
      if (v4 < 0) return false;
      // `::1.2.3.4` (deprecated IPv4-compatible form) reads as IPv4-mapped, as ipaddr.js reads
      // it: config entries are parsed by ipaddr.js, and both sides must agree on the address.
      if (gap === 0 && count === 0) groups[count++] = 0xffff;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (j === i || j - i > 4) return false;
    groups[count++] = value;
    if (j === end) {
      i = end;
      break;
    }
    if (ip.charCodeAt(j) !== 58) return false;
    j++;
    if (j < end && ip.charCodeAt(j) === 58) {
      if (gap !== -1) return false;
      gap = count;
      j++;
    } else if (j === end) {
      return false;
    }
    i = j;
  }
  if (gap === -1 ? count !== 8 : count > 7) return false;
  const zeros = 8 - count;
  for (let k = 0; k < 4; k++) {
    out[k] = ((groupAt(2 * k, gap, zeros) << 16) | groupAt(2 * k + 1, gap, zeros)) >>> 0;
  }
  return true;
}

/** Group `index` of the expanded address, where `zeros` zero groups stand at `gap`. */
function groupAt(index: number, gap: number, zeros: number): number {
  if (gap === -1 || index < gap) return groups[index] ?? 0;
  if (index < gap + zeros) return 0;
  return groups[index - zeros] ?? 0;
}
