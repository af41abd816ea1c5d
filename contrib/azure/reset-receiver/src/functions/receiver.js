'use strict';
// Azure Functions v4 registrations only; the logic is in ../receiver.js and testable without the host.
const { app } = require('@azure/functions');
const { receiver } = require('../setup');

const json = (r) => ({ status: r.status, jsonBody: r.body });

// latchwatch's webhook / CloudEvent (function key in the URL, HMAC over the raw body)
app.http('ticket', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'ticket',
  handler: async (request) => {
    const rawBody = Buffer.from(await request.arrayBuffer());
    return json(await receiver().handleDelivery({ headers: request.headers, rawBody }));
  },
});

// one-time approve/deny link: GET only shows a form (link scanners prefetch GETs), POST decides
app.http('approval', {
  methods: ['GET', 'POST'],
  authLevel: 'anonymous',
  route: 'approval',
  handler: async (request) => {
    if (request.method === 'GET') {
      const token = encodeURIComponent(request.query.get('token') || '');
      const decision = request.query.get('decision') === 'deny' ? 'deny' : 'approve';
      return {
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
        body: `<!doctype html><title>latchwatch reset</title><form method="post" action="approval?token=${token}&amp;decision=${decision}">` +
          `<button type="submit">${decision} this key reset</button></form>`,
      };
    }
    return json(await receiver().handleDecision({ token: request.query.get('token'), decision: request.query.get('decision') }));
  },
});

// apply approved resets held by the hourly cap; poll the model and instance view of applied ones
app.timer('confirm', {
  schedule: '0 */5 * * * *',
  handler: async () => { await receiver().tick(); },
});
