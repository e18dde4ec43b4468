#!/usr/bin/env node
// Web client first-paint benchmark (a benchmark, not a timed test).
//
// A real `parley serve`; user0@example.com with 100 contacts (user1..user100),
// of whom 50 are signed in (registered by SIPp) and so Available. Debian's
// Chromium, driven by playwright-core, opens the client:
//
//   returning  the session cookie is already there (a reload): navigation
//              start -> 100 contact rows shown, each with its presence, the 50
//              signed-in ones Available;
//   sign-in    a fresh profile: navigation start -> form filled by script and
//              submitted -> the same list (includes the scrypt work of sign-in);
//   sip        navigation start -> the SIP link registered and the list
//              subscription's first NOTIFY applied (presence live).
//
//   anchor     in the same browser and run: navigation start -> load event of
//              `/healthz` (one small JSON document from the same server): what
//              any page costs here before the client does anything.
//
// Prints median / min / max over the runs, the ratio to the anchor and to the
// issue's bar (1 s), plus the first load's gzip size from packages/web/dist.
//
// Usage: node bench/web/run.mjs [--runs 7]   (builds packages/web when dist is missing)
import { startParley, importUsers, registerUsers } from '../../test/harness/index.mjs';
import { CHROMIUM, ensureWebBuilt, launchChromium, newUser, PASSWORD, WEB_DIST } from '../../test/e2e/browser.mjs';
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 7;
const CONTACTS = 100;
const ONLINE = 50;
const BAR_MS = 1000;

if (!CHROMIUM) {
  console.error('bench/web: chromium is not installed');
  process.exit(2);
}
ensureWebBuilt();
console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const size = execFileSync(process.execPath, [join(WEB_DIST, '..', 'scripts', 'size-report.mjs')], { encoding: 'utf8' });
console.log(size.trim().split('\n').slice(-1)[0].replace(/^\s+total\s+/, 'first load: '));

const parley = await startParley({
  env: { PARLEY_SECURITY_REQUESTS_PER_CONNECTION_PER_SECOND: '1000000', PARLEY_SECURITY_AUTH_FAILURES_PER_SOURCE_PER_MINUTE: '1000000' },
});
const base = `https://127.0.0.1:${parley.httpsPort}`;
let browser;
try {
  importUsers(parley.dataDir, { count: CONTACTS + 1, password: PASSWORD });
  // user0's contact list, through the REST API with a bearer token.
  const session = await fetchJson('POST', '/api/v1/session', { address: 'user0@example.com', password: PASSWORD });
  const auth = { authorization: `Bearer ${session.token}` };
  for (let i = 1; i <= CONTACTS; i++) await fetchJson('POST', '/api/v1/me/contacts', { address: `user${i}@example.com` }, auth);
  await registerUsers({ remote: `127.0.0.1:${parley.sipPort}`, count: ONLINE, start: 1, prefix: 'user', password: PASSWORD, domain: 'example.com' });

  browser = await launchChromium();
  const { page, context } = await newUser(browser);
  const listShown = () =>
    page.waitForFunction(
      ([n, online]) => {
        const rows = document.querySelectorAll('.contacts-pane li.contact[data-state]');
        if (rows.length < n) return false;
        let avail = 0;
        for (const r of rows) if (r.getAttribute('data-state') === 'available') avail++;
        return avail >= online ? performance.now() : false;
      },
      [CONTACTS, ONLINE],
      { polling: 'raf', timeout: 20_000 },
    );
  const sipLive = () => page.waitForFunction(() => (window.parley?.state.link === 'online' ? performance.now() : false), null, { polling: 'raf', timeout: 20_000 });

  // Sign-in path (fresh profile each time: a new context).
  const signInTimes = [];
  for (let i = 0; i < Math.max(3, Math.floor(runs / 2)); i++) {
    const u = await newUser(browser);
    await u.page.goto(base);
    await u.page.getByLabel('Sign-in address').fill('user0@example.com');
    await u.page.getByLabel('Password').fill(PASSWORD);
    await u.page.getByRole('button', { name: 'Sign in' }).click();
    const h = await u.page.waitForFunction(
      ([n]) => document.querySelectorAll('.contacts-pane li.contact[data-state]').length >= n && performance.now(),
      [CONTACTS],
      { polling: 'raf', timeout: 20_000 },
    );
    signInTimes.push(await h.jsonValue());
    await u.context.close();
  }

  // Returning user: the cookie is set once, then each run is a fresh navigation.
  await page.goto(base);
  await page.getByLabel('Sign-in address').fill('user0@example.com');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await listShown();
  const returning = [];
  const sip = [];
  const anchor = [];
  for (let i = 0; i < runs; i++) {
    await page.goto('about:blank');
    await page.goto(`${base}/healthz`, { waitUntil: 'load' });
    anchor.push(await page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd));
    await page.goto('about:blank');
    await page.goto(base, { waitUntil: 'commit' });
    const [a, b] = await Promise.all([listShown(), sipLive()]);
    returning.push(await a.jsonValue());
    sip.push(await b.jsonValue());
  }
  await context.close();

  const stat = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
  };
  const anchorMedian = stat(anchor).median;
  const line = (label, xs) => {
    const { median, min, max } = stat(xs);
    console.log(
      `${label.padEnd(52)} median ${median.toFixed(0).padStart(5)} ms  min ${min.toFixed(0).padStart(5)}  max ${max.toFixed(0).padStart(5)}` +
        `  (/ anchor = ${(median / anchorMedian).toFixed(1)}; / 1 s bar = ${(median / BAR_MS).toFixed(2)})`,
    );
  };
  console.log(`\n${CONTACTS} contacts, ${ONLINE} signed in; Chromium ${execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()}; ${runs} runs`);
  line('anchor: open /healthz (same server, same browser)', anchor);
  line('returning user: open -> list with presence', returning);
  line('returning user: open -> SIP registered + subscribed', sip);
  line('new profile: open + sign in -> list with presence', signInTimes);
} finally {
  await browser?.close();
  await parley.stop();
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

async function fetchJson(method, path, body, headers = {}) {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${base}${path}`,
      { method, rejectUnauthorized: false, headers: { ...(data ? { 'content-type': 'application/json' } : {}), ...headers } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => (res.statusCode >= 300 ? reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`)) : resolve(text ? JSON.parse(text) : undefined)));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}
