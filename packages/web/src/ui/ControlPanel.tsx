/** The Control Panel (administrators): users, who is signed in where, server status. */
import { useEffect, useState } from 'preact/hooks';
import { api, describeError, type Registration, type ServerStatus, type User } from '../api.js';
import type { App } from '../state/app.js';
import { formatTime, Modal } from './common.js';
import { PeopleIcon, PlusIcon, SearchIcon } from './icons.js';

type Section = 'users' | 'devices' | 'status';

export function ControlPanel({ app }: { app: App }) {
  const [section, setSection] = useState<Section>('users');
  const tabs: Array<[Section, string]> = [
    ['users', 'Users'],
    ['devices', 'Signed-in devices'],
    ['status', 'Server status'],
  ];
  return (
    <main class="admin" aria-labelledby="admin-title">
      <div class="admin-head">
        <h1 id="admin-title">Control Panel</h1>
        <div class="tabs" role="tablist" aria-label="Control Panel sections">
          {tabs.map(([id, label]) => (
            <button key={id} type="button" role="tab" id={`admin-tab-${id}`} aria-selected={section === id} aria-controls="admin-panel" onClick={() => setSection(id)}>
              {label}
            </button>
          ))}
        </div>
      </div>
      <div id="admin-panel" role="tabpanel" aria-labelledby={`admin-tab-${section}`} class="admin-panel">
        {section === 'users' && <Users app={app} />}
        {section === 'devices' && <Devices />}
        {section === 'status' && <Status />}
      </div>
    </main>
  );
}

function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: string | undefined; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => {
        if (live) {
          setData(d);
          setError(undefined);
        }
      },
      (e) => live && setError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [...deps, n]);
  return { data, error, reload: () => setN((x) => x + 1) };
}

function Users({ app }: { app: App }) {
  const [q, setQ] = useState('');
  const [debounced, setDebounced] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setDebounced(q.trim()), 200);
    return () => clearTimeout(t);
  }, [q]);
  const { data, error, reload } = useLoad(() => api.admin.users(debounced, 100), [debounced]);
  const [create, setCreate] = useState(false);
  const [devicesOf, setDevicesOf] = useState<User | undefined>();
  const [reset, setReset] = useState<User | undefined>();
  const me = app.state.user?.address;

  const toggle = async (u: User) => {
    try {
      await api.admin.patchUser(u.address, { enabled: !u.enabled });
      app.toast('info', u.enabled ? 'User disabled' : 'User enabled', `${u.address} ${u.enabled ? 'can no longer sign in; their sessions ended.' : 'can sign in again.'}`);
      reload();
    } catch (e) {
      app.toast('error', 'Could not change the user', describeError(e));
    }
  };

  return (
    <section aria-labelledby="users-title">
      <div class="toolbar">
        <h2 id="users-title" class="visually-hidden">
          Users
        </h2>
        <div class="search admin-search">
          <SearchIcon />
          <label class="visually-hidden" for="user-search">
            Search users
          </label>
          <input id="user-search" type="search" placeholder="Search by name or SIP address" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </div>
        <button type="button" class="primary" onClick={() => setCreate(true)}>
          <PlusIcon size={16} /> New user
        </button>
      </div>
      <FormError error={error} />
      {data && (
        <p class="muted" aria-live="polite">
          {data.total === 1 ? '1 user' : `${data.total} users`}
          {debounced && ` matching “${debounced}”`}
          {data.total > data.users.length && ` (showing ${data.users.length})`}
        </p>
      )}
      <div class="table-wrap">
        <table class="users-table">
          <caption class="visually-hidden">Users</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">SIP address</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data?.users.map((u) => (
              <tr key={u.address} data-address={u.address}>
                <td data-label="Name">{u.displayName ?? '—'}</td>
                <td data-label="SIP address">{u.address}</td>
                <td data-label="Role">{u.role === 'admin' ? 'Administrator' : 'User'}</td>
                <td data-label="Status">
                  <span class={`tag ${u.enabled ? 'tag-ok' : 'tag-off'}`}>{u.enabled ? 'Enabled' : 'Disabled'}</span>
                </td>
                <td class="actions">
                  <button type="button" class="small-button" onClick={() => setDevicesOf(u)} aria-label={`Devices of ${u.address}`}>
                    Devices
                  </button>
                  <button type="button" class="small-button" onClick={() => setReset(u)} aria-label={`Reset password of ${u.address}`}>
                    Reset password
                  </button>
                  <button type="button" class="small-button" disabled={u.address === me && u.enabled} onClick={() => void toggle(u)} aria-label={`${u.enabled ? 'Disable' : 'Enable'} ${u.address}`}>
                    {u.enabled ? 'Disable' : 'Enable'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {create && (
        <CreateUser
          onClose={() => setCreate(false)}
          onCreated={() => {
            reload();
          }}
        />
      )}
      {devicesOf && (
        <Modal title={`Devices of ${devicesOf.displayName ?? devicesOf.address}`} onClose={() => setDevicesOf(undefined)} wide>
          <RegistrationTable address={devicesOf.address} />
        </Modal>
      )}
      {reset && <ResetPassword user={reset} onClose={() => setReset(undefined)} />}
    </section>
  );
}

function CreateUser({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const [address, setAddress] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [generate, setGenerate] = useState(false);
  const [admin, setAdmin] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState<{ user: User; password?: string } | undefined>();
  const [busy, setBusy] = useState(false);
  if (done) {
    return (
      <Modal title="User created" onClose={onClose}>
        <p role="status">
          <strong>{done.user.address}</strong> can now sign in.
        </p>
        {done.password && <ShownOnce id="new-password-shown" label="Password (shown this once)" value={done.password} />}
        <DoneButton onClose={onClose} />
      </Modal>
    );
  }
  return (
    <Modal title="New user" onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            const r = await api.admin.createUser({
              address: address.trim(),
              ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
              ...(generate ? { generatePassword: true } : { password }),
              role: admin ? 'admin' : 'user',
            });
            setDone(r);
            onCreated();
          } catch (err) {
            setError(describeError(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <div class="field">
          <label for="new-address">SIP address</label>
          <input id="new-address" type="email" required placeholder="name@example.com" value={address} onInput={(e) => setAddress(e.currentTarget.value)} autoFocus />
        </div>
        <div class="field">
          <label for="new-name">Display name</label>
          <input id="new-name" value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} />
        </div>
        <div class="field check">
          <input id="new-generate" type="checkbox" checked={generate} onChange={(e) => setGenerate(e.currentTarget.checked)} />
          <label for="new-generate">Generate a password</label>
        </div>
        {!generate && (
          <div class="field">
            <label for="new-password">Password</label>
            <input id="new-password" type="password" autoComplete="new-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          </div>
        )}
        <div class="field check">
          <input id="new-admin" type="checkbox" checked={admin} onChange={(e) => setAdmin(e.currentTarget.checked)} />
          <label for="new-admin">Administrator</label>
        </div>
        <FormError error={error} />
        <div class="modal-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create user'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** A generated password, shown once, selected on focus for copying. */
function ShownOnce({ id, label, value }: { id: string; label: string; value: string }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} readOnly class="mono" value={value} onFocus={(e) => e.currentTarget.select()} />
    </div>
  );
}

function DoneButton({ onClose }: { onClose: () => void }) {
  return (
    <div class="modal-actions">
      <button type="button" class="primary" onClick={onClose}>
        Done
      </button>
    </div>
  );
}

/** A form's error, announced by screen readers. */
function FormError({ error }: { error: string | undefined }) {
  return error ? (
    <p class="form-error" role="alert">
      {error}
    </p>
  ) : null;
}

function ResetPassword({ user, onClose }: { user: User; onClose: () => void }) {
  const [password, setPassword] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <Modal title="Reset password" onClose={onClose}>
      {password ? (
        <>
          <p role="status">The password of {user.address} was reset; their sessions ended.</p>
          <ShownOnce id="reset-shown" label="New password (shown this once)" value={password} />
          <DoneButton onClose={onClose} />
        </>
      ) : (
        <>
          <p>
            Give <strong>{user.address}</strong> a new generated password? They will be signed out everywhere.
          </p>
          <FormError error={error} />
          <div class="modal-actions">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button
              type="button"
              class="primary"
              disabled={busy}
              onClick={async () => {
                setBusy(true);
                try {
                  const r = await api.admin.resetPassword(user.address);
                  setPassword(r.password ?? '');
                } catch (e) {
                  setError(describeError(e));
                } finally {
                  setBusy(false);
                }
              }}
            >
              Reset password
            </button>
          </div>
        </>
      )}
    </Modal>
  );
}

function transportLabel(r: Registration): string {
  return r.transport.toUpperCase();
}

function RegistrationTable({ address }: { address?: string }) {
  const { data, error, reload } = useLoad(() => api.admin.registrations(address), [address]);
  useEffect(() => {
    const t = setInterval(reload, 10_000);
    return () => clearInterval(t);
  }, []);
  if (error) return <FormError error={error} />;
  if (!data) return <p class="muted">Loading…</p>;
  if (data.registrations.length === 0) return <p class="muted">{address ? `${address} is not signed in on any device.` : 'No one is signed in.'}</p>;
  return (
    <div class="table-wrap">
      <table class="devices-table">
        <caption class="visually-hidden">Signed-in devices</caption>
        <thead>
          <tr>
            {!address && <th scope="col">User</th>}
            <th scope="col">Device</th>
            <th scope="col">Transport</th>
            <th scope="col">From</th>
            <th scope="col">Signed in</th>
            <th scope="col">Expires in</th>
          </tr>
        </thead>
        <tbody>
          {data.registrations.map((r) => (
            <tr key={`${r.address}-${r.contact}`}>
              {!address && <td data-label="User">{r.address}</td>}
              <td data-label="Device">{r.userAgent ?? 'Unknown device'}</td>
              <td data-label="Transport">{transportLabel(r)}</td>
              <td data-label="From" class="mono">
                {r.remoteAddress}:{r.remotePort}
              </td>
              <td data-label="Signed in">{formatTime(Date.parse(r.registeredAt))}</td>
              <td data-label="Expires in">{Math.max(0, Math.round(r.expiresInS / 60))} min</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Devices() {
  return (
    <section aria-labelledby="devices-title">
      <h2 id="devices-title" class="section-h">
        <PeopleIcon /> Who is signed in
      </h2>
      <RegistrationTable />
    </section>
  );
}

function duration(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d} d ${h} h` : h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min` : `${Math.floor(s)} s`;
}

function Status() {
  const { data, error, reload } = useLoad<ServerStatus>(() => api.admin.status(), []);
  useEffect(() => {
    const t = setInterval(reload, 5000);
    return () => clearInterval(t);
  }, []);
  if (error) return <FormError error={error} />;
  if (!data) return <p class="muted">Loading…</p>;
  const tiles: Array<[string, string, string?]> = [
    ['Version', data.version],
    ['Up for', duration(data.uptimeS), `since ${new Date(data.startedAt).toLocaleString()}`],
    ['Users', String(data.users.total), `${data.users.enabled} enabled, ${data.users.admins} administrator${data.users.admins === 1 ? '' : 's'}`],
    ['Domains', String(data.domains)],
    ['Signed-in devices', String(data.registrations.live)],
    ['Active transactions', String(data.transactionsActive)],
    ['Ports', `${data.ports.sip} / ${data.ports.sips}`, `SIP / SIPS; HTTPS ${data.ports.https}`],
  ];
  return (
    <section aria-labelledby="status-title">
      <h2 id="status-title" class="section-h">
        <span class="dot dot-available" aria-hidden="true" /> Server is running
      </h2>
      <dl class="tiles">
        {tiles.map(([k, v, sub]) => (
          <div class="tile" key={k}>
            <dt>{k}</dt>
            <dd>
              <span class="tile-value">{v}</span>
              {sub && <span class="muted small">{sub}</span>}
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
