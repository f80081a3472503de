// Drives a Toxiproxy API with the npm package toxiproxy-node-client, unmodified.
// Usage: node toxiproxy_node_client.js API_URL ECHO_HOST:PORT
// Prints one JSON object of observations; the Python test asserts on it.
"use strict";
const net = require("net");
const { Toxiproxy, ToxiproxyError } = require("toxiproxy-node-client");

const [api, echo] = process.argv.slice(2);

// Median of `n` 1 KB round trips on one connection, in ms.
function roundTripMs(address, n = 5) {
  const i = address.lastIndexOf(":");
  return new Promise((resolve, reject) => {
    const times = [];
    let got = 0;
    let t0;
    const sock = net.connect(Number(address.slice(i + 1)), address.slice(0, i), () => {
      sock.setNoDelay(true);
      t0 = process.hrtime.bigint();
      sock.write(Buffer.alloc(1024, 120));
    });
    sock.on("data", (d) => {
      got += d.length;
      if (got < 1024) return;
      got -= 1024;
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (times.length === n) {
        sock.destroy();
        times.sort((a, b) => a - b);
        resolve(times[Math.floor(n / 2)]);
      } else {
        t0 = process.hrtime.bigint();
        sock.write(Buffer.alloc(1024, 120));
      }
    });
    sock.on("error", reject);
  });
}

async function status(promise) {
  try {
    await promise;
    return "ok";
  } catch (e) {
    return e instanceof ToxiproxyError ? e.message : `unexpected ${e}`;
  }
}

async function main() {
  const tp = new Toxiproxy(api);
  const out = {};
  out.version = await tp.getVersion();
  const populated = await tp.populate([
    { name: "n1", listen: "127.0.0.1:0", upstream: echo },
    { name: "n2", listen: "127.0.0.1:0", upstream: echo, enabled: false },
  ]);
  out.populated = Object.fromEntries(
    Object.entries(populated).map(([n, p]) => [n, { listen: p.listen, enabled: p.enabled }])
  );
  const n1 = await tp.get("n1");
  out.baseMs = await roundTripMs(n1.listen);
  const toxic = await n1.addToxic({ type: "latency", stream: "downstream", attributes: { latency: 100, jitter: 0 } });
  out.toxicName = toxic.name;
  const updated = await toxic.update({ attributes: { latency: 150 } });
  out.updated = { attributes: updated.attributes, toxicity: updated.toxicity, stream: updated.stream };
  out.latencyMs = await roundTripMs(n1.listen);
  // populating again with the same address and upstream leaves the proxy (and its toxic) alone
  await tp.populate([{ name: "n1", listen: n1.listen, upstream: echo }]);
  out.toxicAfterRepopulate = (await n1.getToxic(toxic.name)).attributes;
  const disabled = await n1.update({ enabled: false });
  out.disabled = { enabled: disabled.enabled, listen: disabled.listen };
  out.duplicate = await status(tp.createProxy({ name: "n1", upstream: echo }));
  out.missing = await status(tp.get("nope"));
  await tp.reset();
  const all = await tp.getAll();
  out.afterReset = Object.fromEntries(
    Object.entries(all).map(([n, p]) => [n, { enabled: p.enabled, listen: p.listen }])
  );
  out.toxicAfterReset = await status(n1.getToxic(toxic.name));
  out.afterResetMs = await roundTripMs(all.n1.listen);
  await (await tp.get("n2")).remove();
  out.remaining = Object.keys(await tp.getAll());
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
