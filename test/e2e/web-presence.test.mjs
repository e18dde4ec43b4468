/**
 * The web client end to end, second part: my own state across devices,
 * automatic Inactive → Away, contact management, and keyboard-only use.
 * A real `parley serve` with short idle times (Inactive after 2 s idle,
 * Away 2 s later), Debian's Chromium, one browser profile per device.
 *
 *  1. Alice signed in in two profiles: Busy and a note picked in one show
 *     as her status in the other within 2 s, and the other way.
 *  2. Erin's page goes idle (client idle time shortened): Bob sees her
 *     Inactive, then Away, then Available again on input.
 *  3. Contact management: a new group, a contact moved into it, the group
 *     renamed, the contact Blocked (he then sees Alice Offline), removed.
 *  4. Keyboard only: sign in, open a contact, send an IM, Do Not Disturb.
 *
 * Setup (users, contact lists) goes through the CLI and the REST API;
 * what is tested goes through the page. Screenshots: test-results/e2e/.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { startParley } from '../harness/index.mjs';
import { checkA11y, contactRow, ensureWebBuilt, launchChromium, newUser, PASSWORD, shot, signIn, skipReason, tabTo, waitOnline, closeAll } from './browser.mjs';

const skip = skipReason();

describe('web client: presence, contacts, keyboard', { skip: skip ?? false, timeout: 90_000 }, () => {
  let parley;
  let browser;
  let base;
  const pages = [];
  const tokens = new Map();

  /** REST as `address` (bearer token), for setting up contact lists. */
  async function rest(address, method, path, body) {
    if (!tokens.has(address)) tokens.set(address, (await call('POST', '/api/v1/session', { address, password: PASSWORD })).token);
    return call(method, path, body, { authorization: `Bearer ${tokens.get(address)}` });
  }
  function call(method, path, body, headers = {}) {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request(`${base}${path}`, { method, rejectUnauthorized: false, timeout: 10_000, headers: { ...(data ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => (res.statusCode >= 300 ? reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`)) : resolve(text ? JSON.parse(text) : undefined)));
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(data);
    });
  }
  const open = async (name, o) => {
    const u = { name, ...(await newUser(browser, o)) };
    pages.push(u);
    return u;
  };
  const myState = (page) => page.getByRole('region', { name: 'My status' });

  before(async () => {
    ensureWebBuilt();
    parley = await startParley({ env: { PARLEY_PRESENCE_INACTIVE_AFTER_SECONDS: '2', PARLEY_PRESENCE_AWAY_AFTER_SECONDS: '2' } });
    for (const [u, name] of [['alice', 'Alice Adams'], ['bob', 'Bob Brown'], ['carol', 'Carol Clark'], ['erin', 'Erin Evans']]) {
      parley.cli(['user', 'add', `${u}@example.com`, '--name', name, '--password', PASSWORD]);
    }
    base = `https://127.0.0.1:${parley.httpsPort}`;
    await Promise.all([
      rest('alice@example.com', 'POST', '/api/v1/me/contacts', { address: 'bob@example.com' }),
      rest('bob@example.com', 'POST', '/api/v1/me/contacts', { address: 'alice@example.com' }),
      rest('bob@example.com', 'POST', '/api/v1/me/contacts', { address: 'erin@example.com' }),
      rest('carol@example.com', 'POST', '/api/v1/me/contacts', { address: 'alice@example.com' }),
    ]);
    browser = await launchChromium();
  });

  after(() => closeAll({ browser, parley, pages }));

  let alice1;
  let alice2;
  let bob;

  test('1: my own state is the aggregate: Busy and a note picked on one device show on the other within 2 s', async () => {
    [alice1, alice2, bob] = await Promise.all([open('alice-1'), open('alice-2'), open('bob')]);
    await Promise.all([signIn(alice1.page, base, 'alice@example.com'), signIn(alice2.page, base, 'alice@example.com'), signIn(bob.page, base, 'bob@example.com')]);
    await Promise.all([waitOnline(alice1.page), waitOnline(alice2.page), waitOnline(bob.page)]);
    await myState(alice2.page).and(alice2.page.locator('[data-state="available"]')).waitFor();

    await alice1.page.getByRole('button', { name: /^My status/ }).click();
    const t0 = Date.now();
    await alice1.page.getByRole('menuitemradio', { name: 'Busy' }).click();
    await myState(alice2.page).and(alice2.page.locator('[data-state="busy"]')).waitFor({ timeout: 2000 });
    const busyAfter = Date.now() - t0;
    assert.match(await alice2.page.getByRole('button', { name: /^My status/ }).innerText(), /Busy/);
    // The other device adopts the choice: its menu ticks Busy.
    await alice2.page.waitForFunction(() => window.parley.state.my.status === 'busy', null, { timeout: 2000 });

    await alice1.page.getByLabel('Personal note').fill('Working from Lisbon');
    const t1 = Date.now();
    await alice1.page.getByLabel('Personal note').press('Enter');
    await alice2.page.waitForFunction(() => document.getElementById('my-note')?.value === 'Working from Lisbon', null, { timeout: 2000 });
    const noteAfter = Date.now() - t1;
    assert.ok(busyAfter < 2000 && noteAfter < 2000, `Busy after ${busyAfter} ms, note after ${noteAfter} ms`);
    await contactRow(bob.page, 'alice@example.com').and(bob.page.locator('[data-state="busy"]')).waitFor();
    await shot(alice2.page, '20-my-status-from-other-device');
    await checkA11y(alice2.page, 'contacts (second device)');

    // And back the other way: Be Right Back on the second device.
    await alice2.page.getByRole('button', { name: /^My status/ }).click();
    await alice2.page.getByRole('menuitemradio', { name: 'Be Right Back' }).click();
    await myState(alice1.page).and(alice1.page.locator('[data-state="brb"]')).waitFor({ timeout: 2000 });
    await contactRow(bob.page, 'alice@example.com').and(bob.page.locator('[data-state="brb"]')).waitFor({ timeout: 2000 });
    await alice2.context.close();
    pages.splice(pages.indexOf(alice2), 1);
    assert.deepEqual(alice2.errors, []);
  });

  test('2: idle: a watcher sees Inactive, then Away, then Available again on input', async () => {
    const erin = await open('erin');
    await erin.context.addInitScript(() => localStorage.setItem('parley.idleAfterMs', '600'));
    await signIn(erin.page, base, 'erin@example.com');
    await waitOnline(erin.page);
    const row = contactRow(bob.page, 'erin@example.com');
    const seen = [];
    const t0 = Date.now();
    for (const [state, text] of [['inactive', 'Inactive'], ['away', 'Away']]) {
      await row.and(bob.page.locator(`[data-state="${state}"]`)).waitFor({ timeout: 8000 });
      assert.match(await row.innerText(), new RegExp(text));
      seen.push(`${text} after ${Date.now() - t0} ms`);
    }
    await shot(bob.page, '21-watcher-sees-idle-away');
    // Erin's own status area shows the server's state too.
    await myState(erin.page).and(erin.page.locator('[data-state="away"]')).waitFor({ timeout: 2000 });
    await erin.page.keyboard.press('Shift');
    await row.and(bob.page.locator('[data-state="available"]')).waitFor({ timeout: 3000 });
    await myState(erin.page).and(erin.page.locator('[data-state="available"]')).waitFor({ timeout: 2000 });
    console.log(`# idle: ${seen.join(', ')}`);
    await erin.context.close();
    pages.splice(pages.indexOf(erin), 1);
    assert.deepEqual(erin.errors, []);
  });

  test('3: contact management: new group, move a contact, rename, Blocked (he sees me Offline), remove', async () => {
    const page = alice1.page;
    const bobRow = contactRow(page, 'bob@example.com');
    // Alice is Available again so that Bob can see the change to Offline.
    await page.getByRole('button', { name: /^My status/ }).click();
    await page.getByRole('menuitemradio', { name: 'Available' }).click();
    await contactRow(bob.page, 'alice@example.com').and(bob.page.locator('[data-state="available"]')).waitFor({ timeout: 3000 });

    await page.getByRole('button', { name: 'New group' }).click();
    let dialog = page.getByRole('dialog', { name: 'New group' });
    await dialog.getByLabel('Group name').fill('Project Falcon');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const group = (name) => page.getByRole('region', { name: new RegExp(`^${name}`) });
    await group('Project Falcon').waitFor();
    await group('Project Falcon').getByText('No contacts in this group.').waitFor();

    await bobRow.getByRole('button', { name: 'More options for Bob Brown' }).click();
    await page.getByRole('menuitem', { name: 'View contact card' }).click();
    dialog = page.getByRole('dialog', { name: 'Contact card' });
    await dialog.getByLabel('Group').selectOption({ label: 'Project Falcon' });
    await group('Project Falcon').locator('li.contact[data-address="bob@example.com"]').waitFor();
    await shot(page, '22-contact-card');
    await checkA11y(page, 'contact card');
    await dialog.getByRole('button', { name: 'Close' }).click();

    await group('Project Falcon').getByRole('button', { name: 'Options for group Project Falcon' }).click();
    await page.getByRole('menuitem', { name: 'Rename group' }).click();
    dialog = page.getByRole('dialog', { name: 'Rename group' });
    await dialog.getByLabel('Group name').fill('Project Osprey');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await group('Project Osprey').locator('li.contact[data-address="bob@example.com"]').waitFor();
    assert.equal(await group('Project Falcon').count(), 0);

    // Blocked: Bob then sees Alice Offline.
    await bobRow.getByRole('button', { name: 'More options for Bob Brown' }).click();
    await page.getByRole('menuitem', { name: 'View contact card' }).click();
    dialog = page.getByRole('dialog', { name: 'Contact card' });
    await dialog.getByLabel('Privacy relationship').selectOption('blocked');
    await dialog.getByText('Sees you as Offline').waitFor();
    await contactRow(bob.page, 'alice@example.com').and(bob.page.locator('[data-state="offline"]')).waitFor({ timeout: 3000 });
    await dialog.getByRole('button', { name: 'Close' }).click();
    await shot(bob.page, '23-blocked-sees-offline');
    const rels = await rest('alice@example.com', 'GET', '/api/v1/me/contacts');
    assert.equal(rels.contacts.find((c) => c.address === 'bob@example.com')?.relationship, 'blocked');

    // Remove.
    await bobRow.getByRole('button', { name: 'More options for Bob Brown' }).click();
    await page.getByRole('menuitem', { name: 'Remove from contacts' }).click();
    await bobRow.waitFor({ state: 'detached' });
    const after = await rest('alice@example.com', 'GET', '/api/v1/me/contacts');
    assert.equal(after.contacts.length, 0);
    assert.deepEqual(after.groups.map((g) => g.name).sort(), ['Other Contacts', 'Project Osprey'].sort());
  });

  test('4: keyboard only: sign in, open a contact, send an IM, Do Not Disturb', async () => {
    const carol = await open('carol');
    const page = carol.page;
    await page.goto(base);
    await page.getByLabel('Sign-in address').waitFor();
    await tabTo(page, '#signin-address, input[autocomplete="username"]');
    await page.keyboard.type('carol@example.com');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await myState(page).waitFor();
    await waitOnline(page);
    await checkA11y(page, 'contacts (carol)');

    // The contact list: Tab to Alice's row, Enter opens the conversation with the composer focused.
    await tabTo(page, '.contacts-pane li.contact[data-address="alice@example.com"] .contact-main');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Alice Adams' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'composer-input');
    await page.keyboard.type('Hello from the keyboard');
    await page.keyboard.press('Enter');
    await page.locator('.msg-sent[data-status="delivered"]', { hasText: 'Hello from the keyboard' }).waitFor();
    await alice1.page.locator('.toast', { hasText: 'Hello from the keyboard' }).waitFor();

    // My status: Shift+Tab back to the status button, open with ArrowDown, move to Do Not Disturb, Enter.
    await tabTo(page, 'button.status-button', { back: true });
    await page.keyboard.press('ArrowDown');
    for (let i = 0; i < 8; i++) {
      if ((await page.evaluate(() => document.activeElement?.textContent ?? '')).includes('Do Not Disturb')) break;
      await page.keyboard.press('ArrowDown');
    }
    await page.keyboard.press('Enter');
    await myState(page).and(page.locator('[data-state="dnd"]')).waitFor({ timeout: 3000 });
    assert.match(await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? ''), /^My status: Do Not Disturb/);
    await shot(page, '24-keyboard-dnd');
  });
});
