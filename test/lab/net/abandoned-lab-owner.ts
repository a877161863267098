// Test helper process: builds a lab (record in argv[2]), prints what it owns as one JSON line, idles until killed.
import { labNodeSpecs } from './fixtures.ts';
import { LAB_ADDRS, LabNetwork } from './lab-network.ts';

const lab = await LabNetwork.create({ nodes: labNodeSpecs(1), leftoverDir: process.argv[2] });
await lab.serveHttp(lab.ns.dev, LAB_ADDRS.device, 8080);
process.stdout.write(
  `${JSON.stringify({ prefix: lab.prefix, namespaces: lab.namespaces, pids: lab.pids })}\n`,
);
// Idle until killed; if the test process dies instead (stdin closes), take the lab down and go too.
process.stdin.on('end', () => lab.destroy().then(() => process.exit(0)));
process.stdin.resume();
