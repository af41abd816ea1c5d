'use strict';
// Parses one HTTP request as latchwatch sent it with the official CloudEvents SDK (the
// `cloudevents` npm package), not with latchwatch's own reader, and validates it against the
// CloudEvents 1.0 spec. Usage: node parse_cloudevent.js HEADERS.json BODY
// Prints the event as JSON (its toJSON()) on success; exits 1 with the SDK's error otherwise.
const fs = require('fs');
const { HTTP } = require('cloudevents');

try {
  const headers = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const body = fs.readFileSync(process.argv[3], 'utf8');
  if (!HTTP.isEvent({ headers, body })) throw new Error('not a CloudEvent');
  const event = HTTP.toEvent({ headers, body });
  if (Array.isArray(event)) throw new Error('a batch, not one structured event');
  event.validate();
  process.stdout.write(JSON.stringify(event.toJSON()));
} catch (e) {
  process.stderr.write(`${e && e.message ? e.message : e} ${e && e.errors ? JSON.stringify(e.errors) : ''}\n`);
  process.exit(1);
}
