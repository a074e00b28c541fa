import { downloadLinkToken } from '../../api-client/client';
import { call, client } from './api';

/** Asks the API for a link bound to this client, redeems it, and lets the browser save the file. */
export async function downloadFile(fileId: string): Promise<void> {
  const { downloadLink } = await call(() => client.api.files[':id']['download-link'].$post({ param: { id: encodeURIComponent(fileId) } }));
  await redeemLink(downloadLinkToken(downloadLink));
}

/** Follows a download link, given its token. */
export async function redeemLink(token: string): Promise<void> {
  const { url } = await call(() => client.api.download[':token'].$get({ param: { token: encodeURIComponent(token) } }));
  // Storage answers with Content-Disposition: attachment, so this saves the file and stays here.
  window.location.assign(url);
}
