import { useState } from 'preact/hooks';
import type { App } from '../state/app.js';
import { useStore } from '../state/store.js';
import { Logo } from './icons.js';

export function SignIn({ app }: { app: App }) {
  const error = useStore(app.store, (s) => s.signInError);
  const [address, setAddress] = useState(() => localStorage.getItem('parley.lastAddress') ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <main class="signin">
      <div class="signin-card">
        <div class="signin-brand">
          <Logo size={44} />
          <div>
            <h1>Parley</h1>
            <p class="muted">Messages, presence and meetings for your organization</p>
          </div>
        </div>
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            localStorage.setItem('parley.lastAddress', address.trim());
            await app.signIn(address, password);
            setBusy(false);
            setPassword('');
          }}
          aria-describedby={error ? 'signin-error' : undefined}
        >
          <label for="signin-address">Sign-in address</label>
          <input
            id="signin-address"
            name="address"
            type="email"
            autoComplete="username"
            placeholder="you@example.com"
            required
            autoFocus={!address}
            value={address}
            onInput={(e) => setAddress(e.currentTarget.value)}
          />
          <label for="signin-password">Password</label>
          <input
            id="signin-password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            autoFocus={!!address}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          {error && (
            <p id="signin-error" class="form-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="primary wide" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
