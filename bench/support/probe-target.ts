/**
 * The HTTPS server the prober bench (bench/http-prober.ts) probes, in its own process so its
 * CPU time is its own: answers 200 to everything, and on an IPC message `stats` sends back the
 * requests and TLS handshakes it has served and its process.cpuUsage().
 *
 * Started with `--cert <file> --key <file>`; sends `{ port }` once listening.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { cert: { type: 'string' }, key: { type: 'string' } } });
let requests = 0;
let handshakes = 0;
const server = createServer(
  { cert: readFileSync(values.cert!), key: readFileSync(values.key!) },
  (req, res) => {
    requests += 1;
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  },
);
server.on('secureConnection', () => (handshakes += 1));
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('message', (message) => {
  if (message === 'stats') process.send?.({ requests, handshakes, cpu: process.cpuUsage() });
});
process.on('disconnect', () => process.exit(0));
