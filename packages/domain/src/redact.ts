/**
 * Credentials out of what l2scope prints: broker and database URLs in logs and error messages.
 */

/**
 * `url` with its password replaced by `***`, otherwise exactly as given (a SQLite `file:./x.db`
 * stays as written). The password is everything between `user:` and the last `@` of the authority.
 * Input that does not parse as a URL becomes `<url>`: it may hold a password we cannot locate;
 * one without `//` (`user:pw@host`) gets its `:…@` hidden.
 * E.g. `amqp://tap:s3cret@rabbit:5672/%2F` -> `amqp://tap:***@rabbit:5672/%2F`. Never throws.
 */
export function redactUrl(url: string): string {
  let password: string;
  try {
    password = new URL(url).password;
  } catch {
    return '<url>';
  }
  if (password) return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^/?#]*@/i, '$1***@');
  // no authority (`user:pw@host` parses as scheme `user:`): a `:...@` may still be a password
  return url.includes('://') ? url : url.replace(/:[^:@/]*@/, ':***@');
}
