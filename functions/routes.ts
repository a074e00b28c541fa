import type { Endpoint } from '../shared/http';
import * as login from './auth/login';
import * as logout from './auth/logout';
import * as signup from './auth/signup';
import * as me from './me/show';
import * as docs from './service/docs';
import * as health from './service/health';
import * as openapi from './service/openapi';

/** Every endpoint of the API, one module each. The app registers exactly these. */
export const endpoints: Endpoint[] = [signup, login, logout, me, health, openapi, docs];
