// Experiment only (run.mjs --server-rcvbuf BYTES): preloaded into the server
// with NODE_OPTIONS=--import, gives every UDP socket of the process a receive
// buffer of UDP_RCVBUF bytes (the kernel caps it at net.core.rmem_max) once
// it is bound. Parley itself leaves the kernel default (rmem_default).
import dgram from 'node:dgram';
import { syncBuiltinESMExports } from 'node:module';

const size = Number(process.env.UDP_RCVBUF ?? 4 * 1024 * 1024);
const create = dgram.createSocket;
dgram.createSocket = function (...args) {
  const s = create.apply(this, args);
  s.once('listening', () => {
    try {
      s.setRecvBufferSize(size);
      s.setSendBufferSize(size);
    } catch {}
  });
  return s;
};
// ESM `import { createSocket } from 'node:dgram'` binds the named export: update it too.
syncBuiltinESMExports();
