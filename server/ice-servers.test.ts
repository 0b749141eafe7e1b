import { describe, expect, it } from 'vitest';
import { parseIceServers } from './ice-servers.ts';

describe('parseIceServers', () => {
  it('accepts STUN/TURN entries with optional credentials', () => {
    const text = '[{"urls":"stun:stun.lan:3478"},{"urls":["turn:t.lan:3478?transport=udp","turns:t.lan:5349"],"username":"u","credential":"p"}]';
    expect(parseIceServers(text)).toEqual({
      ok: true,
      value: [{ urls: 'stun:stun.lan:3478' }, { urls: ['turn:t.lan:3478?transport=udp', 'turns:t.lan:5349'], username: 'u', credential: 'p' }],
    });
    expect(parseIceServers('[]')).toEqual({ ok: true, value: [] });
  });

  it('drops unknown fields', () => {
    expect(parseIceServers('[{"urls":"stun:s","extra":1}]')).toEqual({ ok: true, value: [{ urls: 'stun:s' }] });
  });

  it.each([
    ['not json', 'JSON'],
    ['{"urls":"stun:s"}', 'array'],
    ['[1]', 'must be an object'],
    ['[{"urls":[]}]', 'non-empty'],
    ['[{"urls":"https://x"}]', 'bad ICE url'],
    ['[{"urls":["stun:s", 3]}]', 'bad ICE url'],
    ['[{"urls":"stun:s","username":5}]', 'username'],
    ['[{"urls":"stun:s","credential":{}}]', 'credential'],
    [JSON.stringify(Array.from({ length: 17 }, () => ({ urls: 'stun:s' }))), 'at most'],
  ])('rejects %s', (text, message) => {
    const r = parseIceServers(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(message);
  });
});
