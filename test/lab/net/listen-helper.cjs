// Runs inside a network namespace: listens on the addresses in argv[2] and hands the listening sockets to the parent.
'use strict';
const net = require('node:net');

/** @type {{host: string, port: number}[]} */
const addrs = JSON.parse(process.argv[2] ?? '[]');
process.on('disconnect', () => process.exit(0));

function fail(index, err) {
  const { host, port } = addrs[index];
  process.send({ index, error: `${host}:${port}: ${err.message}` }, () => process.exit(1));
}

function sendAll(servers) {
  let sent = 0;
  servers.forEach((server, index) => {
    process.send({ index, address: server.address() }, server, (err) => {
      if (err) return fail(index, err);
      sent += 1;
      if (sent === servers.length) process.disconnect();
    });
  });
}

const servers = [];
let listening = 0;
addrs.forEach(({ host, port }, index) => {
  const server = net.createServer();
  servers.push(server);
  server.once('error', (err) => fail(index, err));
  server.listen({ host, port, exclusive: true }, () => {
    listening += 1;
    if (listening === addrs.length) sendAll(servers);
  });
});
