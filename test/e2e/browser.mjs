/**
 * Shared pieces of the web client's end-to-end tests: Debian's Chromium
 * driven by playwright-core (never a downloaded browser), the built client
 * (packages/web/dist, built here once when missing), sign-in, screenshots.
 *
 * Everything talks to 127.0.0.1 only; every wait is bounded.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, which } from '../harness/index.mjs';

export const CHROMIUM = process.env.PARLEY_CHROMIUM ?? which('chromium') ?? which('chromium-browser');
export const WEB_DIST = join(REPO, 'packages', 'web', 'dist');
export const SHOTS = join(REPO, 'test-results', 'e2e');
export const PASSWORD = 'Secret-Pass-1234';

/** Why the browser tests cannot run here, or null. */
export function skipReason() {
  if (!CHROMIUM) return 'chromium is not installed (apt-get install chromium)';
  if (!existsSync(join(REPO, 'packages', 'server', 'dist', 'cli', 'main.js'))) return 'the server is not built (npm run build)';
  if (!existsSync(join(REPO, 'node_modules', 'playwright-core', 'package.json'))) return 'playwright-core is not installed (npm install)';
  if (!existsSync(join(REPO, 'node_modules', 'axe-core', 'axe.min.js'))) return 'axe-core is not installed (npm install)';
  return null;
}

/** Builds the web client when dist/ has no index.html (CI builds it before the tests). */
export function ensureWebBuilt() {
  if (existsSync(join(WEB_DIST, 'index.html'))) return;
  execFileSync('npm', ['run', 'build', '-w', 'packages/web'], { cwd: REPO, stdio: 'pipe', timeout: 120_000 });
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  // The server's certificate comes from a CA made for the test's data folder.
  '--ignore-certificate-errors',
];

export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/**
 * A fresh browser profile (context) with one page; console errors other than
 * failed resource loads (the expected 401 of GET /api/v1/me before sign-in)
 * and page errors are collected in `errors`.
 */
/**
 * End of a test file: closes the browser, stops the server (even if closing
 * failed), then fails if any page logged an error.
 */
export async function closeAll({ browser, parley, pages = [] }) {
  try {
    await browser?.close();
  } finally {
    await parley?.stop();
  }
  for (const p of pages) assert.deepEqual(p.errors, [], `browser errors on ${p.name}`);
}

export async function newUser(browser, { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width, height }, locale: 'en-GB', timezoneId: 'UTC' });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return { context, page, errors };
}

export async function signIn(page, base, address, password = PASSWORD) {
  if (!page.url().startsWith(base)) await page.goto(base);
  await page.getByLabel('Sign-in address').fill(address);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('region', { name: 'My status' }).waitFor({ timeout: 10_000 });
}

/** The SIP link is up (registered) as the page sees it. */
export async function waitOnline(page, timeout = 10_000) {
  await page.waitForFunction(() => window.parley?.state.link === 'online', null, { timeout });
}

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  // Let transitions settle, so the picture shows the state the test saw.
  await page.waitForTimeout(150);
  await page.screenshot({ path });
  return path;
}

/** The contact row of `address` in the contact list. */
export const contactRow = (page, address) => page.locator(`.contacts-pane li.contact[data-address="${address}"]`).first();

/** Adds `address` through the directory search, to the first group. */
export async function addContact(page, query, address) {
  const search = page.getByLabel('Find someone');
  await search.fill(query);
  const entry = page.locator(`.directory li[data-address="${address}"]`);
  await entry.getByRole('button', { name: /^Add / }).click();
  await page.getByRole('menuitem', { name: /^Add to / }).first().click();
  await entry.getByText('In contacts').waitFor();
  await search.fill('');
}

const AXE_SOURCE = (() => {
  try {
    return readFileSync(join(REPO, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  } catch {
    return null;
  }
})();

/**
 * axe-core (WCAG 2.x A/AA and best practices) over the page as it is now;
 * throws on serious or critical violations, naming each rule and element.
 * Lesser ones are returned (for the report), not failed on.
 */
export async function checkA11y(page, screen) {
  if (!AXE_SOURCE) throw new Error('axe-core is not installed (npm install -w packages/web)');
  // Evaluated over the DevTools protocol: the page's CSP (script-src 'self') stays as it is.
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(`${AXE_SOURCE}\n;void 0`);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1, 2).join('').trim()}`) }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length > 0) {
    throw new Error(`accessibility (${screen}): ${bad.map((v) => `\n  [${v.impact}] ${v.id}: ${v.help}\n    ${v.nodes.slice(0, 5).join('\n    ')}`).join('')}`);
  }
  return violations;
}

/** Presses Tab (Shift+Tab when `back`) until the focused element matches `selector`; keyboard only. */
export async function tabTo(page, selector, { back = false, max = 60 } = {}) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}
