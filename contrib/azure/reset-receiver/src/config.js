'use strict';
// Configuration from app settings (process.env). Nothing here has a default that widens what the receiver may do.
const fs = require('node:fs');

const ARM_ENDPOINTS = {
  AzurePublicCloud: 'https://management.azure.com',
  AzureUSGovernmentCloud: 'https://management.usgovcloudapi.net',
  AzureChinaCloud: 'https://management.chinacloudapi.cn',
};

const SCOPE_RE = /^\/subscriptions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\/resourcegroups\/([-\w._()]{1,90}))?$/i;

function parseScopes(text) {
  const scopes = [];
  for (const raw of String(text || '').split(/[,\s]+/).filter(Boolean)) {
    const m = SCOPE_RE.exec(raw.replace(/\/+$/, ''));
    if (!m) throw new Error(`ALLOWED_SCOPES: not a subscription or resource group scope: ${JSON.stringify(raw)}`);
    if (m[3] && /^\.{1,2}$/.test(m[3])) throw new Error(`ALLOWED_SCOPES: bad resource group ${JSON.stringify(raw)}`);
    scopes.push({ subscriptionId: m[1].toLowerCase(), resourceGroup: m[3] ? m[3].toLowerCase() : null });
  }
  if (scopes.length === 0) throw new Error('ALLOWED_SCOPES is empty: the receiver acts on nothing without a scope');
  return scopes;
}

function intSetting(env, name, def, min, max) {
  if (env[name] === undefined || env[name] === '') return def;
  const v = Number(env[name]);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name}: integer ${min}..${max} expected`);
  return v;
}

function loadPolicy(env) {
  if (env.POLICY_JSON) return JSON.parse(env.POLICY_JSON);
  if (env.POLICY_PATH) return JSON.parse(fs.readFileSync(env.POLICY_PATH, 'utf8'));
  return { version: 1, auto_approve: [] };
}

function loadConfig(env = process.env) {
  const cloud = env.AZURE_CLOUD || 'AzurePublicCloud';
  const armEndpoint = (env.ARM_ENDPOINT || ARM_ENDPOINTS[cloud] || '').replace(/\/+$/, '');
  if (!armEndpoint) throw new Error(`no ARM endpoint for cloud ${cloud}: set ARM_ENDPOINT`);
  const u = new URL(armEndpoint);
  if (u.protocol !== 'https:' || (u.pathname !== '/' && u.pathname !== '')) {
    throw new Error('ARM_ENDPOINT must be an https origin without a path');
  }
  const secrets = [env.LATCHWATCH_WEBHOOK_SECRET, env.LATCHWATCH_WEBHOOK_SECRET_PREVIOUS].filter(Boolean);
  if (secrets.length === 0) throw new Error('LATCHWATCH_WEBHOOK_SECRET is not set');
  return {
    cloud,
    armEndpoint,
    armAudience: env.ARM_AUDIENCE || `${armEndpoint}/.default`,
    secrets,
    scopes: parseScopes(env.ALLOWED_SCOPES),
    publicBaseUrl: (env.RECEIVER_PUBLIC_URL || '').replace(/\/+$/, ''),
    notifyUrl: env.APPROVAL_NOTIFY_URL || '',
    approvalTtlSeconds: intSetting(env, 'APPROVAL_TTL_SECONDS', 86400, 60, 7 * 86400),
    maxResetsPerHour: intSetting(env, 'MAX_RESETS_PER_HOUR', 5, 0, 1000),
    activityWindowHours: intSetting(env, 'ACTIVITY_WINDOW_HOURS', 24, 1, 24 * 89),
    storePath: env.RECORD_STORE_PATH || '/home/data/latchwatch-reset-receiver/records.jsonl',
    receiverPrincipalId: (env.RECEIVER_PRINCIPAL_ID || '').toLowerCase(),
    managedIdentityClientId: env.AZURE_CLIENT_ID || '',
    policy: loadPolicy(env),
  };
}

module.exports = { loadConfig, parseScopes, ARM_ENDPOINTS };
