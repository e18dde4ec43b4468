/**
 * The web client end to end: a real `parley serve`, Debian's Chromium, one
 * browser profile per user.
 *
 *  1. Two users add each other from the directory and see each other
 *     Available; Bob sets Busy with a note and Alice sees both within 2 s;
 *     an IM goes each way with the typing indicator shown; a message to a
 *     closed conversation raises a notification and an unread count; after
 *     a reload Alice is still signed in and the history is there.
 *  2. The administrator creates a user in the Control Panel; that user signs
 *     in from a new profile and shows up under its devices; disabling the
 *     user signs that browser out.
 *  3. Network loss and a server restart: the client says "Reconnecting…",
 *     comes back by itself, and presence flows again both ways.
 *
 * Screenshots of each main screen go to test-results/e2e/; axe-core checks
 * each (checkA11y: fails on serious or critical violations).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startParley } from '../harness/index.mjs';
import { addContact, checkA11y, contactRow, ensureWebBuilt, launchChromium, newUser, PASSWORD, shot, signIn, skipReason, waitOnline, closeAll } from './browser.mjs';

const skip = skipReason();

describe('web client', { skip: skip ?? false, timeout: 120_000 }, () => {
  let parley;
  let browser;
  let base;
  let alice;
  let bob;
  const pages = [];

  before(async () => {
    ensureWebBuilt();
    parley = await startParley();
    parley.cli(['user', 'add', 'alice@example.com', '--admin', '--name', 'Alice Adams', '--password', PASSWORD]);
    parley.cli(['user', 'add', 'bob@example.com', '--name', 'Bob Brown', '--password', PASSWORD]);
    base = `https://127.0.0.1:${parley.httpsPort}`;
    browser = await launchChromium();
  });

  after(() => closeAll({ browser, parley, pages }));

  test('1: presence both ways, note within 2 s, IM each way with typing, background notification, history after reload', async () => {
    alice = { name: 'alice', ...(await newUser(browser)) };
    bob = { name: 'bob', ...(await newUser(browser)) };
    pages.push(alice, bob);

    // A wrong password is refused visibly.
    await alice.page.goto(base);
    await alice.page.getByLabel('Sign-in address').fill('alice@example.com');
    await alice.page.getByLabel('Password').fill('not-the-password');
    await alice.page.getByRole('button', { name: 'Sign in' }).click();
    await alice.page.getByRole('alert').filter({ hasText: 'sign-in address or password is not right' }).waitFor();
    await shot(alice.page, '01-sign-in-error');
    await checkA11y(alice.page, 'sign-in');

    await signIn(alice.page, base, 'alice@example.com');
    await signIn(bob.page, base, 'bob@example.com');
    await Promise.all([waitOnline(alice.page), waitOnline(bob.page)]);

    await addContact(alice.page, 'bob', 'bob@example.com');
    await addContact(bob.page, 'Alice', 'alice@example.com');
    const bobAtAlice = contactRow(alice.page, 'bob@example.com');
    const aliceAtBob = contactRow(bob.page, 'alice@example.com');
    await bobAtAlice.and(alice.page.locator('[data-state="available"]')).waitFor();
    await aliceAtBob.and(bob.page.locator('[data-state="available"]')).waitFor();
    assert.match(await bobAtAlice.innerText(), /Bob Brown[\s\S]*Available/);
    assert.match(await aliceAtBob.innerText(), /Alice Adams[\s\S]*Available/);

    // Bob: Busy, with a note. Alice sees both within 2 s.
    await bob.page.getByRole('button', { name: /^My status/ }).click();
    await bob.page.getByRole('menu').waitFor();
    await shot(bob.page, '02a-status-menu');
    await checkA11y(bob.page, 'status menu open');
    await bob.page.getByRole('menuitemradio', { name: 'Busy' }).click();
    await bob.page.getByLabel('Personal note').fill('In the lab until 3');
    const t0 = Date.now();
    await bob.page.getByLabel('Personal note').press('Enter');
    await alice.page.waitForFunction(
      () => {
        const row = document.querySelector('.contacts-pane li.contact[data-address="bob@example.com"]');
        return row?.getAttribute('data-state') === 'busy' && /Busy/.test(row.textContent) && /In the lab until 3/.test(row.textContent);
      },
      null,
      { timeout: 2000 },
    );
    const seenAfter = Date.now() - t0;
    assert.ok(seenAfter < 2000, `Busy and the note seen after ${seenAfter} ms`);
    await shot(alice.page, '02-contacts-bob-busy-with-note');
    await checkA11y(alice.page, 'contacts');

    // IM: Bob has the conversation open and sees Alice typing, then her message.
    await aliceAtBob.getByRole('button', { name: /^Alice Adams/ }).click();
    await bobAtAlice.getByRole('button', { name: /^Bob Brown/ }).click();
    const aliceBox = alice.page.getByLabel('Message to Bob Brown');
    const bobBox = bob.page.getByLabel('Message to Alice Adams');
    await aliceBox.pressSequentially('Hello Bob, ', { delay: 20 });
    await bob.page.getByText('Alice Adams is typing…').waitFor({ timeout: 3000 });
    await shot(bob.page, '03-conversation-typing');
    await aliceBox.pressSequentially('lunch at noon?', { delay: 10 });
    await aliceBox.press('Enter');
    await bob.page.locator('.msg-received .msg-bubble', { hasText: 'Hello Bob, lunch at noon?' }).waitFor();
    await bob.page.getByText('Alice Adams is typing…').waitFor({ state: 'hidden', timeout: 3000 });
    await alice.page.locator('.msg-sent[data-status="delivered"]', { hasText: 'Hello Bob, lunch at noon?' }).waitFor();

    // The other way.
    await bobBox.pressSequentially('Sounds good', { delay: 20 });
    await alice.page.getByText('Bob Brown is typing…').waitFor({ timeout: 3000 });
    await bobBox.press('Enter');
    await alice.page.locator('.msg-received .msg-bubble', { hasText: 'Sounds good' }).waitFor();
    await shot(alice.page, '04-conversation');
    await checkA11y(alice.page, 'conversation');

    // Bob closes the conversation; Alice's next message arrives in the background.
    await bob.page.getByRole('button', { name: 'Close conversation with Alice Adams' }).click();
    await aliceBox.fill('See you there');
    await aliceBox.press('Enter');
    const toast = bob.page.locator('.toast', { hasText: 'See you there' });
    await toast.waitFor();
    await aliceAtBob.locator('.badge', { hasText: '1' }).waitFor();
    assert.equal(await bob.page.title(), '(1) Parley');
    await shot(bob.page, '05-background-notification');
    await toast.getByRole('button', { name: 'Reply' }).click();
    await bob.page.locator('.msg-received .msg-bubble', { hasText: 'See you there' }).waitFor();
    await aliceAtBob.locator('.badge').waitFor({ state: 'detached' });
    assert.equal(await bob.page.title(), 'Parley');

    // A reload keeps Alice signed in, and the history comes from the server.
    await alice.page.reload();
    await alice.page.getByRole('region', { name: 'My status' }).waitFor();
    await waitOnline(alice.page);
    await bobAtAlice.getByRole('button', { name: /^Bob Brown/ }).click();
    const bubbles = alice.page.locator('.messages .msg-bubble');
    await bubbles.filter({ hasText: 'See you there' }).waitFor();
    assert.deepEqual(await bubbles.allInnerTexts(), ['Hello Bob, lunch at noon?', 'Sounds good', 'See you there']);
    assert.deepEqual(await alice.page.locator('.messages .msg').evaluateAll((els) => els.map((e) => e.dataset.direction)), ['sent', 'received', 'sent']);
    // Bob is still Busy with his note, seen from the list subscription's first NOTIFY.
    await bobAtAlice.and(alice.page.locator('[data-state="busy"]')).waitFor();

    // Narrow screen: one pane at a time, with a way back.
    await bob.page.setViewportSize({ width: 390, height: 780 });
    await shot(bob.page, '06-narrow-conversation');
    await checkA11y(bob.page, 'narrow conversation');
    await bob.page.getByRole('button', { name: 'Back to contacts' }).click();
    await aliceAtBob.waitFor();
    await shot(bob.page, '07-narrow-contacts');
    await checkA11y(bob.page, 'narrow contacts');
    await bob.page.setViewportSize({ width: 1280, height: 800 });
  });

  test('2: an administrator creates a user in the Control Panel; the user signs in; disabling signs them out', async () => {
    const page = alice.page;
    await page.getByRole('button', { name: 'Control Panel' }).click();
    await page.getByRole('heading', { name: 'Control Panel' }).waitFor();
    const rows = page.locator('.users-table tbody tr');
    await rows.filter({ hasText: 'bob@example.com' }).waitFor();
    await page.getByLabel('Search users').fill('bob');
    await page.waitForFunction(() => document.querySelectorAll('.users-table tbody tr').length === 1);
    await page.getByLabel('Search users').fill('');
    await rows.filter({ hasText: 'alice@example.com' }).waitFor();

    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.getByLabel('SIP address').fill('dave@example.com');
    await dialog.getByLabel('Display name').fill('Dave Doe');
    await dialog.getByLabel('Password', { exact: true }).fill('weak');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.getByRole('alert').waitFor(); // the server's password rule, shown
    await dialog.getByLabel('Password', { exact: true }).fill('Strong-Pass-7781');
    await shot(page, '08-control-panel-new-user');
    await checkA11y(page, 'Control Panel new user');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('dialog', { name: 'User created' }).getByRole('button', { name: 'Done' }).click();
    await rows.filter({ hasText: 'dave@example.com' }).waitFor();
    await shot(page, '09-control-panel-users');
    await checkA11y(page, 'Control Panel users');

    const dave = { name: 'dave', ...(await newUser(browser)) };
    pages.push(dave);
    await signIn(dave.page, base, 'dave@example.com', 'Strong-Pass-7781');
    await waitOnline(dave.page);
    assert.equal(await dave.page.getByRole('button', { name: 'Control Panel' }).count(), 0, 'a plain user has no Control Panel');

    // Who is signed in on which devices.
    await rows.filter({ hasText: 'dave@example.com' }).getByRole('button', { name: 'Devices of dave@example.com' }).click();
    const devices = page.getByRole('dialog', { name: /Devices of Dave Doe/ });
    await devices.locator('tbody tr', { hasText: 'Parley Web' }).waitFor();
    assert.match(await devices.innerText(), /WSS/);
    await shot(page, '10-control-panel-devices');
    await checkA11y(page, 'Control Panel devices');
    await devices.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('tab', { name: 'Server status' }).click();
    await page.getByText('Server is running').waitFor();
    await page.locator('.tile', { hasText: 'Signed-in devices' }).waitFor();
    await shot(page, '11-control-panel-status');
    await checkA11y(page, 'Control Panel status');
    await page.getByRole('tab', { name: 'Signed-in devices' }).click();
    await page.locator('.devices-table tbody tr', { hasText: 'dave@example.com' }).waitFor();
    await checkA11y(page, 'Control Panel signed-in devices');

    // Disabling ends Dave's session: his browser returns to the sign-in page.
    await page.getByRole('tab', { name: 'Users' }).click();
    await rows.filter({ hasText: 'dave@example.com' }).getByRole('button', { name: 'Disable dave@example.com' }).click();
    await rows.filter({ hasText: 'dave@example.com' }).getByText('Disabled').waitFor();
    await dave.page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
    await dave.page.getByText('Your session has ended').waitFor();
    await page.getByRole('button', { name: 'Contacts' }).click();
  });

  test('3: network loss and a server restart: "Reconnecting…", then back by itself with presence flowing', async () => {
    const bobAtAlice = contactRow(alice.page, 'bob@example.com');
    const setStatus = async (who, label) => {
      await who.page.getByRole('button', { name: /^My status/ }).click();
      await who.page.getByRole('menuitemradio', { name: label }).click();
    };

    // Network loss on Bob's side.
    await bob.context.setOffline(true);
    await bob.page.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor({ timeout: 5000 });
    await shot(bob.page, '12-reconnecting');
    await bob.context.setOffline(false);
    await waitOnline(bob.page, 15_000);
    await setStatus(bob, 'Be Right Back');
    await bobAtAlice.and(alice.page.locator('[data-state="brb"]')).waitFor({ timeout: 5000 });

    // The server restarts on the same ports and data.
    await parley.stop({ keepData: true });
    await alice.page.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor({ timeout: 10_000 });
    parley = await startParley({ dataDir: parley.dataDir, sipPort: parley.sipPort, sipsPort: parley.sipsPort, httpsPort: parley.httpsPort });
    await Promise.all([waitOnline(alice.page, 30_000), waitOnline(bob.page, 30_000)]);
    await setStatus(bob, 'Do Not Disturb');
    await bobAtAlice.and(alice.page.locator('[data-state="dnd"]')).waitFor({ timeout: 5000 });
    assert.match(await bobAtAlice.innerText(), /Do Not Disturb/);
    // Alice picks Away with the keyboard only (menu button pattern: arrows, Enter).
    await alice.page.getByRole('button', { name: /^My status/ }).focus();
    await alice.page.keyboard.press('ArrowDown');
    await alice.page.getByRole('menuitemradio', { name: 'Available' }).and(alice.page.locator(':focus')).waitFor();
    for (let i = 0; i < 4; i++) await alice.page.keyboard.press('ArrowDown');
    await alice.page.keyboard.press('Enter');
    await alice.page.getByRole('menu').waitFor({ state: 'detached' });
    assert.match(await alice.page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? ''), /^My status/, 'focus returns to the menu button');
    await contactRow(bob.page, 'alice@example.com').and(bob.page.locator('[data-state="away"]')).waitFor({ timeout: 5000 });
    await shot(alice.page, '13-after-restart');
  });
});
