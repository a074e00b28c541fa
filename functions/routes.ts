import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../shared/api/context';
import { withCommonResponses as common } from '../shared/api/contract';
import { defaultHook } from '../shared/api/validation';
import * as listAuditEvents from './audit/list';
import * as forgotPassword from './auth/forgot-password';
import * as login from './auth/login';
import * as logout from './auth/logout';
import * as logoutAll from './auth/logout-all';
import * as refresh from './auth/refresh';
import * as resetPassword from './auth/reset-password';
import * as signup from './auth/signup';
import * as verifyEmail from './auth/verify-email';
import * as searchClients from './clients/search';
import * as downloadAudit from './downloads/audit';
import * as issueLink from './downloads/issue';
import * as redeemLink from './downloads/redeem';
import * as fileAccess from './files/access';
import * as completeFile from './files/complete';
import * as createFile from './files/create';
import * as deleteFile from './files/delete';
import * as listFiles from './files/list';
import * as replaceSharing from './files/sharing-replace';
import * as showSharing from './files/sharing-show';
import * as showFile from './files/show';
import * as updateFile from './files/update';
import * as createGroup from './groups/create';
import * as deleteGroup from './groups/delete';
import * as listGroups from './groups/list';
import * as addGroupMember from './groups/member-add';
import * as removeGroupMember from './groups/member-remove';
import * as replaceGroupMembers from './groups/members-replace';
import * as showGroup from './groups/show';
import * as updateGroup from './groups/update';
import * as createInvitation from './invitations/create';
import * as inspectInvitation from './invitations/inspect';
import * as listInvitations from './invitations/list';
import * as resendInvitation from './invitations/resend';
import * as revokeInvitation from './invitations/revoke';
import * as changePassword from './me/password';
import * as endMySession from './me/sessions-end';
import * as listMySessions from './me/sessions-list';
import * as me from './me/show';
import * as updateMe from './me/update';
import * as docs from './service/docs';
import * as health from './service/health';
import * as openapi from './service/openapi';
import * as approveUser from './users/approve';
import * as deleteUser from './users/delete';
import * as disableUser from './users/disable';
import * as enableUser from './users/enable';
import * as listUsers from './users/list';
import * as showUser from './users/show';

/**
 * Every endpoint of the API, one module each, registered with its declaration (which validates,
 * guards and documents it). Chained, so that the type of the result describes every route for
 * the typed client (`ApiType`, used by the portal and the CLI through Hono's `hc`).
 */
export function createApi() {
  return new OpenAPIHono<AppEnv>({ defaultHook })
    .openapi(common(signup.route), signup.handler)
    .openapi(common(login.route), login.handler)
    .openapi(common(refresh.route), refresh.handler)
    .openapi(common(logout.route), logout.handler)
    .openapi(common(logoutAll.route), logoutAll.handler)
    .openapi(common(verifyEmail.route), verifyEmail.handler)
    .openapi(common(forgotPassword.route), forgotPassword.handler)
    .openapi(common(resetPassword.route), resetPassword.handler)
    .openapi(common(me.route), me.handler)
    .openapi(common(updateMe.route), updateMe.handler)
    .openapi(common(changePassword.route), changePassword.handler)
    .openapi(common(listMySessions.route), listMySessions.handler)
    .openapi(common(endMySession.route), endMySession.handler)
    .openapi(common(inspectInvitation.route), inspectInvitation.handler)
    .openapi(common(createInvitation.route), createInvitation.handler)
    .openapi(common(listInvitations.route), listInvitations.handler)
    .openapi(common(resendInvitation.route), resendInvitation.handler)
    .openapi(common(revokeInvitation.route), revokeInvitation.handler)
    .openapi(common(listUsers.route), listUsers.handler)
    .openapi(common(showUser.route), showUser.handler)
    .openapi(common(approveUser.route), approveUser.handler)
    .openapi(common(disableUser.route), disableUser.handler)
    .openapi(common(enableUser.route), enableUser.handler)
    .openapi(common(deleteUser.route), deleteUser.handler)
    .openapi(common(listAuditEvents.route), listAuditEvents.handler)
    .openapi(common(createFile.route), createFile.handler)
    .openapi(common(completeFile.route), completeFile.handler)
    .openapi(common(listFiles.route), listFiles.handler)
    .openapi(common(showFile.route), showFile.handler)
    .openapi(common(updateFile.route), updateFile.handler)
    .openapi(common(deleteFile.route), deleteFile.handler)
    .openapi(common(replaceSharing.route), replaceSharing.handler)
    .openapi(common(showSharing.route), showSharing.handler)
    .openapi(common(fileAccess.route), fileAccess.handler)
    .openapi(common(searchClients.route), searchClients.handler)
    .openapi(common(createGroup.route), createGroup.handler)
    .openapi(common(listGroups.route), listGroups.handler)
    .openapi(common(showGroup.route), showGroup.handler)
    .openapi(common(updateGroup.route), updateGroup.handler)
    .openapi(common(deleteGroup.route), deleteGroup.handler)
    .openapi(common(replaceGroupMembers.route), replaceGroupMembers.handler)
    .openapi(common(addGroupMember.route), addGroupMember.handler)
    .openapi(common(removeGroupMember.route), removeGroupMember.handler)
    .openapi(common(issueLink.route), issueLink.handler)
    .openapi(common(redeemLink.route), redeemLink.handler)
    .openapi(common(downloadAudit.route), downloadAudit.handler)
    .openapi(common(health.route), health.handler)
    .openapi(common(openapi.route), openapi.handler)
    .openapi(common(docs.route), docs.handler);
}

export type ApiType = ReturnType<typeof createApi>;
