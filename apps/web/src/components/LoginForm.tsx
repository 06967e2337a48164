'use client';
/**
 * The sign-in form: user name (or e-mail) and password against Better Auth's routes
 * (`/api/auth/sign-in/username` or `/sign-in/email`), the error shown in place, then back to
 * `next`. With OIDC configured, a button for the site's identity provider. docs/auth.md
 */
import { type FormEvent, useState } from 'react';

/** Props: where to go once signed in (already checked to be a path of this site), and the OIDC button's label or null. */
export function LoginForm({ next, oidcLabel }: { next: string; oidcLabel: string | null }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const name = String(form.get('name') ?? '').trim();
    const password = String(form.get('password') ?? '');
    setBusy(true);
    setError(null);
    try {
      const byEmail = name.includes('@');
      const res = await fetch(`/api/auth/sign-in/${byEmail ? 'email' : 'username'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(byEmail ? { email: name, password } : { username: name, password }),
      });
      if (res.ok) {
        // a full load: the server renders the page with the new session
        window.location.assign(next);
        return;
      }
      if (res.status === 429) {
        const wait = res.headers.get('x-retry-after');
        setError(`Too many attempts: try again in ${wait ?? 'a few'} s.`);
      } else if (res.status === 401 || res.status === 400 || res.status === 422) {
        setError('Wrong user name or password.');
      } else {
        setError(`Sign-in failed (HTTP ${res.status}).`);
      }
    } catch (err) {
      setError(`Sign-in failed: ${(err as Error).message}`);
    }
    setBusy(false);
  }

  async function oidc() {
    setBusy(true);
    setError(null);
    const res = await fetch('/api/auth/sign-in/oauth2', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ providerId: 'oidc', callbackURL: next, errorCallbackURL: '/login' }),
    }).catch(() => null);
    const body = res?.ok ? ((await res.json()) as { url?: string }) : null;
    if (body?.url) window.location.assign(body.url);
    else {
      setError('Single sign-on is unavailable.');
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} data-testid="login-form">
        <h1>
          <span className="brand-name">l2scope</span> <span className="brand-sub">sign in</span>
        </h1>
        <label>
          User name or e-mail
          <input name="name" autoComplete="username" required autoFocus data-testid="login-name" />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required data-testid="login-password" />
        </label>
        {error && (
          <p className="login-error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <button type="submit" className="btn primary" disabled={busy} data-testid="login-submit">
          Sign in
        </button>
        {oidcLabel && (
          <button type="button" className="btn" onClick={oidc} disabled={busy} data-testid="login-oidc">
            {oidcLabel}
          </button>
        )}
      </form>
    </main>
  );
}
