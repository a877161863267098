// A tiny HTTP server run inside a lab namespace: answers every request with who it is and who asked (JSON).
'use strict';
const http = require('node:http');

const [host, port, label] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  const body = JSON.stringify({
    ns: label,
    path: req.url,
    local: `${req.socket.localAddress}:${req.socket.localPort}`,
    remote: req.socket.remoteAddress,
  });
  res.writeHead(200, { 'content-type': 'application/json' }).end(`${body}\n`);
});
server.listen({ host, port: Number(port) }, () => process.stdout.write(`listening ${host}:${port}\n`));
