import { describe, expect, it } from 'vitest';
import { redactUrl } from '../src/redact';

describe('redactUrl', () => {
  it('hides the password of broker and database URLs and keeps the rest as written', () => {
    expect(redactUrl('amqp://tap:s3cret@rabbit:5672/%2F')).toBe('amqp://tap:***@rabbit:5672/%2F');
    expect(redactUrl('postgresql://u:secret@h:5432/db?sslmode=require')).toBe('postgresql://u:***@h:5432/db?sslmode=require');
  });
  it('hides a password that holds an @ up to the host', () => {
    expect(redactUrl('amqp://tap:p@ss@rabbit/vh')).toBe('amqp://tap:***@rabbit/vh');
  });
  it('leaves URLs without a password exactly as given (SQLite paths stay relative)', () => {
    expect(redactUrl('file:./data/l2scope.db')).toBe('file:./data/l2scope.db');
    expect(redactUrl('postgresql://u@h/db')).toBe('postgresql://u@h/db');
  });
  it('says <url> for what does not parse, and hides a `:…@` of a URL without authority', () => {
    expect(redactUrl('not a url')).toBe('<url>');
    expect(redactUrl('user:pw@host')).toBe('user:***@host');
  });
});
