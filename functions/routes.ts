import type { Endpoint } from '../shared/http';
import * as login from './auth/login';
import * as logout from './auth/logout';
import * as signup from './auth/signup';
import * as searchClients from './clients/search';
import * as downloadAudit from './downloads/audit';
import * as issueLink from './downloads/issue';
import * as redeemLink from './downloads/redeem';
import * as completeFile from './files/complete';
import * as createFile from './files/create';
import * as deleteFile from './files/delete';
import * as listFiles from './files/list';
import * as replaceSharing from './files/sharing-replace';
import * as showSharing from './files/sharing-show';
import * as showFile from './files/show';
import * as me from './me/show';
import * as docs from './service/docs';
import * as health from './service/health';
import * as openapi from './service/openapi';

/** Every endpoint of the API, one module each. The app registers exactly these. */
export const endpoints: Endpoint[] = [
  signup,
  login,
  logout,
  me,
  createFile,
  completeFile,
  listFiles,
  showFile,
  deleteFile,
  replaceSharing,
  showSharing,
  searchClients,
  issueLink,
  redeemLink,
  downloadAudit,
  health,
  openapi,
  docs,
];
