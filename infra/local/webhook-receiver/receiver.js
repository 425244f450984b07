// A webhook receiver for Sluice's integration tests and benchmark. It verifies every delivery with the Standard
// Webhooks reference library, exactly as a user's receiver would, and records what it got.
//
//   node receiver.js [port]          prints "LISTENING <port>" once it accepts connections (port 0: any free one)
//   PUT  /control/<name>             {"secrets": ["whsec_..."], "status": 204}: how endpoint <name> verifies and answers
//   POST /hooks/<name>               a delivery: verified with each secret in turn, recorded, answered with the status
//   GET  /control/<name>/deliveries  every delivery recorded for <name>, in arrival order
"use strict";
const http = require("http");
const { Webhook } = require("standardwebhooks");

const endpoints = new Map();

function endpoint(name) {
  if (!endpoints.has(name)) {
    endpoints.set(name, { secrets: [], status: 204, deliveries: [] });
  }
  return endpoints.get(name);
}

function reply(res, status, body) {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url, "http://receiver");
    const parts = url.pathname.split("/").filter(Boolean);
    if (parts[0] === "control" && parts.length === 2 && req.method === "PUT") {
      const config = JSON.parse(body);
      const e = endpoint(parts[1]);
      if (config.secrets) e.secrets = config.secrets;
      if (config.status) e.status = config.status;
      return reply(res, 200, { ok: true });
    }
    if (parts[0] === "control" && parts.length === 3 && parts[2] === "deliveries" && req.method === "GET") {
      return reply(res, 200, endpoint(parts[1]).deliveries);
    }
    if (parts[0] === "hooks" && parts.length === 2 && req.method === "POST") {
      const e = endpoint(parts[1]);
      const record = {
        received_at: Date.now(),
        webhook_id: req.headers["webhook-id"] || null,
        webhook_timestamp: req.headers["webhook-timestamp"] || null,
        signatures: (req.headers["webhook-signature"] || "").split(" ").filter(Boolean).length,
        verified: false,
        verified_with: [],
        error: null,
        payload: null,
        answered: e.status,
      };
      e.secrets.forEach((secret, index) => {
        try {
          record.payload = new Webhook(secret).verify(body, req.headers);
          record.verified = true;
          record.verified_with.push(index);
        } catch (err) {
          record.error = String(err.message || err);
        }
      });
      if (record.verified) record.error = null;
      e.deliveries.push(record);
      return reply(res, e.status, { received: record.verified });
    }
    reply(res, 404, { error: "no such route" });
  });
});

server.listen(Number(process.argv[2] || 0), "127.0.0.1", () => {
  console.log(`LISTENING ${server.address().port}`);
});
