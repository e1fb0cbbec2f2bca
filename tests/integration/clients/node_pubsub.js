// Pub/sub from a Node client in its default settings: node_pubsub.js <lib> <port> <count>
// lib: ioredis5 | ioredis6 | redis4 | redis6 (pinned, installed by test_pubsub.py). Subscribes to
// a channel and a pattern on one connection, publishes <count> messages from another, and
// prints one JSON line: what arrived, in order, and what PUBLISH returned.
const [lib, port, count] = process.argv.slice(2);

async function main() {
  const got = { channel: [], pattern: [], receivers: [] };
  const n = Number(count);
  let done;
  const all = new Promise((resolve) => { done = resolve; });
  const check = () => {
    if (got.channel.length === n && got.pattern.length === n) done();
  };
  let publish;
  let close;
  if (lib.startsWith('ioredis')) {
    const Redis = require(lib);
    const sub = new Redis({ port: +port });
    const pub = new Redis({ port: +port });
    sub.on('message', (ch, msg) => { got.channel.push(`${ch}:${msg}`); check(); });
    sub.on('pmessage', (pat, ch, msg) => { got.pattern.push(`${pat}:${ch}:${msg}`); check(); });
    await sub.subscribe('news');
    await sub.psubscribe('ev:*');
    publish = (ch, msg) => pub.publish(ch, msg);
    close = () => Promise.all([sub.quit(), pub.quit()]);
  } else {
    const { createClient } = require(lib);
    const pub = createClient({ socket: { port: +port, host: '127.0.0.1' } });
    await pub.connect();
    const sub = pub.duplicate();
    await sub.connect();
    await sub.subscribe('news', (msg, ch) => { got.channel.push(`${ch}:${msg}`); check(); });
    await sub.pSubscribe('ev:*', (msg, ch) => { got.pattern.push(`ev:*:${ch}:${msg}`); check(); });
    publish = (ch, msg) => pub.publish(ch, msg);
    close = () => Promise.all([sub.quit(), pub.quit()]);
  }
  for (let i = 0; i < n; i++) {
    got.receivers.push(Number(await publish('news', `m${i}`)));
    await publish(`ev:${i}`, `e${i}`);
  }
  await all;
  await close();
  console.log(JSON.stringify(got));
}

const timer = setTimeout(() => { console.error('timed out'); process.exit(2); }, 30000);
main().then(() => clearTimeout(timer)).catch((e) => { console.error(e); process.exit(1); });
