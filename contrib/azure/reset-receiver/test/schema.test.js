'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const Ajv2020 = require('ajv/dist/2020').default;
const { parseResourceId } = require('../src/ticket');

const DOCS = path.join(__dirname, '..', '..', '..', '..', 'docs', 'formats');
const schemaText = fs.readFileSync(path.join(DOCS, 'reset-ticket.schema.json'), 'utf8');
const schema = JSON.parse(schemaText);
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
const example = (n) => JSON.parse(fs.readFileSync(path.join(DOCS, 'examples', n), 'utf8'));
const SUB = '0b6f2c1e-4d1a-4c39-9a57-2f1d3e8c7a10';

test('the published schema is draft 2020-12 with the contract $id and compiles under ajv strict mode', () => {
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.equal(schema.$id, 'https://latchwatch.invalid/schemas/reset-ticket/1');
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(Object.keys(schema.properties).sort(), [...schema.required].sort());
});

test('the receiver validates against a byte-identical copy of the published schema', () => {
  assert.equal(fs.readFileSync(path.join(__dirname, '..', 'schema', 'reset-ticket.schema.json'), 'utf8'), schemaText);
});

test('both examples (a VM, a Uniform instance) are valid', () => {
  for (const n of ['virtual-machine.json', 'uniform-instance.json']) {
    assert.ok(validate(example(n)), `${n}: ${JSON.stringify(validate.errors)}`);
  }
  assert.equal(parseResourceId(example('virtual-machine.json').resource_id).form, 'vm');
  assert.equal(parseResourceId(example('uniform-instance.json').resource_id).form, 'instance');
});

test('what the schema refuses', () => {
  const ok = example('virtual-machine.json');
  const bad = {
    'storage account': { resource_id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/x` },
    'scale set itself': { resource_id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss` },
    '.. segment': { resource_id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/..` },
    '. segment': { resource_id: `/subscriptions/${SUB}/resourceGroups/./providers/Microsoft.Compute/virtualMachines/vm` },
    'trailing path': { resource_id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm/extensions/x` },
    'instance id not numeric': { resource_id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss/virtualMachines/a` },
    'kind': { resource_kind: 'scale_set' },
    'cloud': { cloud: 'Azure-Public' },
    'current above int32': { current_key_incarnation_id: 2147483648 },
    'next above int32': { next_key_incarnation_id: 2147483648 },
    'next zero': { next_key_incarnation_id: 0 },
    'float': { current_key_incarnation_id: 3.5 },
    'verdict': { verdict: 'Key Lost' },
    'vm_id': { vm_id: 'not-a-guid' },
    'host': { host: '-web' },
    'report_time offset': { report_time: '2026-07-22T10:21:05+02:00' },
    'delivery_id': { delivery_id: '1234' },
    'version 2': { ticket_version: 2 },
    'extra field': { command: 'az vm delete' },
  };
  for (const [name, over] of Object.entries(bad)) {
    assert.equal(validate({ ...ok, ...over }), false, name);
  }
  const missing = { ...ok };
  delete missing.delivery_id;
  assert.equal(validate(missing), false, 'every field is required');
});

test('what the schema accepts: nulls where the contract allows them, case-insensitive fixed segments', () => {
  const ok = example('virtual-machine.json');
  assert.ok(validate({ ...ok, resource_id: null, cloud: null, current_key_incarnation_id: null,
    next_key_incarnation_id: null, vm_id: null, smbios_uuid: null, host: null, delivery_id: null }));
  assert.ok(validate({ ...ok, resource_id: `/SUBSCRIPTIONS/${SUB}/resourcegroups/RG-web/providers/microsoft.compute/VIRTUALMACHINES/web-01` }));
  assert.ok(validate({ ...ok, current_key_incarnation_id: 2147483646, next_key_incarnation_id: 2147483647 }));
  assert.ok(validate({ ...ok, report_time: '2026-07-22T10:21:05.123456789Z' }));
});
