'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const text = fs.readFileSync(path.join(__dirname, '..', 'azuredeploy.json'), 'utf8');
const t = JSON.parse(text);
const MINIMAL = [
  'Microsoft.Compute/virtualMachines/read',
  'Microsoft.Compute/virtualMachines/write',
  'Microsoft.Compute/virtualMachines/instanceView/read',
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read',
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/write',
  'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/instanceView/read',
  'Microsoft.Insights/eventtypes/values/read',
];
const byType = (list, type) => list.filter((r) => r.type === type);
const app = t.resources.find((r) => r.name === 'latchwatch-reset-receiver-app').properties.template;

test('azuredeploy.json is a subscription-scope ARM template with the expected resources', () => {
  assert.match(t.$schema, /subscriptionDeploymentTemplate\.json#$/);
  assert.equal(byType(t.resources, 'Microsoft.Authorization/roleDefinitions').length, 1);
  assert.equal(byType(app.resources, 'Microsoft.ManagedIdentity/userAssignedIdentities').length, 1);
  const site = byType(app.resources, 'Microsoft.Web/sites')[0];
  assert.equal(site.kind, 'functionapp,linux');
  assert.equal(site.identity.type, 'UserAssigned');
  assert.equal(site.properties.httpsOnly, true);
  assert.equal(site.properties.siteConfig.linuxFxVersion, 'Node|20');
  assert.equal(site.properties.siteConfig.functionAppScaleLimit, 1, 'one instance: the record store serialises in one process');
  const settings = byType(app.resources, 'Microsoft.Web/sites/config')[0].properties;
  assert.equal(settings.FUNCTIONS_EXTENSION_VERSION, '~4');
  assert.equal(settings.FUNCTIONS_WORKER_RUNTIME, 'node');
  assert.equal(settings.ARM_ENDPOINT, '[environment().resourceManager]', 'the cloud\'s own ARM endpoint');
  assert.match(settings.AZURE_CLIENT_ID, /userAssignedIdentities.*clientId/);
  assert.equal(settings.ALLOWED_SCOPES, "[parameters('allowedScopes')]");
  assert.equal(app.parameters.webhookSecret.type, 'securestring');
});

test('the custom role allows exactly the minimal action list, assignable only at the scope parameter', () => {
  const role = byType(t.resources, 'Microsoft.Authorization/roleDefinitions')[0];
  assert.equal(role.properties.type, 'CustomRole');
  assert.equal(role.properties.permissions.length, 1);
  const p = role.properties.permissions[0];
  assert.equal(p.actions, "[variables('roleActions')]");
  assert.deepEqual([...t.variables.roleActions].sort(), [...MINIMAL].sort());
  assert.equal(new Set(t.variables.roleActions).size, t.variables.roleActions.length);
  assert.ok(!t.variables.roleActions.some((a) => a.includes('*') || /delete|action$/i.test(a)), 'no wildcard, delete or action');
  assert.deepEqual(p.notActions, []);
  assert.deepEqual(p.dataActions, []);
  assert.deepEqual(role.properties.assignableScopes, ["[variables('scopeId')]"]);
  assert.match(t.variables.scopeId, /targetResourceGroup/);
});

test('the role is assigned to the managed identity at the scope parameter (subscription or resource group)', () => {
  const sub = byType(t.resources, 'Microsoft.Authorization/roleAssignments')[0];
  assert.equal(sub.condition, "[empty(parameters('targetResourceGroup'))]");
  assert.equal(sub.properties.roleDefinitionId, "[variables('roleDefinitionId')]");
  assert.match(sub.properties.principalId, /outputs\.principalId/);
  assert.equal(sub.properties.principalType, 'ServicePrincipal');
  const rg = t.resources.find((r) => r.name === 'latchwatch-reset-receiver-role');
  assert.equal(rg.condition, "[not(empty(parameters('targetResourceGroup')))]");
  const a = rg.properties.template.resources[0];
  assert.equal(a.type, 'Microsoft.Authorization/roleAssignments');
  assert.equal(a.properties.roleDefinitionId, "[parameters('roleDefinitionId')]");
  // the receiver's ALLOWED_SCOPES is the same expression as the role's scope
  const appDeploy = t.resources.find((r) => r.name === 'latchwatch-reset-receiver-app');
  assert.equal(appDeploy.properties.parameters.allowedScopes.value, "[variables('scopeId')]");
});
