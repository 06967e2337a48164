'use client';
/** The signed-in user of the page (from the server's session check), the header's user chip and sign-out. */
import { createContext, useContext, useState } from 'react';
import type { ReactNode } from 'react';

/** The user as the browser sees it: what the (app) layout hands down (no id, no secret). */
export interface PageUser {
  name: string;
  role: 'viewer' | 'operator' | 'admin';
  anonymous: boolean;
}

const UserContext = createContext<PageUser | null>(null);

/** Provides the page's user to the header and to controls that depend on the role. */
export function SessionUserProvider({ user, children }: { user: PageUser; children: ReactNode }) {
  return <UserContext.Provider value={user}>{children}</UserContext.Provider>;
}

/** The page's user, or null outside the (app) layout. */
export function usePageUser(): PageUser | null {
  return useContext(UserContext);
}

/** The header's user chip: name, role, and a sign-out button (a sign-in link for the anonymous viewer). */
export function UserChip() {
  const user = usePageUser();
  const [busy, setBusy] = useState(false);
  if (!user) return null;
  async function signOut() {
    setBusy(true);
    try {
      await fetch('/api/auth/sign-out', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    } finally {
      window.location.assign('/login');
    }
  }
  return (
    <div className="user-chip" data-testid="user-chip" data-role={user.role}>
      <span className="user-name" data-testid="user-name">
        {user.name}
      </span>
      <span className="pill" data-testid="user-role">
        {user.role}
      </span>
      {user.anonymous ? (
        <a className="btn" href="/login" data-testid="sign-in">
          Sign in
        </a>
      ) : (
        <button type="button" className="btn" onClick={signOut} disabled={busy} data-testid="sign-out">
          Sign out
        </button>
      )}
    </div>
  );
}
