import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { assertPortFree, PortInUseError, type RunningServer } from '../../runtime/node';

/**
 * The local mail server: aws-ses-v2-local, which speaks the SES v2 HTTP API the service sends
 * through (shared/mail.ts), so local mail takes the exact path production mail takes. It keeps
 * every message in memory and shows them in a web inbox at its root (a static page, no network
 * needed) and as JSON at `/store` (`?since=<unix seconds>`), which the tests read.
 *
 * Like SES it refuses a request without an AWS Authorization header, but it does not verify the
 * signature: the credentials it is given are the stack's own, and only presence is checked.
 * Its store belongs to the module, so it outlives a restart in the same process (the fault
 * tests stop and start it) and is shared by every server this process starts.
 */

export interface MailServer extends RunningServer {
  /** The web inbox a person opens to read what the service sent. */
  inboxUrl: string;
}

type StartSes = (config: { host: string; port: number }) => Promise<Server>;

export async function startMailServer(options: { host: string; port: number }): Promise<MailServer> {
  await assertPortFree(options.host, options.port, 'mail server');
  const require = createRequire(import.meta.url);
  const start = (require('aws-ses-v2-local') as { default: StartSes }).default;
  const server = await start({ host: options.host, port: options.port });
  // Express reports a failed listen to its callback, which aws-ses-v2-local ignores: it hands back
  // a server that is not listening (the port was taken between the check above and now).
  if (!server.listening) throw new PortInUseError(options.host, options.port, 'mail server');
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host}:${port}`;
  return {
    url,
    port,
    inboxUrl: `${url}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // fetch keeps connections alive: without this, close would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}
