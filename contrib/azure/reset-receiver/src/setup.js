'use strict';
// Production wiring: configuration, managed identity, record store, notifier.
const { ManagedIdentityCredential, DefaultAzureCredential } = require('@azure/identity');
const { loadConfig } = require('./config');
const { Arm } = require('./arm');
const { FileStore } = require('./store');
const { Receiver } = require('./receiver');

function webhookNotifier(url) {
  if (!url) return async () => {};
  return async (message) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message) });
    if (!res.ok) throw new Error(`approval notification answered ${res.status}`);
  };
}

let instance = null;
function receiver() {
  if (instance) return instance;
  const config = loadConfig();
  const credential = config.managedIdentityClientId
    ? new ManagedIdentityCredential({ clientId: config.managedIdentityClientId })
    : new DefaultAzureCredential();
  const arm = new Arm({ endpoint: config.armEndpoint, audience: config.armAudience, credential });
  instance = new Receiver({ config, arm, store: new FileStore(config.storePath), notify: webhookNotifier(config.notifyUrl) });
  return instance;
}

module.exports = { receiver, webhookNotifier };
