'use strict';
// Azurite helper for the blob sink's tests (and bench/): makes a container and a container SAS
// with Azurite's well-known development account key, and downloads a container as a folder tree
// (as `az storage blob download-batch` does). Uses Microsoft's @azure/storage-blob.
//   node blob_tool.js sas PORT CONTAINER          -> prints the container's SAS URL (create, write)
//   node blob_tool.js download PORT CONTAINER DIR -> writes every blob under DIR, prints the names
const fs = require('fs');
const path = require('path');
const {
  BlobServiceClient, StorageSharedKeyCredential, generateBlobSASQueryParameters, ContainerSASPermissions,
} = require('@azure/storage-blob');

// https://learn.microsoft.com/azure/storage/common/storage-use-azurite#well-known-storage-account-and-key
const account = 'devstoreaccount1';
const key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

async function main() {
  const [command, port, container, dir] = process.argv.slice(2);
  const credential = new StorageSharedKeyCredential(account, key);
  const base = `http://127.0.0.1:${port}/${account}`;
  const client = new BlobServiceClient(base, credential).getContainerClient(container);
  if (command === 'sas') {
    await client.createIfNotExists();
    const sas = generateBlobSASQueryParameters({
      containerName: container,
      permissions: ContainerSASPermissions.parse('cw'),
      startsOn: new Date(Date.now() - 5 * 60 * 1000),
      expiresOn: new Date(Date.now() + 24 * 3600 * 1000),
      version: '2021-12-02',
    }, credential).toString();
    process.stdout.write(`${base}/${container}?${sas}\n`);
  } else if (command === 'download') {
    const names = [];
    for await (const blob of client.listBlobsFlat()) {
      names.push(blob.name);
      const file = path.join(dir, ...blob.name.split('/'));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await client.getBlobClient(blob.name).downloadToFile(file);
    }
    process.stdout.write(JSON.stringify(names));
  } else {
    throw new Error('usage: blob_tool.js sas|download PORT CONTAINER [DIR]');
  }
}

main().catch((e) => { process.stderr.write(`${e.message}\n`); process.exit(1); });
