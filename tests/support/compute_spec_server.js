'use strict';
// A loopback ARM (plain HTTP, 127.0.0.1) for the printed-commands tests: every Compute request is
// answered by the reset receiver's spec server (contrib/azure/reset-receiver/test/spec-server.js:
// methods per resource as the Compute REST spec 2024-03-01 lists them, PATCH on a scale-set VM ->
// 405, api-version required, keyIncarnationId int32 and increment-only, etag / If-Match -> 412,
// imageReference of another tenant's gallery on PUT -> 403). Added here:
//   GET  /subscriptions/{s}/providers/Microsoft.Compute/virtualMachines   VirtualMachines_ListAll
//   GET  /__state          every model, every request (for the test's assertions)
//   GET  /__details        what `az vm list -d` joins from the network (privateIps, powerState)
//   POST /__gpa            {"id","n","guid"}: GPA latched a new key (the instance view shows it)
// Usage: node compute_spec_server.js STATE.json PORT_FILE
//   STATE.json: {"resources":[{"model":{...},"instanceView":{...},"details":{...}}]}
// The port is written to PORT_FILE (via a rename) once the server listens.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const { SpecServer } = require(path.join(__dirname, '..', '..', 'contrib', 'azure', 'reset-receiver', 'test', 'spec-server.js'));

const [stateFile, portFile] = process.argv.slice(2);
if (!stateFile || !portFile) {
  process.stderr.write('usage: compute_spec_server.js STATE.json PORT_FILE\n');
  process.exit(2);
}
const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
const spec = new SpecServer({});
const details = {};
for (const r of state.resources) {
  spec.addResource(r.model, r.instanceView);
  details[r.model.id.toLowerCase()] = r.details || {};
}
const LIST_PATH = /^\/subscriptions\/([^/]+)\/providers\/microsoft\.compute\/virtualmachines$/i;

function reply(res, status, body, headers) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...(headers || {}) });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/__state') {
      const models = {};
      for (const [id, r] of spec.resources) models[id] = r.model;
      return reply(res, 200, { models, requests: spec.requests });
    }
    if (url.pathname === '/__details') return reply(res, 200, details);
    if (url.pathname === '/__gpa' && req.method === 'POST') {
      const { id, n, guid } = JSON.parse(raw);
      spec.gpaReports(id, n, guid);
      return reply(res, 200, {});
    }
    let body;
    try { body = raw ? JSON.parse(raw) : undefined; } catch { body = raw; }
    const entry = { method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams),
      headers: { authorization: req.headers.authorization, 'if-match': req.headers['if-match'],
        'content-type': req.headers['content-type'] }, body };
    spec.requests.push(entry);
    const list = LIST_PATH.exec(url.pathname);
    if (list) {
      if (req.method !== 'GET') return reply(res, 405, { message: `The requested resource does not support http method '${req.method}'.` });
      if (!url.searchParams.get('api-version')) return reply(res, 400, { error: { code: 'MissingApiVersionParameter', message: 'The api-version query parameter (?api-version=) is required for all requests.' } });
      const value = [];
      for (const r of spec.resources.values()) {
        if (r.kind === 'vm' && r.model.id.split('/')[2].toLowerCase() === list[1].toLowerCase()) value.push(r.model);
      }
      return reply(res, 200, { value });
    }
    const out = spec.route(req.method, url, entry);
    return reply(res, out.status, out.body, out.headers);
  });
});

server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(`${portFile}.tmp`, String(server.address().port));
  fs.renameSync(`${portFile}.tmp`, portFile);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
