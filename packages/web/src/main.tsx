import { render } from 'preact';
import './styles.css';
import { App } from './state/app.js';
import { useStore } from './state/store.js';
import { Shell } from './ui/Shell.js';
import { SignIn } from './ui/SignIn.js';

const app = new App();

function Root() {
  const phase = useStore(app.store, (s) => s.phase);
  if (phase === 'starting')
    return (
      <div class="boot" role="status" aria-live="polite">
        <span class="spinner" aria-hidden="true" /> Signing in…
      </div>
    );
  return phase === 'signed-in' ? <Shell app={app} /> : <SignIn app={app} />;
}

window.addEventListener('popstate', () => {
  if (app.state.phase === 'signed-in') app.setView(location.pathname.startsWith('/admin') && app.state.user?.role === 'admin' ? 'admin' : 'im');
});

render(<Root />, document.getElementById('app')!);
void app.boot();
// For tests and debugging from the console.
(window as unknown as { parley: App }).parley = app;
