import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponse, InvalidStateError, newBranch, newTag, parseMessage, type SipRequest } from '@parley/sip';
import { createUasDialog } from '@parley/sip/dialog';
import { VirtualClock, type SendTarget } from '@parley/sip/transaction';
import { MAX_DATAGRAM_BODY, Subscription, SubscriptionState, type NotifyOutcome, type TerminationReason } from './subscription.js';

const T0 = 1_700_000_000_000;

function subscribeRequest(): SipRequest {
  return parseMessage(
    [
      'SUBSCRIBE sip:bob@example.com SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.1:40000;branch=${newBranch()}`,
      'Max-Forwards: 70',
      `From: <sip:alice@example.com>;tag=${newTag()}`,
      'To: <sip:bob@example.com>',
      'Call-ID: sub-test-1',
      'CSeq: 1 SUBSCRIBE',
      'Contact: <sip:alice@127.0.0.1:40000>',
      'Event: presence',
      'Expires: 600',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  ).validate() as SipRequest;
}

/** The wire: NOTIFYs are recorded; the test answers them. */
function harness(opts: { expiresS?: number } = {}) {
  const clock = new VirtualClock(T0);
  const sent: Array<{ notify: SipRequest; target: SendTarget; answer: (o: NotifyOutcome) => void }> = [];
  const ended: TerminationReason[] = [];
  let version = 0;
  let changedSinceRender = true;
  const req = subscribeRequest();
  const res = createResponse(req, 200, { toTag: newTag() });
  const sub = new Subscription({
    id: 's1',
    event: 'presence',
    watcher: 'alice@example.com',
    resource: 'bob@example.com',
    dialog: createUasDialog(req, res),
    target: { protocol: 'udp', host: '127.0.0.1', port: 40000 },
    expiresAt: T0 + (opts.expiresS ?? 600) * 1000,
    clock,
    channel: { send: (notify, target, done) => sent.push({ notify, target, answer: done }) },
    render: (full) => {
      if (!full && !changedSinceRender) return undefined;
      changedSinceRender = false;
      return { contentType: 'text/plain', body: `v${version}` };
    },
    onTerminated: (_s, r) => ended.push(r),
  });
  const change = () => {
    version++;
    changedSinceRender = true;
    sub.changed();
  };
  return { clock, sent, ended, sub, change };
}

test('accept: one NOTIFY at once with active;expires and the dialog\'s headers', () => {
  const h = harness();
  h.sub.start();
  assert.equal(h.sent.length, 1);
  const n = h.sent[0].notify;
  assert.equal(n.method, 'NOTIFY');
  assert.equal(n.get('subscription-state'), 'active;expires=600');
  assert.equal(n.get('event'), 'presence');
  assert.equal(n.requestUri, 'sip:alice@127.0.0.1:40000');
  assert.equal(n.callId, 'sub-test-1');
  assert.equal(n.bodyText, 'v0');
  assert.deepEqual(h.sent[0].target, { protocol: 'udp', host: '127.0.0.1', port: 40000 });
});

test('changes while a NOTIFY is in flight are coalesced into one; none when the view did not change', async () => {
  const h = harness();
  h.sub.start();
  h.change();
  h.change();
  assert.equal(h.sent.length, 1, 'one in flight');
  h.sent[0].answer('delivered');
  assert.equal(h.sent.length, 2);
  assert.equal(h.sent[1].notify.bodyText, 'v2', 'the latest state');
  assert.ok(h.sent[1].notify.cseq.seq > h.sent[0].notify.cseq.seq);
  h.sent[1].answer('delivered');
  h.sub.changed(); // nothing new for this watcher
  assert.equal(h.sent.length, 2);
});

test('refresh: new expiry, new target, full state; expiry: terminated;reason=timeout', async () => {
  const h = harness({ expiresS: 60 });
  h.sub.start();
  h.sent[0].answer('delivered');
  await h.clock.advance(50_000);
  h.sub.refresh(h.clock.now() + 60_000, { flowId: 'tcp:7' });
  assert.equal(h.sent.length, 2);
  assert.equal(h.sent[1].notify.get('subscription-state'), 'active;expires=60');
  assert.deepEqual(h.sent[1].target, { flowId: 'tcp:7' });
  h.sent[1].answer('delivered');
  await h.clock.advance(59_000);
  assert.equal(h.sub.state, SubscriptionState.Active);
  await h.clock.advance(1_000);
  assert.equal(h.sub.state, SubscriptionState.Terminated);
  assert.equal(h.sent[2].notify.get('subscription-state'), 'terminated;reason=timeout');
  assert.deepEqual(h.ended, ['timeout']);
});

test('a 481 or a timeout to a NOTIFY ends the subscription without another NOTIFY', () => {
  for (const outcome of ['gone', 'failed'] as const) {
    const h = harness();
    h.sub.start();
    h.change();
    h.sent[0].answer(outcome);
    assert.equal(h.sub.state, SubscriptionState.Terminated);
    assert.equal(h.sent.length, 1);
    assert.deepEqual(h.ended, [outcome === 'gone' ? 'noresource' : 'notify-failed']);
    assert.equal(h.clock.pending, 0, 'no timer outlives it');
  }
});

test('unsubscribe sends the final NOTIFY even with one in flight; afterwards only terminate is allowed', () => {
  const h = harness();
  h.sub.start();
  h.sub.terminate('timeout');
  assert.equal(h.sent.length, 2);
  assert.equal(h.sent[1].notify.get('subscription-state'), 'terminated;reason=timeout');
  h.sub.terminate('timeout'); // idempotent
  assert.equal(h.ended.length, 1);
  assert.throws(() => h.sub.refresh(T0 + 1, { flowId: 'x' }), InvalidStateError);
  assert.throws(() => h.sub.start(), InvalidStateError);
  h.sub.changed(); // ignored once terminated
  h.sent[0].answer('delivered'); // a late answer changes nothing
  assert.equal(h.sent.length, 2);
});

test('a body that says more follows is followed by another NOTIFY once answered; the UDP limit is passed to render', () => {
  const clock = new VirtualClock(T0);
  const sent: Array<{ notify: SipRequest; answer: (o: NotifyOutcome) => void }> = [];
  const limits: number[] = [];
  let chunks = 3;
  const req = subscribeRequest();
  const sub = new Subscription({
    id: 's2',
    event: 'presence',
    watcher: 'alice@example.com',
    resource: 'sip:alice;list=contacts@example.com',
    dialog: createUasDialog(req, createResponse(req, 200, { toTag: newTag() })),
    target: { protocol: 'udp', host: '127.0.0.1', port: 40000 },
    expiresAt: T0 + 600_000,
    clock,
    channel: { send: (notify, _t, done) => sent.push({ notify, answer: done }) },
    render: (_full, maxBytes) => {
      limits.push(maxBytes);
      if (chunks === 0) return undefined;
      chunks--;
      return { contentType: 'text/plain', body: `chunk ${chunks}`, more: chunks > 0 };
    },
    onTerminated: () => undefined,
  });
  sub.start();
  assert.equal(sent.length, 1);
  sent[0].answer('delivered');
  assert.equal(sent.length, 2, 'the rest follows once the first is answered');
  sent[1].answer('delivered');
  sent[2].answer('delivered');
  assert.deepEqual(sent.map((s) => s.notify.bodyText), ['chunk 2', 'chunk 1', 'chunk 0']);
  assert.ok(limits.every((l) => l === MAX_DATAGRAM_BODY), 'a UDP subscriber: a datagram\'s worth');
  sub.refresh(T0 + 600_000, { flowId: 'tcp-1' });
  assert.equal(limits.at(-1), Number.POSITIVE_INFINITY, 'over a connection: no limit');
});
