import { describe, expect, it } from 'vitest';
import { addressKey } from '../shared/client-address';

describe('addressKey: what per-address limits count against', () => {
  it('keeps IPv4 as it is', () => {
    expect(addressKey('192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('0.0.0.0')).toBe('0.0.0.0');
    expect(addressKey('255.255.255.255')).toBe('255.255.255.255');
    expect(addressKey(' 203.0.113.7 ')).toBe('203.0.113.7');
  });

  it('turns IPv4-mapped IPv6 (a dual-stack socket) into the IPv4 address, in any spelling', () => {
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('::FFFF:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('0:0:0:0:0:ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('::ffff:c000:201')).toBe('192.0.2.1');
    expect(addressKey('[::ffff:192.0.2.1]')).toBe('192.0.2.1');
  });

  it('groups IPv6 by its /64, in RFC 5952 form', () => {
    expect(addressKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8::/64');
    expect(addressKey('2001:0:0:1::5')).toBe('2001:0:0:1::/64');
    expect(addressKey('::1')).toBe('::/64');
    expect(addressKey('::')).toBe('::/64');
    // `::` may stand for a single zero group, at either end.
    expect(addressKey('1:2:3:4:5:6:7::')).toBe('1:2:3:4::/64');
    expect(addressKey('::1:2:3:4:5:6:7')).toBe('0:1:2:3::/64');
  });

  it('gives every spelling of one /64 the same key: full form, leading zeros, upper case, compression', () => {
    const spellings = [
      '2001:0db8:0000:0042:0000:8a2e:0370:7334',
      '2001:DB8:0:42:0:8A2E:370:7334',
      '2001:db8:0:42::8a2e:370:7334',
      '2001:db8::42:0:8a2e:370:7334',
      '2001:db8:0:42::',
      '[2001:db8:0:42::1]',
      '2001:db8:0:42:ffff:ffff:ffff:ffff',
      '2001:db8:0:42:1:2:192.0.2.1',
    ];
    for (const s of spellings) expect(addressKey(s), s).toBe('2001:db8:0:42::/64');
  });

  it('drops a zone id', () => {
    expect(addressKey('fe80::1%eth0')).toBe('fe80::/64');
    expect(addressKey('FE80::ABCD:1%25')).toBe('fe80::/64');
    expect(addressKey('[fe80::1%lo]')).toBe('fe80::/64');
  });

  it('keeps anything it cannot parse as it is, bounded in length', () => {
    for (const s of [
      'unknown',
      '192.0.2',
      '192.0.2.256',
      '192.0.2.01',
      '1.2.3.4.5',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      ':::',
      '1:::2',
      '12345::',
      'g::1',
      ':1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:',
      '1.2.3.4::',
      '::1.2.3',
      '1::2:3:4:5:6:7:8',
      '[::1]:443',
      '192.0.2.1:443',
    ]) {
      expect(addressKey(s), s).toBe(s);
    }
    expect(addressKey('x'.repeat(10_000))).toBe('x'.repeat(64));
  });
});
