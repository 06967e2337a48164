/**
 * Where the web server's proxy sends the browsers' /socket.io, and with which credentials: the
 * worker's address from the running server's environment, the browser's own cookie (its session),
 * whatever `Authorization` it sent dropped, and never the worker token.
 */
import { describe, expect, it } from 'vitest';
import { workerLink, workerRequestHeaders } from '../src/server/worker';

describe('workerLink', () => {
  it('defaults to the worker on loopback at L2SCOPE_LIVE_PORT (else 3001); L2SCOPE_WORKER_URL wins', () => {
    expect(workerLink({}).url.href).toBe('http://127.0.0.1:3001/');
    expect(workerLink({ L2SCOPE_LIVE_PORT: '4555' }).url.href).toBe('http://127.0.0.1:4555/');
    expect(workerLink({ L2SCOPE_LIVE_PORT: 'nope' }).url.href).toBe('http://127.0.0.1:3001/');
    expect(workerLink({ L2SCOPE_LIVE_PORT: '4555', L2SCOPE_WORKER_URL: 'http://worker:3001' }).url.href).toBe('http://worker:3001/');
  });

  it('refuses a worker URL that is not http(s)', () => {
    expect(() => workerLink({ L2SCOPE_WORKER_URL: 'ftp://worker' })).toThrow(/http\(s\)/);
    expect(() => workerLink({ L2SCOPE_WORKER_URL: 'worker:3001x' })).toThrow();
  });
});

describe('workerRequestHeaders', () => {
  it("drops the browser's Authorization, keeps the rest (Origin, session cookie), adds no worker token", () => {
    const incoming = new Headers({ authorization: 'Bearer guessed', origin: 'http://127.0.0.1:3000', cookie: 'a=b' });
    const h = workerRequestHeaders(incoming);
    expect(h.has('authorization')).toBe(false);
    expect(h.get('origin')).toBe('http://127.0.0.1:3000');
    expect(h.get('cookie')).toBe('a=b');
    expect(incoming.get('authorization')).toBe('Bearer guessed');
  });
});
