/**
 * A SIP softphone and the web client side by side: baresip (UDP, digest,
 * presence.so with PUBLISH) and Alice in Chromium (WSS, session cookie)
 * see each other's presence and exchange instant messages through Parley.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Baresip, skipUnlessBinaries, startParley } from '../harness/index.mjs';
import { addContact, contactRow, ensureWebBuilt, launchChromium, newUser, PASSWORD, shot, signIn, skipReason, waitOnline } from './browser.mjs';

const skip = skipReason() ?? (skipUnlessBinaries('baresip') || null);

describe('web client with a baresip softphone', { skip: skip ?? false, timeout: 90_000 }, () => {
  let parley;
  let browser;
  let erin;
  let alice;

  before(async () => {
    ensureWebBuilt();
    parley = await startParley();
    parley.cli(['user', 'add', 'alice@example.com', '--name', 'Alice Adams', '--password', PASSWORD]);
    parley.cli(['user', 'add', 'erin@example.com', '--name', 'Erin Evans', '--password', PASSWORD]);
    browser = await launchChromium();
  });

  after(async () => {
    try {
      await erin?.stop();
      await browser?.close();
    } finally {
      await parley?.stop();
    }
    if (alice) assert.deepEqual(alice.errors, [], 'browser errors');
  });

  test('presence both ways and IM both ways between baresip and the browser', async () => {
    erin = new Baresip({
      user: 'erin',
      password: PASSWORD,
      domain: 'example.com',
      proxy: `127.0.0.1:${parley.sipPort}`,
      transport: 'udp',
      presence: ['sip:alice@example.com'],
      pubint: 60,
    });
    await erin.start();
    await erin.setPresence('online');

    alice = await newUser(browser);
    await signIn(alice.page, `https://127.0.0.1:${parley.httpsPort}`, 'alice@example.com');
    await waitOnline(alice.page);
    await addContact(alice.page, 'Erin', 'erin@example.com');
    const erinRow = contactRow(alice.page, 'erin@example.com');

    // Each sees the other signed in.
    await erinRow.and(alice.page.locator('[data-state="available"]')).waitFor();
    await erin.waitContactPresence('sip:alice@example.com', /^Online$/, { timeoutMs: 10_000 });

    // Alice chooses Busy: the softphone shows Busy (RPID <busy/>).
    await alice.page.getByRole('button', { name: /^My status/ }).click();
    await alice.page.getByRole('menuitemradio', { name: 'Busy' }).click();
    await erin.waitContactPresence('sip:alice@example.com', /^Busy$/, { timeoutMs: 5000 });

    // IM from the phone to the browser, and back.
    await erin.sendMessage('sip:alice@example.com', 'Hi from the desk phone');
    const toast = alice.page.locator('.toast', { hasText: 'Hi from the desk phone' });
    await toast.waitFor();
    await toast.getByRole('button', { name: 'Reply' }).click();
    await alice.page.locator('.msg-received .msg-bubble', { hasText: 'Hi from the desk phone' }).waitFor();
    const box = alice.page.getByLabel('Message to Erin Evans');
    await box.fill('Hello baresip, this is the browser');
    await box.press('Enter');
    const got = await erin.waitMessage({ text: 'Hello baresip, this is the browser', timeoutMs: 10_000 });
    assert.match(got.from, /alice@example\.com/);
    await alice.page.locator('.msg-sent[data-status="delivered"]', { hasText: 'Hello baresip' }).waitFor();
    await shot(alice.page, '14-browser-with-baresip');

    // The phone goes offline: the browser shows Offline.
    await erin.setPresence('offline');
    await erinRow.and(alice.page.locator('[data-state="offline"]')).waitFor({ timeout: 5000 });
    assert.match(await erinRow.innerText(), /Offline/);
  });
});
