// The client scenario for Node clients: node_client.js <lib> <port> <password> <db>
// lib: ioredis5 | ioredis6 | redis4 | redis6 (installed by test_client_libs.py, pinned).
// Phase 1 writes counters and prints "PHASE1 OK"; after a line on stdin (the server has been
// restarted meanwhile) phase 2 finds them and prints "PHASE2 OK".
const [lib, port, password, db] = process.argv.slice(2);
const assert = require('assert');
const readline = require('readline');

function waitLine() {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin });
    rl.once('line', () => { rl.close(); resolve(); });
  });
}

async function makeClient() {
  if (lib.startsWith('ioredis')) {
    const Redis = require(lib);
    // Default settings: host 'localhost', which Node resolves to ::1 first on a stock Debian.
    const c = new Redis({ port: +port, password: password || undefined, db: +db });
    c.on('error', () => {});
    return {
      cmd: (...args) => c.call(...args),
      multi: async () => (await c.multi().incr('t').incr('t').exec()).map((r) => r[1]),
      pipeline: async () => {
        const p = c.pipeline();
        for (let i = 0; i < 1000; i++) p.incr('p');
        return (await p.exec()).map((r) => r[1]);
      },
      quit: () => c.quit(),
    };
  }
  const { createClient } = require(lib);
  const c = createClient({ socket: { port: +port, host: '127.0.0.1' },
                           password: password || undefined, database: +db });
  c.on('error', () => {});
  await c.connect();
  return {
    cmd: (...args) => c.sendCommand(args.map(String)),
    multi: async () => (await c.multi().incr('t').incr('t').exec()).map(Number),
    pipeline: async () => Promise.all(Array.from({ length: 1000 }, () => c.incr('p'))),
    quit: () => c.quit(),
  };
}

async function main() {
  const c = await makeClient();
  assert.equal(Number(await c.cmd('INCR', 'c')), 1);
  assert.equal(Number(await c.cmd('INCRBY', 'c', '10')), 11);
  assert.equal(Number(await c.cmd('DECR', 'c')), 10);
  assert.equal(await c.cmd('SET', 's', 'v', 'EX', '100'), 'OK');
  assert.equal(await c.cmd('GET', 's'), 'v');
  assert.equal(await c.cmd('MSET', 'a', '1', 'b', '2'), 'OK');
  assert.deepEqual(await c.cmd('MGET', 'a', 'b', 'nokey'), ['1', '2', null]);
  assert.equal(Number(await c.cmd('DEL', 'a')), 1);
  assert.deepEqual(await c.multi(), [1, 2]);
  const piped = await c.pipeline();
  assert.equal(Number(piped[piped.length - 1]), 1000);
  console.log('PHASE1 OK');
  await waitLine();
  for (let i = 0; ; i++) {  // the client reconnects by itself; give it a moment
    try {
      assert.equal(await c.cmd('GET', 'c'), '10');
      break;
    } catch (e) {
      if (i > 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  assert.equal(await c.cmd('GET', 'p'), '1000');
  assert.equal(await c.cmd('GET', 't'), '2');
  assert.equal(Number(await c.cmd('INCR', 'c')), 11);
  console.log('PHASE2 OK');
  await c.quit();
  process.exit(0);
}

main().catch((e) => { console.error(e); process.exit(1); });
