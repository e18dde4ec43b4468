#!/usr/bin/env node
// Measure the Kamailio anchor with the harness: highest clean rate (no failed
// calls, <= 1% retransmissions, >= 90% of the target rate achieved) for
// REGISTER+digest and for relayed MESSAGE (407 digest, then relay to a
// registered SIPp UAS). Everything on 127.0.0.1, ports picked free.
//
//   node bench/kamailio/measure.mjs [--what register,message] [--transport u1]
//        [--duration 5] [--rates 500,1000,2000] [--refine 2] [--children 2] [--shm 1024] [--json]
//        [--durable [--db-dir /dev/shm]]   the "durable registrations" variant (README.md):
//                                          usrloc db_mode 1 + auth_db on SQLite, --children default 1
import { loadavg, cpus } from 'node:os';
import { startKamailio } from '../../test/harness/kamailio.mjs';
import { runSipp, usersCsv, findMaxCleanRate, startMessageUas, summarize } from '../../test/harness/sipp.mjs';

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const what = opt('what', 'register,message').split(',');
const transport = opt('transport', 'u1');
const durationSec = Number(opt('duration', '5'));
const refineSteps = Number(opt('refine', '2'));
const durable = argv.includes('--durable');
const dbDir = opt('db-dir', undefined); // default: the Kamailio temp dir (under os.tmpdir())
const children = Number(opt('children', durable ? '1' : '2'));
// tm keeps each finished transaction ~5 s (wait_timer): at 4000 MESSAGE/s that
// exhausted 256 MB of shm (500 "(1/SL)" replies after ~17.8k messages)
const shmMb = Number(opt('shm', '1024'));
const defaultRates = '500,1000,2000,3000,4000,5000,6000,7000,8000,10000';
const rates = opt('rates', defaultRates).split(',').map(Number);
const asJson = argv.includes('--json');

const log = (...a) => {
  if (!asJson) console.log(...a);
};

const out = { kamailio: { children, shmMb, transport, durationSec, durable, ...(durable ? { dbDir: dbDir ?? 'temp dir' } : {}) }, cpus: cpus().length, results: {} };
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
log(`${cpus().length} CPUs, load average before: ${load()}`);
const onRun = (e) => {
  log(`  ${String(e.rate).padStart(6)}/s  ${e.clean ? 'clean  ' : 'UNCLEAN'}  ${e.reason.padEnd(28)} ${summarize(e.result)}`);
  // show who sent the first unexpected response (status line + Server header)
  const el = e.result.errorLog ?? '';
  const i = el.search(/SIP\/2\.0 [3-6]\d\d/);
  if (i >= 0) {
    const msg = el.slice(i, i + 2000);
    log(`           first unexpected: ${msg.split(/\r?\n/)[0]} | ${/^Server:.*$/m.exec(msg)?.[0] ?? 'no Server header'}`);
  }
};

// A fresh Kamailio per scenario, so one scenario's leftovers (20000 contacts,
// queued retransmissions) do not weigh on the next.
async function withKamailio(fn) {
  const k = await startKamailio({ children, tcpChildren: children, debug: -1, shmMb, ...(durable ? { durable, dbDir } : {}) });
  log(`kamailio ${k.remote} (pid ${k.pid}, ${children} UDP + ${children} TCP workers, ${shmMb} MB shm${durable ? `, durable: SQLite ${k.dbFile}` : ''}), transport ${transport}, ${durationSec}s per rate`);
  try {
    return await fn(k);
  } finally {
    await k.stop();
  }
}

if (what.includes('register')) {
  await withKamailio(async (k) => {
    log('REGISTER + digest (401, then 200):');
    const csv = usersCsv({ count: 20000, domain: k.realm, password: k.benchPassword });
    const res = await findMaxCleanRate({
      rates,
      durationSec,
      refineSteps,
      sipp: { scenario: 'register-digest', remote: k.remote, transport, injectCsv: csv },
      onRun,
    });
    out.results.register = { maxCleanRate: res.maxCleanRate, firstUncleanRate: res.firstUncleanRate };
    log(`  => max clean REGISTER rate: ${res.maxCleanRate}/s`);
  });
}

if (what.includes('message')) {
  await withKamailio(async (k) => {
    log('MESSAGE relayed to a registered SIPp UAS (407, then 200):');
    const uas = await startMessageUas({
      remote: k.remote,
      transport,
      users: ['user90000'],
      password: k.benchPassword,
      domain: k.realm,
    });
    try {
      const csv = usersCsv({ count: 20000, domain: k.realm, password: k.benchPassword, target: 'user90000' });
      const res = await findMaxCleanRate({
        rates,
        durationSec,
        refineSteps,
        sipp: { scenario: 'message-uac', remote: k.remote, transport, injectCsv: csv },
        onRun,
      });
      out.results.message = { maxCleanRate: res.maxCleanRate, firstUncleanRate: res.firstUncleanRate };
      log(`  => max clean MESSAGE rate: ${res.maxCleanRate}/s`);
    } finally {
      const u = await uas.stop();
      log(`  (UAS answered ${u.received.MESSAGE ?? 0} MESSAGEs)`);
    }
  });
}
out.loadAverageAfter = load();
log(`load average after: ${out.loadAverageAfter}`);
if (asJson) console.log(JSON.stringify(out, null, 2));
