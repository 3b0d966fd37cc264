/**
 * A test double of Nova's metadata API (the only peer outside the project
 * in the e2e lab). It checks what it receives the way Nova does: the
 * X-Instance-ID-Signature must be hex HMAC-SHA256(shared secret,
 * X-Instance-ID), or it answers 403. It records every request for the
 * test's assertions and answers a known document.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface NovaRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly signatureValid: boolean;
}

export interface NovaDouble {
  readonly port: number;
  readonly requests: NovaRequest[];
  close(): Promise<void>;
}

export async function startNovaDouble(secret: string): Promise<NovaDouble> {
  const requests: NovaRequest[] = [];
  const server: Server = createServer((req, res) => {
    const instanceId = String(req.headers['x-instance-id'] ?? '');
    const expected = createHmac('sha256', secret).update(instanceId).digest('hex');
    const signatureValid = instanceId !== '' && req.headers['x-instance-id-signature'] === expected;
    requests.push({ path: req.url ?? '', headers: req.headers, signatureValid });
    if (!signatureValid) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('Invalid proxy request signature.');
      return;
    }
    if (req.url === '/latest/meta-data/instance-id') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(instanceId);
      return;
    }
    const document = { uuid: instanceId, project_id: req.headers['x-tenant-id'], 'local-ipv4': req.headers['x-forwarded-for'] };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return { port: address.port, requests, close: () => new Promise((ok) => server.close(() => ok())) };
}
