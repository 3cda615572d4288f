import t from 'tap';
import { checkHostPort, formatHostPort, isIPv6, parseHostPort, type HostPort } from '../../../lib/core/host-port.ts';

t.test('parseHostPort', async (t) => {
  const cases: [string, boolean, HostPort | null][] = [
    ['127.0.0.1:7070', false, { host: '127.0.0.1', port: 7070 }],
    ['[::1]:80', false, { host: '::1', port: 80 }],
    ['node-1.example:1', false, { host: 'node-1.example', port: 1 }],
    ['0.0.0.0:0', true, { host: '0.0.0.0', port: 0 }],
    ['0.0.0.0:0', false, null],
    ['::1:80', false, null],
    ['host:65536', false, null],
    [':80', false, null],
    ['host', false, null],
    ['a b:80', false, null],
  ];
  for (const [text, eph, want] of cases) t.same(parseHostPort(text, eph), want, `${text} (ephemeral ${eph})`);
});

/**
 * The extender and the agent each had a host:port parser until both used this one; these are the
 * inputs on which they answered differently, what each said, and what the one parser says now and why.
 */
t.test('where the two former parsers disagreed', async (t) => {
  type Said = HostPort | null;
  const cases: { text: string; extender: Said; agent: Said; now: Said; why: string }[] = [
    {
      text: '::1:80',
      extender: { host: '::1', port: 80 },
      agent: null,
      now: null,
      why: 'an unbracketed IPv6 address is ambiguous (is 80 part of it?): brackets required',
    },
    {
      text: '[::1:80',
      extender: { host: '::1', port: 80 },
      agent: null,
      now: null,
      why: 'an unclosed bracket is a typo',
    },
    { text: 'a b:80', extender: { host: 'a b', port: 80 }, agent: null, now: null, why: 'a space is in no host name' },
    {
      text: 'node_1:80',
      extender: { host: 'node_1', port: 80 },
      agent: null,
      now: null,
      why: 'an underscore is in no DNS name (RFC 1123)',
    },
    { text: '[zz]:80', extender: { host: 'zz', port: 80 }, agent: null, now: null, why: 'brackets hold IPv6 only' },
    { text: '-a:80', extender: { host: '-a', port: 80 }, agent: null, now: null, why: 'a label cannot start with -' },
    {
      text: '127.0.0.1:0',
      extender: { host: '127.0.0.1', port: 0 },
      agent: null,
      now: null,
      why: 'port 0 only where a socket is bound (ephemeral: true, as --listen and --probe-listen pass)',
    },
    {
      text: '999.1.1.1:80',
      extender: { host: '999.1.1.1', port: 80 },
      agent: { host: '999.1.1.1', port: 80 },
      now: null,
      why: 'all digits and dots but not an IPv4 address: a typo, not a host name',
    },
  ];
  for (const c of cases) t.same(parseHostPort(c.text, false), c.now, `${c.text}: ${c.why}`);
  t.same(parseHostPort('127.0.0.1:0', true), { host: '127.0.0.1', port: 0 }, 'port 0 where binding is asked for');
});

t.test('the reason names what is wrong', async (t) => {
  const cases: [string, RegExp][] = [
    ['::1:80', /IPv6 address goes in brackets/],
    ['host:70000', /port 70000 is not in 1–65535/],
    ['host', /no :port/],
    ['a b:1', /"a b" is not an IP address or a DNS name/],
    [`${'a'.repeat(400)}:1`, /longer than 300 characters/],
    ['[1::2::3]:1', /is not an IPv6 address/],
  ];
  for (const [text, want] of cases) {
    const r = checkHostPort(text, false);
    t.ok(!r.ok && want.test(r.reason), `${text.slice(0, 20)}: ${r.ok ? 'accepted' : r.reason}`);
  }
});

t.test('IPv6 text forms', async (t) => {
  const cases: [string, boolean][] = [
    ['::', true],
    ['::1', true],
    ['fe80::1', true],
    ['2001:db8:0:0:0:0:0:1', true],
    ['2001:db8::', true],
    ['::ffff:192.0.2.1', true],
    ['1:2:3:4:5:6:7:8:9', false],
    ['1::2::3', false],
    ['12345::1', false],
    ['1.2.3.4::', false],
    ['::ffff:1.2.3', false],
    [':1', false],
  ];
  for (const [text, want] of cases) t.equal(isIPv6(text), want, text);
});

t.test('formatHostPort brackets IPv6 and round-trips', async (t) => {
  for (const text of ['127.0.0.1:7070', '[::1]:80', 'node-1.example:1'])
    t.equal(formatHostPort(parseHostPort(text, false) ?? { host: '', port: 0 }), text);
});
