/**
 * Registrations: the registrar's durable shadow — upsert by binding key,
 * expiry, purge, load at start-up.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { BindingInput } from '../registration-record.js';
import type { StoreHarness } from '../store.conformance.js';
import { manualClock, rejectsWith, withStore } from './support.js';

const NOW = Date.UTC(2030, 0, 1);
const AOR = 'alice@example.com';

/** A binding of AOR with an instance id, expiring in an hour. */
export function binding(overrides: Partial<BindingInput> = {}): BindingInput {
  return {
    aor: AOR,
    contactUri: 'sip:alice@192.0.2.10:5060;transport=tcp',
    instanceId: '<urn:uuid:00000000-0000-0000-0000-000000000001>',
    regId: 1,
    callId: 'call-1@192.0.2.10',
    cseq: 1,
    expiresAt: NOW + 3_600_000,
    path: ['<sip:edge.example.com;lr>'],
    flow: { protocol: 'tcp', remoteAddress: '192.0.2.10', remotePort: 50123, connectionId: 'c-42' },
    gruuPub: 'sip:alice@example.com;gr=urn:uuid:00000000-0000-0000-0000-000000000001',
    gruuTemp: 'sip:tgruu.abc@example.com;gr',
    userAgent: 'baresip',
    q: 0.7,
    ...overrides,
  };
}

export function registrationCases(h: StoreHarness): void {
  it('registrations: upsert stores every field exactly', async () => {
    const clock = manualClock(NOW);
    await withStore(
      h,
      async (store) => {
        const input = binding();
        const stored = await store.registrations.upsert(input);
        const { aor, contactUri, instanceId, regId, callId, cseq, expiresAt, path, flow, gruuPub, gruuTemp, userAgent, q } = input;
        assert.deepEqual(stored, {
          id: stored.id,
          ...{ aor, contactUri, instanceId, regId, callId, cseq, expiresAt, path, flow, gruuPub, gruuTemp, userAgent, q },
          receivedAt: NOW,
        });
        assert.deepEqual(await store.registrations.listLive(AOR), [stored]);
        const minimal = await store.registrations.upsert({ aor: AOR, contactUri: 'sip:a@192.0.2.1', callId: 'x', cseq: 7, expiresAt: NOW + 1 });
        assert.deepEqual(
          [minimal.instanceId, minimal.regId, minimal.path, minimal.flow, minimal.q, minimal.gruuPub],
          [null, null, [], null, null, null],
        );
      },
      { now: clock },
    );
  });

  it('registrations: same key replaces and keeps the id; other keys add bindings', async () => {
    await withStore(h, async (store) => {
      const first = await store.registrations.upsert(binding());
      const refreshed = await store.registrations.upsert(
        binding({ contactUri: 'sip:alice@192.0.2.99:5060', cseq: 2, expiresAt: NOW + 7_200_000, flow: null }),
      );
      assert.equal(refreshed.id, first.id);
      assert.equal(refreshed.contactUri, 'sip:alice@192.0.2.99:5060');
      assert.equal(refreshed.cseq, 2);
      assert.equal(refreshed.flow, null);
      // RFC 5626 §6: another reg-id of the same instance is another flow.
      await store.registrations.upsert(binding({ regId: 2 }));
      // RFC 5627: an instance without reg-id is keyed by the instance alone.
      await store.registrations.upsert(binding({ regId: null, instanceId: '<urn:uuid:2>' }));
      await store.registrations.upsert(binding({ regId: null, instanceId: '<urn:uuid:2>', contactUri: 'sip:moved@192.0.2.3' }));
      // RFC 3261 §10.3: without an instance, keyed by the contact URI.
      await store.registrations.upsert(binding({ instanceId: null, regId: null, contactUri: 'sip:a@192.0.2.4' }));
      await store.registrations.upsert(binding({ instanceId: null, regId: null, contactUri: 'sip:a@192.0.2.4', cseq: 9 }));
      await store.registrations.upsert(binding({ aor: 'bob@example.com' }));
      const live = await store.registrations.listLive(AOR, NOW);
      assert.equal(live.length, 4);
      assert.equal(live.find((b) => b.instanceId === '<urn:uuid:2>')?.contactUri, 'sip:moved@192.0.2.3');
      assert.equal(live.find((b) => b.instanceId === null)?.cseq, 9);
    });
  });

  it('registrations: refresh changes only Call-ID, CSeq and times, keeps the rest, and says when the row is gone', async () => {
    await withStore(h, async (store) => {
      const first = await store.registrations.upsert(binding());
      assert.equal(await store.registrations.refresh(first.id, 'call-2@192.0.2.10', 2, NOW + 7_200_000, NOW + 5), true);
      const [live] = await store.registrations.listLive(AOR, NOW);
      assert.deepEqual(live, { ...first, callId: 'call-2@192.0.2.10', cseq: 2, expiresAt: NOW + 7_200_000, receivedAt: NOW + 5 });
      assert.equal(await store.registrations.refresh('no-such-id', 'c', 3, NOW + 1, NOW), false);
      await rejectsWith(store.registrations.refresh(first.id, 'c', -1, NOW + 1, NOW), 'invalid');
      await rejectsWith(store.registrations.refresh(first.id, 'c', 3, 1.5, NOW), 'invalid');
      await rejectsWith(store.registrations.refresh(first.id, '', 3, NOW + 1, NOW), 'invalid');
    });
  });

  it('registrations: expired bindings are not live and are purged', async () => {
    await withStore(h, async (store) => {
      await store.registrations.upsert(binding({ expiresAt: NOW + 1000 }));
      await store.registrations.upsert(binding({ regId: 2, expiresAt: NOW + 5000 }));
      await store.registrations.upsert(binding({ aor: 'bob@example.com', expiresAt: NOW + 1000 }));
      await store.registrations.upsert(binding({ aor: 'carol@example.com', expiresAt: NOW + 9000 }));
      assert.equal((await store.registrations.listLive(AOR, NOW)).length, 2);
      assert.equal((await store.registrations.listLive(AOR, NOW + 1000)).length, 1, 'expiresAt is exclusive');
      assert.deepEqual(
        (await store.registrations.loadLive(NOW + 1000)).map((b) => b.aor),
        [AOR, 'carol@example.com'],
      );
      assert.equal(await store.registrations.countLive(NOW), 4);
      assert.equal(await store.registrations.purgeExpired(NOW + 1000), 2);
      assert.equal(await store.registrations.purgeExpired(NOW + 1000), 0);
      assert.deepEqual(
        (await store.registrations.loadLive(NOW)).map((b) => [b.aor, b.regId]),
        [
          [AOR, 2],
          ['carol@example.com', 1],
        ],
      );
    });
  });

  it('registrations: remove one, by id, and all of an AOR', async () => {
    await withStore(h, async (store) => {
      await store.registrations.upsert(binding());
      const second = await store.registrations.upsert(binding({ regId: 2 }));
      await store.registrations.upsert(binding({ instanceId: null, regId: null, contactUri: 'sip:x@192.0.2.5' }));
      await store.registrations.upsert(binding({ aor: 'bob@example.com' }));
      assert.equal(await store.registrations.remove(AOR, binding()), true);
      assert.equal(await store.registrations.remove(AOR, binding()), false);
      assert.equal(await store.registrations.removeById(second.id), true);
      assert.equal(await store.registrations.removeById(second.id), false);
      assert.equal(await store.registrations.removeAll(AOR), 1);
      assert.deepEqual(await store.registrations.listLive(AOR, NOW), []);
      assert.equal((await store.registrations.listLive('bob@example.com', NOW)).length, 1);
    });
  });

  it('registrations: malformed bindings are invalid', async () => {
    await withStore(h, async (store) => {
      const bad: Partial<BindingInput>[] = [
        { aor: '' },
        { cseq: 2 ** 31 },
        { cseq: 1.5 },
        { expiresAt: Number.NaN },
        { q: 1.5 },
        { instanceId: null, regId: 1 },
        { flow: { protocol: 'sctp' as 'tcp', remoteAddress: '192.0.2.1', remotePort: 1 } },
        { flow: { protocol: 'udp', remoteAddress: '192.0.2.1', remotePort: 70000 } },
      ];
      for (const b of bad) await rejectsWith(store.registrations.upsert(binding(b)), 'invalid');
      assert.equal(await store.registrations.countLive(NOW), 0);
    });
  });

  it('timestamps and counters round-trip as JS numbers', async () => {
    const far = 2 ** 50; // beyond 32 bits, within 2^53
    const clock = manualClock(far);
    await withStore(
      h,
      async (store) => {
        const d = await store.domains.add('example.com');
        const u = await store.users.create({ address: 'alice@example.com' });
        const r = await store.registrations.upsert(binding({ expiresAt: far + 1, receivedAt: far - 1 }));
        const [u2] = await store.users.list();
        const [r2] = await store.registrations.loadLive(far);
        for (const [what, value, expected] of [
          ['domain.createdAt', d.createdAt, far],
          ['user.createdAt', u.createdAt, far],
          ['listed user.updatedAt', u2.updatedAt, far],
          ['registration.expiresAt', r.expiresAt, far + 1],
          ['loaded registration.expiresAt', r2.expiresAt, far + 1],
          ['loaded registration.receivedAt', r2.receivedAt, far - 1],
          ['loaded registration.cseq', r2.cseq, 1],
          ['users.count', await store.users.count(), 1],
          ['registrations.countLive', await store.registrations.countLive(far), 1],
          ['purgeExpired', await store.registrations.purgeExpired(far), 0],
        ] as const) {
          assert.equal(typeof value, 'number', `${what} is a number`);
          assert.equal(value, expected, what);
        }
      },
      { now: clock },
    );
  });
}
