// rate-limiter-flexible's RateLimiterRedis over ioredis, in their default settings: consumes
// points through its Lua script. Prints one JSON line per call: {"ok": bool, "remaining": n}.
// Usage: node rate_limiter_flexible.js <port> <key> <points> <calls>
const Redis = require('ioredis');
const { RateLimiterRedis } = require('rate-limiter-flexible');

async function main() {
  const [port, key, points, calls] = process.argv.slice(2);
  const client = new Redis({ port: Number(port), enableOfflineQueue: false });
  await new Promise((resolve) => client.once('ready', resolve));
  const limiter = new RateLimiterRedis({
    storeClient: client, points: Number(points), duration: 60, keyPrefix: 'rlflx',
  });
  for (let i = 0; i < Number(calls); i++) {
    try {
      const r = await limiter.consume(key);
      console.log(JSON.stringify({ ok: true, remaining: r.remainingPoints }));
    } catch (r) {
      if (r instanceof Error) throw r;
      console.log(JSON.stringify({ ok: false, remaining: r.remainingPoints, ms: r.msBeforeNext }));
    }
  }
  const res = await limiter.get(key);
  console.log(JSON.stringify({ consumed: res.consumedPoints }));
  client.disconnect();
}

main().catch((e) => { console.error(e); process.exit(1); });
