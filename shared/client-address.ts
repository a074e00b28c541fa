import ipaddr from 'ipaddr.js';

/**
 * The part of a client's address that per-address limits count against.
 *
 * One IPv4 address is usually one household or office (or many, behind a NAT). One IPv6 host
 * usually has a whole /64 to itself: privacy extensions give it a new address every day, and it
 * can pick any of 2^64 at will. Counting IPv6 per address would give every such host as many
 * free attempts as it likes, so IPv6 addresses are counted by their /64.
 *
 * - IPv4 (`192.0.2.1`) stays as it is; only the plain four-part decimal form is taken as one
 *   (`010.0.0.1` is octal to some parsers and decimal to others).
 * - IPv4-mapped IPv6 (`::ffff:192.0.2.1`, what a dual-stack Node socket reports) is that IPv4.
 * - Any other IPv6 becomes its /64 prefix in RFC 5952 form, e.g. `2001:db8:1:2::/64`, whatever
 *   its spelling (compressed or not, upper or lower case, leading zeros, a zone id `%eth0`,
 *   square brackets).
 * - Anything else (`unknown`) is kept, bounded in length, so it still counts as one key.
 *
 * Parsing is ipaddr.js's (Web-standard, so it runs on Workers as on Node).
 */
export function addressKey(address: string): string {
  let text = address.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text).toString();
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) {
    const v6 = ipaddr.IPv6.parse(text);
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
    const [a = 0, b = 0, c = 0, d = 0] = v6.parts;
    return `${new ipaddr.IPv6([a, b, c, d, 0, 0, 0, 0]).toRFC5952String()}/64`;
  }
  return text.slice(0, MAX_UNPARSED_LENGTH);
}

/** Longer than any address (45 characters for IPv6 with an embedded IPv4, plus a zone id). */
const MAX_UNPARSED_LENGTH = 64;
